"""Supervision's programme handlers: levels, electronic positioning, aftercare follow-ups,
community rehabilitation and the monthly key-person determination.

Functions over the service's context (context.py); the rules are in `domain/`, the deadlines on durable timers.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Literal

from services.supervision import plans
from services.supervision.context import SupervisionContext
from services.supervision.domain.aftercare import counts_for, period_of
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.keypersons import previous_month
from services.supervision.domain.levels import level_for
from services.supervision.endings import case_ending
from shared.calendar import add_months
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    AftercareFollowupDue,
    CaseClosed,
    ExitControl,
    KeyPersonsUnconfirmed,
    LevelChanged,
    MaskedPerson,
    PositioningEnded,
    PositioningTermEnding,
    RehabReportMissed,
    RiskAssessed,
)
from shared.periods import after_month
from shared.security_signals import NO_PERSON
from shared.timers import Timer

# The deadlines a case keeps (by case id) and its person's watchdogs (by person id); a closed
# case cancels them all (docs/domain.md §1, "The end of a case").
CASE_TIMERS = (
    "intake:{case_id}",
    "checkin:{case_id}:",
    "case-end:{case_id}",
    "level-review:{case_id}",
    "followup:{case_id}:",
    "rehab-report:{case_id}",
    "revocation-ruling:{case_id}:",  # a proposal's court deadline (revocation.py)
    "plan-due:{case_id}:",  # the correction plan's day (plans.py)
)
PERSON_TIMERS = ("contact:{person_id}", "offline:{person_id}")


def exit_control(
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    person: MaskedPerson,
    office: str,
    action: str,
    at: datetime,
    until: date | None = None,
) -> ExitControl:
    """不准出境报备 for the police: one control per case (its id is the case's), imposed then lifted."""
    return ExitControl(
        control_id=uuid.uuid5(case_id, "exit-control"),
        person_id=person_id,
        case_id=case_id,
        person=person,
        office=office,
        action=action,  # type: ignore[arg-type]
        at=at,
        until=until,
    )


def programme_timers(ctx: SupervisionContext) -> dict:
    return {
        "case.end": partial(on_case_end, ctx),
        "level.review": partial(on_level_review, ctx),
        "positioning.ending": partial(on_positioning_ending, ctx),
        "positioning.end": partial(on_positioning_end, ctx),
        "aftercare.followup": partial(on_followup_due, ctx),
        "rehab.report": partial(on_rehab_report_due, ctx),
        "keypersons.reminder": partial(on_key_persons_reminder, ctx),
    }


async def schedule_key_persons_reminder(ctx: SupervisionContext, uow: UnitOfWork, month: str) -> None:
    """Due when the month's first `confirm_within_days` are over (the one period rule, counted
    from the last day of the month before: docs/rules.md)."""
    due = after_month(ctx.county, previous_month(month), ctx.policy.key_persons.confirm_within_days).due
    await ctx.store(uow).schedule(f"key-persons-reminder:{month}", "keypersons.reminder", due, {"month": month})


async def on_key_persons_reminder(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """Each office with corrections and no confirmed list for the month gets a yellow reminder;
    then the next month's is scheduled."""
    month = timer.payload["month"]
    for office in await ctx.store(uow).offices_unconfirmed(month):
        data = KeyPersonsUnconfirmed(
            person_id=NO_PERSON,
            jurisdiction=office,
            cause=f"key-persons:{office}:{month}",
            observed_at=timer.due_at,
            evidence=[timer.key],
            month=month,
        )
        uow.publish(data, subject=NO_PERSON, time=timer.due_at)  # about the office: no case file
    _, end = ctx.county.month_bounds(month)
    await schedule_key_persons_reminder(ctx, uow, ctx.county.month_of(end))


async def schedule_case_end(
    ctx: SupervisionContext, uow: UnitOfWork, case_id: uuid.UUID, term_end: date | None
) -> None:
    if term_end is not None:  # the term's last day is served in full
        await ctx.store(uow).schedule(
            f"case-end:{case_id}",
            "case.end",
            ctx.county.start_of(term_end + timedelta(days=1)),
            {"case_id": str(case_id)},
        )


async def on_case_end(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    await close_case(ctx, uow, uuid.UUID(timer.payload["case_id"]), "ended", None, None, timer.due_at)


async def close_case(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    case_id: uuid.UUID,
    outcome: str,
    reason: str | None,
    by: str | None,
    at: datetime | None = None,
    *,
    to_county: str | None = None,
) -> CaseClosed | None:
    """Close an active case: it leaves every schedule (its deadlines, its positioning term, and
    the person's watchdogs when no other case is open); the fix path forgets it."""
    at = at or ctx.clock()
    store = ctx.store(uow)
    row = await store.close_case(case_id, outcome, at)
    if row is None:
        return None
    person_id = row["person_id"]
    for prefix in CASE_TIMERS:
        await store.cancel_prefix(prefix.format(case_id=case_id))
    positioning = await store.active_positioning(case_id)
    if positioning is not None:
        await store.end_positioning(positioning)
        await store.cancel_prefix(f"positioning-ending:{positioning}:")
        await store.cancel_prefix(f"positioning-end:{positioning}:")
        if (ended := await store.positioning(positioning)) is not None:
            await _positioning_ended(ctx, uow, ended, "case_closed", at)
    if await store.active_case(person_id) is None:
        for prefix in PERSON_TIMERS:
            await store.cancel_prefix(prefix.format(person_id=person_id))
    data = CaseClosed(
        person_id=person_id,
        case_id=case_id,
        jurisdiction=row["jurisdiction"],
        outcome=outcome,
        reason=reason,
        closed_by=by,
    )  # type: ignore[arg-type]
    await ctx.publish(uow, data, person_id, None, at)
    if row.get("kind") == "community_correction":  # the border-control notice is lifted
        masked = MaskedPerson.model_validate(row["person_masked"])
        lifted = exit_control(case_id, person_id, masked, row["jurisdiction"], "lifted", at)
        await ctx.publish(uow, lifted, person_id, None, at)
        numbering = ctx.policy.case_ending.certificate_prefix
        ending = case_ending(row, case_id, outcome, reason, at, ctx.county, numbering, to_county)
        if ending is not None:
            await ctx.publish(uow, ending, person_id, None, at)
    uow.after_commit(lambda: ctx.directory.remove(person_id))
    return data


async def on_risk_assessed(
    ctx: SupervisionContext, event: IncomingEvent, assessed: RiskAssessed, uow: UnitOfWork
) -> None:
    """The latest risk result moves the level of the person's community-correction case."""
    for case_id in await ctx.store(uow).set_risk(assessed.person_id, assessed.level):
        await refresh_level(ctx, uow, case_id, event, reason=f"risk:{assessed.level}")


async def refresh_level(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    case_id: uuid.UUID,
    cause: IncomingEvent | None,
    *,
    reason: str,
    now: datetime | None = None,
) -> str | None:
    """Decide the level again from the first-months rule, risk and sanctions; publish a change."""
    now = now or ctx.clock()
    store = ctx.store(uow)
    case = await store.case(case_id, for_update=True)
    if case is None or case["kind"] != "community_correction" or case["status"] != "under_supervision":
        return None
    counts = await store.sanction_counts(case_id)
    today = ctx.county.day_of(now)
    started = case["term_start"] or today
    level = level_for(
        started=started,
        today=today,
        risk=case["risk_level"],
        admonitions=counts.get("admonition", 0),
        warnings=counts.get("warning", 0),
        policy=ctx.policy.levels,
    )
    if level == case["level"]:
        return level
    await store.set_level(case_id, level)
    changed = LevelChanged(
        person_id=case["person_id"],
        case_id=case_id,
        jurisdiction=case["jurisdiction"],
        level=level,
        previous=case["level"],
        reasons=[reason],
    )  # type: ignore[arg-type]
    await ctx.publish(uow, changed, case["person_id"], cause, now)
    if case["kind"] == "community_correction" and case["level"] is not None:
        # A new level: the plan is reviewed (PlanHandlers, mixed in beside this class).
        await plans.plan_due_from(ctx, uow, case_id, today)  # type: ignore[attr-defined]
    end_of_first = add_months(started, ctx.policy.levels.first_months_strict)
    if today < end_of_first:
        await store.schedule(
            f"level-review:{case_id}", "level.review", ctx.county.start_of(end_of_first), {"case_id": str(case_id)}
        )
    return level


async def on_level_review(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """The first months are over: the level follows risk and sanctions from now on."""
    await refresh_level(
        ctx, uow, uuid.UUID(timer.payload["case_id"]), None, reason="first_months_over", now=timer.due_at
    )


async def _positioning(ctx: SupervisionContext, uow: UnitOfWork, timer: Timer):
    row = await ctx.store(uow).positioning(uuid.UUID(timer.payload["positioning_id"]))
    # A renewal moved the end: the old term's timers find a different end and do nothing.
    if row is None or row["status"] != "active" or row["ends_on"].isoformat() != timer.payload["ends_on"]:
        return None
    return row


async def on_positioning_ending(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    if (row := await _positioning(ctx, uow, timer)) is None:
        return
    data = PositioningTermEnding(
        person_id=row["person_id"],
        jurisdiction=row["jurisdiction"],
        case_id=row["case_id"],
        cause=f"positioning:{row['positioning_id']}:{row['ends_on']}",
        observed_at=timer.due_at,
        evidence=[timer.key],
        term_end=row["ends_on"],
    )
    await ctx.publish(uow, data, row["person_id"], None, timer.due_at)


async def on_positioning_end(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """Not renewed by its end: positioning stops, and its device is no longer the person's."""
    if (row := await _positioning(ctx, uow, timer)) is None:
        return
    await ctx.store(uow).end_positioning(row["positioning_id"])
    await _positioning_ended(ctx, uow, row, "term_end", timer.due_at)


async def _positioning_ended(
    ctx: SupervisionContext, uow: UnitOfWork, row: Any, reason: Literal["term_end", "case_closed"], at: datetime
) -> None:
    data = PositioningEnded(
        positioning_id=row["positioning_id"],
        person_id=row["person_id"],
        case_id=row["case_id"],
        jurisdiction=row["jurisdiction"],
        device_id=row["device_id"],
        reason=reason,
    )
    await ctx.publish(uow, data, row["person_id"], None, at)


async def schedule_followups(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    since: datetime,
    kinds: tuple[str, ...] = ("phone", "visit"),
) -> None:
    """Each kind's next period judged at its end: the one after `since`'s (the arrival is the
    contact of its own period)."""
    store = ctx.store(uow)
    for kind in kinds:
        after = period_of(kind, ctx.county.day_of(since), ctx.policy.aftercare)[1]  # type: ignore[arg-type]
        start, end = period_of(kind, after, ctx.policy.aftercare)  # type: ignore[arg-type]
        await store.schedule(  # one timer per period: a fired timer's key is never armed again
            f"followup:{case_id}:{kind}:{start.isoformat()}",
            "aftercare.followup",
            ctx.county.start_of(end),
            {"case_id": str(case_id), "person_id": str(person_id), "kind": kind, "from": start.isoformat()},
        )


async def on_followup_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """The calendar month (phone) or quarter (visit) just ended: due unless a follow-up that
    counts for it was recorded in it (D8, docs/rules.md)."""
    case_id, kind = uuid.UUID(timer.payload["case_id"]), timer.payload["kind"]
    store = ctx.store(uow)
    row = await store.case(case_id)
    if row is None or row["status"] not in ACTIVE:
        return
    first = timer.payload.get("from")  # an older version's timer has none: the period before its due
    day = ctx.county.day_of(timer.due_at) - timedelta(days=1)
    begun = date.fromisoformat(first) if first else period_of(kind, day, ctx.policy.aftercare)[0]  # type: ignore[arg-type]
    start, end = ctx.county.start_of(begun), timer.due_at
    kept = [f for f in await store.followups(case_id) if start <= f.at < end]
    if any(counts_for(kind, f.kind, ctx.policy.aftercare) for f in kept):  # type: ignore[arg-type]
        await schedule_followups(ctx, uow, case_id, row["person_id"], start, (kind,))
        return
    data = AftercareFollowupDue(
        person_id=row["person_id"],
        jurisdiction=row["jurisdiction"],
        case_id=case_id,
        cause=f"followup:{case_id}:{kind}:{ctx.county.day_of(timer.due_at)}",
        observed_at=timer.due_at,
        evidence=[timer.key],
        kind=kind,
    )
    await ctx.publish(uow, data, row["person_id"], None, timer.due_at)
    await schedule_followups(ctx, uow, case_id, row["person_id"], start, (kind,))  # the next period


async def on_rehab_report_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """A timer an older version armed for a 社区康复 case awaiting its report (arrival is the
    report now, and the handover watches for who does not come): judged as it was."""
    case_id = uuid.UUID(timer.payload["case_id"])
    row = await ctx.store(uow).case(case_id)
    if row is None or row["status"] != "awaiting_intake":
        return
    data = RehabReportMissed(
        person_id=row["person_id"],
        jurisdiction=row["jurisdiction"],
        case_id=case_id,
        cause=f"rehab-report:{case_id}",
        observed_at=timer.due_at,
        evidence=[timer.key],
    )
    await ctx.publish(uow, data, row["person_id"], None, timer.due_at)
