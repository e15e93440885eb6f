"""Study and community-service hours (教育学习, 公益活动), docs/domain.md §1.

The person's app reports time (`sps.ingest.app-report`), kept unconfirmed until the office or a
team member confirms it; staff record time confirmed at once. At each month's end (the county's)
every corrections case whose term covered the whole month is judged against what its level owes
(policy `hours`); a month short raises `hours_short` and counts toward the sanction suggestions.

`HoursHandlers` is mixed into `SupervisionHandlers`, `HoursCommands` into `SupervisionCommands`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.domain.hours import month_judged, owes_hours, shortfalls
from services.supervision.domain.policy import SupervisionPolicy
from shared import staff_steps as steps
from shared.authority import Actor
from shared.calendar import add_months
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import Conflict, NotFound, Refused
from shared.events import AppReport, EventData, HoursRecorded, HoursShort
from shared.kafka.consumer import RejectedRecord
from shared.timers import Timer

MONTH_TIMER = "hours-month:{month}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


class HoursHandlers:
    # Provided by SupervisionHandlers.
    policy: SupervisionPolicy
    county: County
    clock: Callable[[], datetime]
    store: Callable[[UnitOfWork], SupervisionStore]
    publish: Callable[[UnitOfWork, EventData, uuid.UUID, IncomingEvent | None, datetime], Awaitable[None]]

    def hours_timers(self) -> dict[str, Any]:
        return {"hours.month": self.on_month_end}

    async def on_app_report(self, event: IncomingEvent, report: AppReport, uow: UnitOfWork) -> None:
        """在矫通: time waits for confirmation; a help request goes on the file for the office."""
        store = self.store(uow)
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
            await self.open_help_request(uow, case, event.id, "other", report.note, "app", event.time)  # type: ignore[attr-defined]

    async def schedule_month_end(self, uow: UnitOfWork, month: str) -> None:
        """The month's judgement, at the county's start of the next month (once per month)."""
        after = add_months(first_day(month), 1)
        await self.store(uow).schedule(
            MONTH_TIMER.format(month=month), "hours.month", self.county.start_of(after), {"month": month}
        )

    async def on_month_end(self, timer: Timer, uow: UnitOfWork) -> None:
        month = timer.payload["month"]
        await self.judge_month(uow, month, timer.due_at)
        await self.schedule_month_end(uow, month_of(add_months(first_day(month), 1)))

    async def judge_month(self, uow: UnitOfWork, month: str, at: datetime) -> int:
        """Every whole month of a corrections term against its level's hours; the number short.
        Judging a month again raises nothing new (a month's signal has one cause)."""
        store = self.store(uow)
        first = first_day(month)
        after = add_months(first, 1)
        done: dict[Any, dict[str, timedelta]] = {}
        for row in await store.hours_between(first, after):
            done.setdefault(row["case_id"], {})[row["kind"]] = timedelta(minutes=int(row["minutes"]))
        short = 0
        for case in await store.judged_cases(first):
            if not month_judged(case["term_start"], first):
                continue
            missing = shortfalls(case["level"], done.get(case["case_id"], {}), self.policy.hours)
            if owes_hours(case["level"], self.policy.hours):  # the completion rate's (docs/indicators.md)
                await store.keep_hours_judgement(
                    case_id=case["case_id"],
                    month=month,
                    person_id=case["person_id"],
                    office=case["jurisdiction"],
                    level=case["level"],
                    met=not missing,
                    judged_at=at,
                )
            if not missing:
                continue
            short += 1
            data = HoursShort(
                person_id=case["person_id"],
                jurisdiction=case["jurisdiction"],
                case_id=case["case_id"],
                cause=f"hours:{case['case_id']}:{month}",
                observed_at=at,
                evidence=[
                    f"{s.kind} {int(s.done.total_seconds() // 60)}/{int(s.owed.total_seconds() // 60)} min"
                    for s in missing
                ],
                month=month,
                level=case["level"],
                short={s.kind: int(s.missing.total_seconds() // 60) for s in missing},
            )
            await self.publish(uow, data, case["person_id"], None, at)
        return short


class HoursCommands:
    # Provided by SupervisionCommands.
    clock: Callable[[], datetime]
    county: County
    policy: SupervisionPolicy
    store: Callable[[UnitOfWork], SupervisionStore]
    _case: Callable[..., Awaitable[Row]]
    _publish_on_file: Callable[[SupervisionStore, EventData, uuid.UUID, datetime], Awaitable[None]]

    async def record_hours(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.HoursEntry
    ) -> HoursRecorded:
        """Time the office saw done: confirmed at once, by who recorded it."""
        store = self.store(uow)
        case = await self._case(store, person_id, actor, "hours.record")
        if case["kind"] != "community_correction":
            raise Conflict("study and community-service hours are for community corrections")
        if step.on > self.county.day_of(self.clock()):
            raise Refused("on", f"{step.on.isoformat()} has not come yet in the county")
        now, entry_id = self.clock(), uuid.uuid4()
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
        await self._publish_on_file(store, data, person_id, now)
        return data

    async def confirm_hours(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, entry_id: uuid.UUID
    ) -> HoursRecorded:
        """The app's time confirmed by the office or a team member, once."""
        store = self.store(uow)
        entry = await store.hours_entry(entry_id)
        if entry is None or entry["person_id"] != person_id:
            raise NotFound(f"no hours entry {entry_id} for person {person_id}")
        await self._case(store, person_id, actor, "hours.confirm")
        if entry["confirmed_at"] is not None:
            raise Conflict(f"confirmed already by {entry['confirmed_by']}")
        now = self.clock()
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
        await self._publish_on_file(store, data, person_id, now)
        return data

    async def hours_month(self, uow: UnitOfWork, person_id: uuid.UUID, month: str | None) -> dict[str, Any]:
        """The month's confirmed time per kind against what the level owes, and what waits."""
        store = self.store(uow)
        case = await self._case(store, person_id)
        month = month or month_of(self.county.day_of(self.clock()))
        first = first_day(month)
        rows = await store.hours_between(first, add_months(first, 1), case["case_id"])
        done = {r["kind"]: int(r["minutes"]) for r in rows}
        owed = self.policy.hours.required.get(case["level"])  # type: ignore[call-overload]
        return {
            "month": month,
            "level": case["level"],
            "done": done,
            "owed": {k: int(getattr(owed, k).total_seconds() // 60) for k in ("study", "community_service")}
            if owed
            else {},
        }
