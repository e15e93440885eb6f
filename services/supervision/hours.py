"""Study and community-service hours (教育学习, 公益活动), docs/domain.md §1.

The person's app reports time (`sps.ingest.app-report`), kept unconfirmed until the office or a
team member confirms it; staff record time confirmed at once. A few days after each month's end
(policy `hours.judge_after_days`, the county's days) every corrections case whose term covered the
whole month is judged against what the least demanding of its levels that month owes (policy
`hours`); a month short raises `hours_short` and counts toward the sanction suggestions. Time of
a judged month confirmed later judges that case's month again, and withdraws the signal when the
month is no longer short (docs/rules.md).

Functions over the service's context (context.py): the event and timer handlers, and the staff steps.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from services.supervision import help
from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.hours import level_for_month, levels_in_force, month_judged, owes_hours, shortfalls
from services.supervision.domain.policy import SupervisionPolicy
from shared import staff_steps as steps
from shared.authority import Actor
from shared.calendar import add_months
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import Conflict, NotFound, Refused
from shared.events import AppReport, HoursRecorded, HoursShort, HoursShortWithdrawn
from shared.kafka.consumer import RejectedRecord
from shared.periods import after_month
from shared.timers import Timer

# "hours-judged", not the first version's "hours-month" (due at 00:00 on the 1st): a timer of the old
# key that fires early is put back to the judgement's time under this one (on_month_end).
MONTH_TIMER = "hours-judged:{month}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


async def record_hours(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.HoursEntry
) -> HoursRecorded:
    """Time the office saw done: confirmed at once, by who recorded it."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "hours.record")
    if case["kind"] != "community_correction":
        raise Conflict("study and community-service hours are for community corrections")
    if why := ctx.county.not_come_yet(step.on, ctx.clock()):
        raise Refused("on", why)
    now, entry_id = ctx.clock(), uuid.uuid4()
    await store.add_hours(
        entry_id=entry_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=step.kind,
        minutes=step.minutes,
        on=step.on,
        note=step.note,
        source="staff",
        recorded_by=actor.name,
        recorded_at=now,
        confirmed_by=actor.name,
        confirmed_at=now,
    )
    data = HoursRecorded(
        entry_id=entry_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=step.kind,
        minutes=step.minutes,
        on=step.on,
        source="staff",
        confirmed_by=actor.name,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    await _judge_again(ctx, store, case, step.on, now)
    return data


async def _judge_again(ctx: SupervisionContext, store: SupervisionStore, case: Row, on: date, now: datetime) -> None:
    """Time of a month judged already: that case's month is judged again with it (a late
    confirmation can lift a month out of short, and so withdraw its signal)."""
    month = month_of(on)
    if await store.hours_judgement(case["case_id"], month) is None:
        return  # not judged yet: the month's judgement will count it
    first = first_day(month)
    done = {
        r["kind"]: timedelta(minutes=int(r["minutes"]))
        for r in await store.hours_between(first, add_months(first, 1), case["case_id"])
    }
    signal = await judge_case(store, ctx.county, ctx.policy, case, month, done, now)
    if signal is not None:
        await ctx.publish_on_file(store, signal, case["person_id"], now)


async def confirm_hours(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, entry_id: uuid.UUID
) -> HoursRecorded:
    """The app's time confirmed by the office or a team member, once."""
    store = ctx.store(uow)
    entry = await store.hours_entry(entry_id)
    if entry is None or entry["person_id"] != person_id:
        raise NotFound(f"no hours entry {entry_id} for person {person_id}")
    case = await ctx.case(store, person_id, actor, "hours.confirm")
    if entry["confirmed_at"] is not None:
        raise Conflict(f"confirmed already by {entry['confirmed_by']}")
    now = ctx.clock()
    await store.confirm_hours(entry_id, actor.name, now)
    data = HoursRecorded(
        entry_id=entry_id,
        person_id=person_id,
        case_id=entry["case_id"],
        kind=entry["kind"],
        minutes=entry["minutes"],
        on=entry["on"],
        source=entry["source"],
        confirmed_by=actor.name,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    if case["case_id"] == entry["case_id"]:
        await _judge_again(ctx, store, case, entry["on"], now)
    return data


async def hours_month(
    ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID, month: str | None
) -> dict[str, Any]:
    """The month's confirmed time per kind against what the level owes, and what waits."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id)
    month = month or month_of(ctx.county.day_of(ctx.clock()))
    first = first_day(month)
    rows = await store.hours_between(first, add_months(first, 1), case["case_id"])
    done = {r["kind"]: int(r["minutes"]) for r in rows}
    owed = ctx.policy.hours.required.get(case["level"])  # type: ignore[call-overload]
    return {
        "month": month,
        "level": case["level"],
        "done": done,
        "owed": {k: int(getattr(owed, k).total_seconds() // 60) for k in ("study", "community_service")}
        if owed
        else {},
    }


def hours_timers(ctx: SupervisionContext) -> dict[str, Any]:
    return {"hours.month": partial(on_month_end, ctx)}


async def on_app_report(ctx: SupervisionContext, event: IncomingEvent, report: AppReport, uow: UnitOfWork) -> None:
    """在矫通: time waits for confirmation; a help request goes on the file for the office."""
    store = ctx.store(uow)
    case = await store.active_correction(report.person_id)
    if case is None:
        raise RejectedRecord(f"person {report.person_id} has no open community-correction case")
    summary = report.model_dump(mode="json")
    if report.kind != "help_request":
        await store.add_hours(
            entry_id=event.id,
            person_id=report.person_id,
            case_id=case["case_id"],
            kind=report.kind,
            minutes=report.minutes,
            on=report.date,
            note=report.note,
            source="app",
            recorded_by="在矫通",
            recorded_at=event.time,
        )
        summary["entry_id"] = str(event.id)
    await store.record(report.person_id, event.id, event.type, event.time, summary)
    if report.kind == "help_request":  # the office's task (help.py)
        await help.open_help_request(ctx, uow, case, event.id, "other", report.note, "app", event.time)  # type: ignore[attr-defined]


async def schedule_month_end(ctx: SupervisionContext, uow: UnitOfWork, month: str) -> None:
    """The month's judgement, once `hours.judge_after_days` whole days after it (once per month)."""
    await ctx.store(uow).schedule(
        MONTH_TIMER.format(month=month), "hours.month", judged_at(month, ctx.county, ctx.policy), {"month": month}
    )


async def on_month_end(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    month = timer.payload["month"]
    if timer.due_at < judged_at(month, ctx.county, ctx.policy):
        await schedule_month_end(ctx, uow, month)  # scheduled before the grace days were policy
        return
    await judge_month(ctx, uow, month, timer.due_at)
    await schedule_month_end(ctx, uow, month_of(add_months(first_day(month), 1)))


async def judge_month(ctx: SupervisionContext, uow: UnitOfWork, month: str, at: datetime) -> int:
    """Every whole month of a corrections term against the hours its levels owed; the number
    short. Judging again raises nothing new for a month still short (a month's signal has one
    cause) and withdraws the signal of one no longer short."""
    store = ctx.store(uow)
    first = first_day(month)
    done: dict[Any, dict[str, timedelta]] = {}
    for row in await store.hours_between(first, add_months(first, 1)):
        done.setdefault(row["case_id"], {})[row["kind"]] = timedelta(minutes=int(row["minutes"]))
    short = 0
    for case in await store.judged_cases(first):
        if not month_judged(case["term_start"], first):
            continue
        signal = await judge_case(store, ctx.county, ctx.policy, case, month, done.get(case["case_id"], {}), at)
        short += isinstance(signal, HoursShort)
        if signal is not None:
            await ctx.publish(uow, signal, case["person_id"], None, at)
    return short


def judged_at(month: str, county: County, policy: SupervisionPolicy) -> datetime:
    """When a month is judged: its last day is the event, `judge_after_days` whole days follow it
    (the one period rule, docs/rules.md)."""
    return after_month(county, month, policy.hours.judge_after_days).due


async def judge_case(
    store: SupervisionStore,
    county: County,
    policy: SupervisionPolicy,
    case: Row,
    month: str,
    done: dict[str, timedelta],
    at: datetime,
) -> HoursShort | HoursShortWithdrawn | None:
    """One case's month, at the least demanding of the levels it had in the month; kept for the
    completion rate. The signal to publish: short (again: the same cause, nothing new), or the
    withdrawal of an earlier judgement's signal now that confirmed time meets it."""
    first = first_day(month)
    start, end = county.start_of(first), county.start_of(add_months(first, 1))
    changes = await store.level_changes(case["person_id"], case["case_id"], start)
    level = level_for_month(levels_in_force(case["level"], changes, start, end), policy.hours)
    if not owes_hours(level, policy.hours):
        return None
    before = await store.hours_judgement(case["case_id"], month)
    missing = shortfalls(level, done, policy.hours)
    await store.keep_hours_judgement(
        case_id=case["case_id"],
        month=month,
        person_id=case["person_id"],
        office=case["jurisdiction"],
        level=level,
        met=not missing,
        judged_at=at,
    )
    cause = f"hours:{case['case_id']}:{month}"
    if not missing:
        if before is None or before["met"]:
            return None
        return HoursShortWithdrawn(
            person_id=case["person_id"],
            jurisdiction=case["jurisdiction"],
            case_id=case["case_id"],
            cause=cause,
            observed_at=at,
            evidence=[f"{month}: the hours {level} owes are met with time confirmed since"],
            month=month,
            level=level,
        )
    return HoursShort(
        person_id=case["person_id"],
        jurisdiction=case["jurisdiction"],
        case_id=case["case_id"],
        cause=cause,
        observed_at=at,
        evidence=[
            f"{s.kind} {int(s.done.total_seconds() // 60)}/{int(s.owed.total_seconds() // 60)} min" for s in missing
        ],
        month=month,
        level=level,
        short={s.kind: int(s.missing.total_seconds() // 60) for s in missing},
    )
