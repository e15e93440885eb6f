"""Supervision's persistence for staff commands: every read and write a command makes, over the
unit of work's transaction. Commands see only this class, so a test can give them a fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.supervision.adapters.tables import (
    cases,
    contact_checks,
    conversions,
    correction_plans,
    ending_announcements,
    followups,
    help_requests,
    hours_judgements,
    key_person_lists,
    leaves,
    parked_fixes,
    positioning_orders,
    procuratorate_notices,
    programme_hours,
    sanction_proposals,
    sanctions,
    social_force_hours,
    social_forces,
    stream_checkpoints,
    team_members,
    timeline,
    track_points,
    trips,
    zone_state,
)
from services.supervision.domain.aftercare import Followup, Trip
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.hours import LevelChange
from services.supervision.domain.keypersons import Candidate
from services.supervision.domain.sanctions import Absconding, SanctionEvidence
from shared.db.bulk import BulkInsert
from shared.db.rows import insert_once, locked, update_row
from shared.db.uow import UnitOfWork
from shared.events import LeaveApproved, LeaveRequested, PositioningStarted
from shared.timers import arm, cancel_prefix, push_back_many, schedule

ZONE_COLUMNS = (
    "person_id",
    "outside_episode",
    "last_fix_at",
    "last_outside",
    "tampered",
    "in_zones",
    "lon",
    "lat",
    "accuracy_m",
)
# Never back in time: a checkpoint written in the background may commit after a transition's row
# (services/supervision/positions.py), which must not be overwritten by the older state.
_ZONE_UPSERT = BulkInsert(
    zone_state,
    ZONE_COLUMNS,
    conflict=("person_id",),
    update=ZONE_COLUMNS[1:],
    where="zone_state.last_fix_at IS NULL OR zone_state.last_fix_at <= excluded.last_fix_at",
    utc_datetimes=True,  # a fix's time is on UTC once decoded (UtcDatetime in shared/events/base.py)
)
_TRACK_INSERT = BulkInsert(
    track_points, ("person_id", "recorded_at", "lon", "lat", "accuracy_m", "outside"), utc_datetimes=True
)

# Built once and executed with each call's values (shared/timers.py says why).
_RECORD = sa.insert(timeline)
_OPEN_CASE = insert(cases).on_conflict_do_nothing(index_elements=["source_ref"]).returning(cases.c.case_id)
_UNPARK = (
    sa.delete(parked_fixes)
    .where(parked_fixes.c.person_id == sa.bindparam("person_id"))
    .returning(parked_fixes.c.envelope, parked_fixes.c.recorded_at)
)
_UNPARK_BY = _UNPARK.where(parked_fixes.c.parked_at <= sa.bindparam("parked_by"))

Row = Mapping[Any, Any]  # a row by column name (SQLAlchemy's RowMapping, or a dict in tests)


LOST = ("unreachable", "no_result")  # contact checks that found the person lost (脱管)


class SupervisionStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    # --- cases -------------------------------------------------------------------------------------

    async def active_case(self, person_id: uuid.UUID) -> Row | None:
        """The person's newest case awaiting intake or under supervision."""
        return (
            (
                await self.conn.execute(
                    sa.select(cases)
                    .where(cases.c.person_id == person_id, cases.c.status.in_(ACTIVE))
                    .order_by(cases.c.opened_at.desc())
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )

    async def last_correction_case(self, person_id: uuid.UUID) -> Row | None:
        """The person's newest community-correction case, open or closed (解矫 looks at its end)."""
        query = (
            sa.select(cases)
            .where(cases.c.person_id == person_id, cases.c.kind == "community_correction")
            .order_by(cases.c.opened_at.desc())
            .limit(1)
        )
        return (await self.conn.execute(query)).mappings().first()

    async def ending_announcement(self, case_id: uuid.UUID) -> Row | None:
        query = sa.select(ending_announcements).where(ending_announcements.c.case_id == case_id)
        return (await self.conn.execute(query)).mappings().first()

    async def announce_ending(self, row: Mapping[str, Any]) -> bool:
        """解矫宣告, once per case: False when the case's end was already announced."""
        return await insert_once(self.conn, ending_announcements, row)

    async def add_notice(self, row: Mapping[str, Any]) -> bool:
        """A procuratorate's notice, once (a redelivery keeps nothing twice)."""
        return await insert_once(self.conn, procuratorate_notices, row)

    async def notice(self, notice_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
        query = sa.select(procuratorate_notices).where(procuratorate_notices.c.notice_id == notice_id)
        return (await self.conn.execute(query.with_for_update() if for_update else query)).mappings().first()

    async def reply_notice(self, notice_id: uuid.UUID, reply: str, at: datetime, by: str) -> None:
        await update_row(self.conn, procuratorate_notices, notice_id, reply=reply, replied_at=at, replied_by=by)

    async def notices(self, office: str | None) -> list[Row]:
        query = sa.select(procuratorate_notices).order_by(procuratorate_notices.c.received_at.desc()).limit(500)
        if office is not None:
            query = query.where(procuratorate_notices.c.office == office)
        return list((await self.conn.execute(query)).mappings())

    async def set_jurisdiction(self, case_id: uuid.UUID, office: str) -> None:
        await update_row(self.conn, cases, case_id, jurisdiction=office)

    async def set_electronic_monitoring(self, case_id: uuid.UUID) -> None:
        await self.conn.execute(sa.update(cases).where(cases.c.case_id == case_id).values(electronic_monitoring=True))

    async def record(
        self, person_id: uuid.UUID, event_id: uuid.UUID, event_type: str, occurred_at: datetime, summary: dict[str, Any]
    ) -> None:
        """The case file (档案): every significant event of a person, in order."""
        values = {
            "person_id": person_id,
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": occurred_at,
            "summary": summary,
        }
        await self.conn.execute(_RECORD, values)

    async def count_recorded(self, person_id: uuid.UUID, event_type: str, since: datetime) -> int:
        return int(
            await self.conn.scalar(
                sa.select(sa.func.count())
                .select_from(timeline)
                .where(
                    timeline.c.person_id == person_id,
                    timeline.c.event_type == event_type,
                    timeline.c.occurred_at >= since,
                )
            )
            or 0
        )

    async def schedule(self, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> None:
        await schedule(self.uow, key, kind, due_at, payload)

    async def open_case(self, **values: Any) -> bool:
        """Insert a case; False when its source (an order, a handover) opened one already."""
        inserted = await self.conn.execute(_OPEN_CASE, values)
        return inserted.scalar() is not None

    async def case(self, case_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
        query = sa.select(cases).where(cases.c.case_id == case_id)
        return (await self.conn.execute(query.with_for_update() if for_update else query)).mappings().first()

    async def active_correction(self, person_id: uuid.UUID) -> Row | None:
        """The person's community-correction case awaiting intake or under supervision, if any."""
        query = (
            sa.select(cases)
            .where(cases.c.person_id == person_id, cases.c.status.in_(ACTIVE), cases.c.kind == "community_correction")
            .limit(1)
        )
        return (await self.conn.execute(query)).mappings().first()

    async def supervised_corrections(self, person_id: uuid.UUID) -> list[Row]:
        query = sa.select(cases).where(
            cases.c.person_id == person_id,
            cases.c.kind == "community_correction",
            cases.c.status == "under_supervision",
        )
        return list((await self.conn.execute(query)).mappings())

    async def report_intake(
        self, person_id: uuid.UUID, at: datetime, recorded_by: str, note: str | None
    ) -> list[uuid.UUID]:
        """The person reported (报到): their cases awaiting intake are under supervision from now."""
        reported = await self.conn.execute(
            sa.update(cases)
            .where(cases.c.person_id == person_id, cases.c.status == "awaiting_intake")
            .values(status="under_supervision", intake_reported_at=at, intake_recorded_by=recorded_by, intake_note=note)
            .returning(cases.c.case_id)
        )
        return list(reported.scalars())

    async def close_case(self, case_id: uuid.UUID, outcome: str, at: datetime) -> Row | None:
        """Close an active case at `at`; its person, office, kind, masked identity, source and term,
        or None when it was not active."""
        closed = await self.conn.execute(
            sa.update(cases)
            .where(cases.c.case_id == case_id, cases.c.status.in_(ACTIVE))
            .values(status=outcome, closed_at=at)
            .returning(
                cases.c.person_id,
                cases.c.jurisdiction,
                cases.c.kind,
                cases.c.person_masked,
                cases.c.source_ref,
                cases.c.term_start,
                cases.c.term_end,
            )
        )
        row = closed.mappings().first()
        if row is not None:  # its 挂牌转化 ends with it (services/supervision/conversions.py)
            await self.conn.execute(
                sa.update(conversions)
                .where(conversions.c.case_id == case_id, conversions.c.closed_at.is_(None))
                .values(closed_at=at, closed_by="system", outcome="case_closed", close_note=outcome)
            )
        return row

    async def set_risk(self, person_id: uuid.UUID, level: str) -> list[uuid.UUID]:
        """The latest risk result on the person's active cases; their ids."""
        updated = await self.conn.execute(
            sa.update(cases)
            .where(cases.c.person_id == person_id, cases.c.status.in_(ACTIVE))
            .values(risk_level=level)
            .returning(cases.c.case_id)
        )
        return list(updated.scalars())

    async def set_level(self, case_id: uuid.UUID, level: str) -> None:
        await self.conn.execute(sa.update(cases).where(cases.c.case_id == case_id).values(level=level))

    async def add_proposal(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(sanction_proposals).values(**values))

    async def proposal(self, proposal_id: uuid.UUID) -> Row | None:
        return await locked(self.conn, sanction_proposals, proposal_id)

    async def decide_proposal(self, proposal_id: uuid.UUID, **values: Any) -> None:
        await update_row(self.conn, sanction_proposals, proposal_id, **values)

    async def add_plan(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(correction_plans).values(**values))

    async def plan(self, plan_id: uuid.UUID) -> Row | None:
        return await locked(self.conn, correction_plans, plan_id)

    async def approve_plan(self, plan_id: uuid.UUID, by: str, at: datetime) -> None:
        await update_row(self.conn, correction_plans, plan_id, approved_by=by, approved_at=at)

    async def plan_facts(self, case_id: uuid.UUID, person_id: uuid.UUID) -> dict[str, datetime | None]:
        """When the case's person reported for intake, its plan was last approved, and its level last
        changed (domain/plans.py judges from these)."""
        t = timeline.c

        async def last(event_type: str) -> datetime | None:
            query = sa.select(sa.func.max(t.occurred_at)).where(
                t.person_id == person_id, t.event_type == event_type, t.summary["case_id"].astext == str(case_id)
            )
            return await self.conn.scalar(query)

        approved = await self.conn.scalar(
            sa.select(sa.func.max(correction_plans.c.approved_at)).where(correction_plans.c.case_id == case_id)
        )
        return {
            "intake_at": await last("sps.supervision.intake-reported"),
            "approved_at": approved,
            "level_changed_at": await last("sps.supervision.level-changed"),
        }

    async def add_help_request(self, **values: Any) -> bool:
        """A help request, once (an app report's id is its event's)."""
        return await insert_once(self.conn, help_requests, values)

    async def help_request(self, request_id: uuid.UUID) -> Row | None:
        return await locked(self.conn, help_requests, request_id)

    async def update_help_request(self, request_id: uuid.UUID, **values: Any) -> None:
        await update_row(self.conn, help_requests, request_id, **values)

    async def add_hours(self, **values: Any) -> bool:
        """One entry of study or service time, once (an app report's entry id is its event's)."""
        return await insert_once(self.conn, programme_hours, values)

    async def hours_entry(self, entry_id: uuid.UUID) -> Row | None:
        return await locked(self.conn, programme_hours, entry_id)

    async def confirm_hours(self, entry_id: uuid.UUID, by: str, at: datetime) -> None:
        await update_row(self.conn, programme_hours, entry_id, confirmed_by=by, confirmed_at=at)

    async def hours_between(self, first: date, after: date, case_id: uuid.UUID | None = None) -> list[Row]:
        """Confirmed minutes per case and kind with days in [first, after); every case's or one's."""
        h = programme_hours.c
        query = (
            sa.select(h.case_id, h.kind, sa.func.sum(h.minutes).label("minutes"))
            .where(h.on >= first, h.on < after, h.confirmed_at.isnot(None))
            .group_by(h.case_id, h.kind)
        )
        if case_id is not None:
            query = query.where(h.case_id == case_id)
        return list((await self.conn.execute(query)).mappings())

    async def keep_hours_judgement(self, **values: Any) -> None:
        """A case's month judged. A re-run that comes to another verdict replaces it (time confirmed
        since); one that comes to the same keeps the first, with its time."""
        keep = {k: v for k, v in values.items() if k not in ("case_id", "month")}
        statement = pg_insert(hours_judgements).values(**values)
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["case_id", "month"], set_=keep, where=hours_judgements.c.met != statement.excluded.met
            )
        )

    async def hours_judgement(self, case_id: uuid.UUID, month: str) -> Row | None:
        query = sa.select(hours_judgements).where(
            hours_judgements.c.case_id == case_id, hours_judgements.c.month == month
        )
        return (await self.conn.execute(query)).mappings().first()

    async def level_changes(self, person_id: uuid.UUID, case_id: uuid.UUID, since: datetime) -> list[LevelChange]:
        """The case's level changes on the person's file from `since` on, oldest first."""
        t = timeline.c
        query = (
            sa.select(t.occurred_at, t.summary)
            .where(
                t.person_id == person_id,
                t.event_type == "sps.supervision.level-changed",
                t.summary["case_id"].astext == str(case_id),
                t.occurred_at >= since,
            )
            .order_by(t.occurred_at)
        )
        return [
            LevelChange(at, summary["level"], summary.get("previous")) for at, summary in await self.conn.execute(query)
        ]

    async def judged_cases(self, first: date) -> list[Row]:
        """Corrections cases under supervision whose term began by `first` (a whole month to judge)."""
        query = sa.select(
            cases.c.case_id, cases.c.person_id, cases.c.jurisdiction, cases.c.level, cases.c.term_start
        ).where(
            cases.c.kind == "community_correction", cases.c.status == "under_supervision", cases.c.term_start <= first
        )
        return list((await self.conn.execute(query)).mappings())

    async def sanction_counts(self, case_id: uuid.UUID) -> dict[str, int]:
        query = (
            sa.select(sanctions.c.kind, sa.func.count())
            .where(sanctions.c.case_id == case_id)
            .group_by(sanctions.c.kind)
        )
        return {kind: n for kind, n in await self.conn.execute(query)}

    async def sanction_evidence(self, case_id: uuid.UUID, person_id: uuid.UUID, since: datetime) -> SanctionEvidence:
        """What sanction suggestions weigh for a case opened at `since` (domain/sanctions.py): its
        sanctions, its episodes of 脱管 (contact lost, and the first sign of life after), and the
        exclusion zones entered."""
        given = await self.conn.execute(
            sa.select(sanctions.c.kind, sanctions.c.recorded_at).where(sanctions.c.case_id == case_id)
        )
        lost = await self.conn.execute(
            sa.select(contact_checks.c.cause, contact_checks.c.opened_at).where(
                contact_checks.c.case_id == case_id, contact_checks.c.outcome.in_(LOST)
            )
        )
        episodes = []
        for cause, opened_at in lost:
            last_seen = datetime.fromisoformat(cause.partition(":")[2])
            episodes.append(Absconding(last_seen, await self._first_sign_of_life(person_id, opened_at)))
        return SanctionEvidence(
            sanctions=[(kind, at) for kind, at in given],
            absconding=episodes,
            prohibition_breaches=await self._recorded_at(person_id, "sps.supervision.exclusion-zone-entered", since),
            short_months=await self._short_months(case_id, since),
        )

    async def _short_months(self, case_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When each month still judged short was first judged so (a month lifted by late time is not)."""
        h = hours_judgements.c
        query = sa.select(h.judged_at).where(h.case_id == case_id, h.met.is_(False), h.judged_at >= since)
        return list((await self.conn.execute(query)).scalars())

    async def _recorded_at(self, person_id: uuid.UUID, event_type: str, since: datetime) -> list[datetime]:
        query = sa.select(timeline.c.occurred_at).where(
            timeline.c.person_id == person_id, timeline.c.event_type == event_type, timeline.c.occurred_at >= since
        )
        return list((await self.conn.execute(query)).scalars())

    async def _first_sign_of_life(self, person_id: uuid.UUID, after: datetime) -> datetime | None:
        """The first fix, check-in or reached contact after `after`: when 脱管 ended."""
        fix = sa.select(sa.func.min(track_points.c.recorded_at)).where(
            track_points.c.person_id == person_id, track_points.c.recorded_at > after
        )
        checkin = sa.select(sa.func.min(timeline.c.occurred_at)).where(
            timeline.c.person_id == person_id,
            timeline.c.event_type == "sps.ingest.checkin",
            timeline.c.occurred_at > after,
        )
        reached = sa.select(sa.func.min(contact_checks.c.recorded_at)).where(
            contact_checks.c.person_id == person_id,
            contact_checks.c.outcome == "reached",
            contact_checks.c.recorded_at > after,
        )
        times = [await self.conn.scalar(q) for q in (fix, checkin, reached)]
        return min((t for t in times if t is not None), default=None)

    async def position(self, person_id: uuid.UUID) -> Row | None:
        """The person's committed zone state (last fix, outside or not)."""
        query = sa.select(zone_state).where(zone_state.c.person_id == person_id)
        return (await self.conn.execute(query)).mappings().first()

    async def save_positions(self, rows: list[tuple[Any, ...]]) -> None:
        """One upsert of every person's zone state and last position a poll changed (ZONE_COLUMNS)."""
        await _ZONE_UPSERT.execute(self.conn, rows)

    async def save_checkpoint(self, group_id: str, topic: str, offsets: dict[int, int]) -> None:
        """The next offsets per partition that the persisted positions cover (positions.py)."""
        if not offsets:
            return
        stmt = insert(stream_checkpoints).values(
            [
                {
                    "group_id": group_id,
                    "topic": topic,
                    "partition": p,
                    "next_offset": o,
                    "checkpointed_at": sa.func.now(),
                }
                for p, o in sorted(offsets.items())
            ]
        )
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["group_id", "topic", "partition"],
                set_={"next_offset": stmt.excluded.next_offset, "checkpointed_at": stmt.excluded.checkpointed_at},
            )
        )

    async def add_track_points(self, rows: list[tuple[Any, ...]]) -> None:
        """The day track's kept fixes (person, time, lon, lat, accuracy, outside), one statement."""
        await _TRACK_INSERT.execute(self.conn, rows)

    async def cancel_prefix(self, prefix: str) -> None:
        await cancel_prefix(self.uow, prefix)

    async def push_back(self, rows: list[dict[str, Any]]) -> None:
        """Move watchdog deadlines on (never back), one statement for them all."""
        await push_back_many(self.uow, rows)

    async def arm(self, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> None:
        """Arm a deadline unless it is armed already (one that fired is armed again)."""
        await arm(self.uow, key, kind, due_at, payload)

    # --- contact checks (失联核查, docs/domain.md §1) ----------------------------------------------------

    async def open_contact_check(self, **values: Any) -> bool:
        """A new check; False if this cause (this window) already has one."""
        inserted = await self.conn.execute(
            insert(contact_checks).values(**values).on_conflict_do_nothing().returning(contact_checks.c.check_id)
        )
        return inserted.scalar() is not None

    async def open_check_of(self, person_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
        """The person's newest check with no result yet."""
        query = (
            sa.select(contact_checks)
            .where(contact_checks.c.person_id == person_id, contact_checks.c.outcome.is_(None))
            .order_by(contact_checks.c.opened_at.desc())
            .limit(1)
        )
        if for_update:
            query = query.with_for_update()
        return (await self.conn.execute(query)).mappings().first()

    async def contact_check(self, check_id: uuid.UUID) -> Row | None:
        query = sa.select(contact_checks).where(contact_checks.c.check_id == check_id).with_for_update()
        return (await self.conn.execute(query)).mappings().first()

    async def close_contact_check(
        self, check_id: uuid.UUID, outcome: str, at: datetime, by: str | None, note: str | None
    ) -> None:
        await self.conn.execute(
            sa.update(contact_checks)
            .where(contact_checks.c.check_id == check_id)
            .values(outcome=outcome, recorded_at=at, recorded_by=by, note=note)
        )

    # --- fixes before their case (docs/domain.md §1) ---------------------------------------------------

    async def park_fix(
        self,
        event_id: uuid.UUID,
        person_id: uuid.UUID,
        recorded_at: datetime,
        parked_at: datetime,
        envelope: dict[str, Any],
    ) -> None:
        await self.conn.execute(
            insert(parked_fixes)
            .values(
                event_id=event_id, person_id=person_id, recorded_at=recorded_at, parked_at=parked_at, envelope=envelope
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
        )

    async def unpark_fixes(self, person_id: uuid.UUID, parked_by: datetime | None = None) -> list[dict[str, Any]]:
        """Take the person's parked fixes (those parked by `parked_by`, or all), oldest fix first."""
        if parked_by is None:
            rows = await self.conn.execute(_UNPARK, {"person_id": person_id})
        else:
            rows = await self.conn.execute(_UNPARK_BY, {"person_id": person_id, "parked_by": parked_by})
        return [r.envelope for r in sorted(rows, key=lambda r: r.recorded_at)]

    async def first_parked_at(self, person_id: uuid.UUID) -> datetime | None:
        query = sa.select(sa.func.min(parked_fixes.c.parked_at)).where(parked_fixes.c.person_id == person_id)
        return await self.conn.scalar(query)

    # --- leaves and sanctions ------------------------------------------------------------------------

    async def add_leave(self, leave: LeaveApproved | LeaveRequested, reason: str) -> None:
        """An approved leave, or an application waiting for its decision (status requested)."""
        kept = leave.model_dump(include={"leave_id", "person_id", "case_id", "starts_at", "ends_at", "destination"})
        if isinstance(leave, LeaveRequested):
            decided: dict[str, Any] = {"status": "requested", "requested_by": leave.requested_by}
        else:
            decided = {"approved_by": leave.approved_by, "approval_level": leave.approval_level}
        await self.conn.execute(sa.insert(leaves).values(**kept, reason=reason, **decided))

    async def leave(self, leave_id: uuid.UUID) -> dict[str, Any] | None:
        """One leave, locked for the decision or return that reads it."""
        row = await locked(self.conn, leaves, leave_id)
        return dict(row) if row else None

    async def update_leave(self, leave_id: uuid.UUID, **values: Any) -> None:
        await update_row(self.conn, leaves, leave_id, **values)

    async def add_sanction(self, **values: Any) -> int:
        """Insert a sanction; the case's count of that kind, this one included."""
        await self.conn.execute(sa.insert(sanctions).values(**values))
        return int(
            await self.conn.scalar(
                sa.select(sa.func.count())
                .select_from(sanctions)
                .where(sanctions.c.case_id == values["case_id"], sanctions.c.kind == values["kind"])
            )
            or 0
        )

    async def sanction(self, sanction_id: uuid.UUID) -> dict[str, Any] | None:
        """One sanction (a revocation proposal with its ruling), locked for the ruling that reads it."""
        row = await locked(self.conn, sanctions, sanction_id)
        return dict(row) if row else None

    async def rule(self, sanction_id: uuid.UUID, ruling: str, ruled_at: datetime, ruling_no: str) -> None:
        await update_row(self.conn, sanctions, sanction_id, ruling=ruling, ruled_at=ruled_at, ruling_no=ruling_no)

    # --- electronic positioning ----------------------------------------------------------------------

    async def active_positioning(self, case_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.scalar(
            sa.select(positioning_orders.c.positioning_id).where(
                positioning_orders.c.case_id == case_id, positioning_orders.c.status == "active"
            )
        )

    async def add_positioning(self, order: PositioningStarted) -> None:
        """A new, active positioning order (电子定位) as approved."""
        await self.conn.execute(
            sa.insert(positioning_orders).values(
                positioning_id=order.positioning_id,
                person_id=order.person_id,
                case_id=order.case_id,
                ground=order.ground,
                approved_by=order.approved_by,
                device_id=order.device_id,
                starts_on=order.starts_on,
                ends_on=order.ends_on,
                status="active",
            )
        )

    async def positioning(self, positioning_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
        """The positioning order with its case's office (locked for a renewal when asked)."""
        query = (
            sa.select(positioning_orders, cases.c.jurisdiction)
            .join(cases, cases.c.case_id == positioning_orders.c.case_id)
            .where(positioning_orders.c.positioning_id == positioning_id)
        )
        if for_update:
            query = query.with_for_update(of=positioning_orders)
        return (await self.conn.execute(query)).mappings().first()

    async def end_positioning(self, positioning_id: uuid.UUID) -> None:
        await self.conn.execute(
            sa.update(positioning_orders)
            .where(positioning_orders.c.positioning_id == positioning_id)
            .values(status="ended")
        )

    async def extend_positioning(
        self, positioning_id: uuid.UUID, ends_on: date, renewals: Sequence[dict[str, Any]]
    ) -> None:
        await self.conn.execute(
            sa.update(positioning_orders)
            .where(positioning_orders.c.positioning_id == positioning_id)
            .values(ends_on=ends_on, renewals=list(renewals))
        )

    # --- aftercare, trips and the team ---------------------------------------------------------------

    async def add_followup(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(followups).values(**values))

    async def followups(self, case_id: uuid.UUID) -> list[Followup]:
        rows = (
            await self.conn.execute(
                sa.select(followups.c.kind, followups.c.at, followups.c.drug_test, followups.c.police_record).where(
                    followups.c.case_id == case_id
                )
            )
        ).all()
        return [Followup(r.kind, r.at, r.drug_test, r.police_record) for r in rows]

    async def trips(self, case_id: uuid.UUID) -> list[Trip]:
        query = sa.select(trips.c.leaves_on, trips.c.returns_on, trips.c.reported).where(trips.c.case_id == case_id)
        return [Trip((r.returns_on - r.leaves_on).days + 1, r.reported) for r in await self.conn.execute(query)]

    async def add_trip(self, **values: Any) -> list[Trip]:
        """Insert a trip; the case's trips (their days away, and whether reported), this one included."""
        await self.conn.execute(sa.insert(trips).values(**values))
        return await self.trips(values["case_id"])

    async def replace_team(self, case_id: uuid.UUID, members: Sequence[dict[str, Any]]) -> None:
        await self.conn.execute(sa.delete(team_members).where(team_members.c.case_id == case_id))
        if members:
            await self.conn.execute(sa.insert(team_members), [{"case_id": case_id, **m} for m in members])

    async def team_accounts(self, case_id: uuid.UUID) -> list[str]:
        """The 协矫通 accounts on the case's correction team."""
        query = sa.select(team_members.c.account).where(
            team_members.c.case_id == case_id, team_members.c.account.isnot(None)
        )
        return [r.account for r in await self.conn.execute(query)]

    async def team_cases(self, account: str) -> list[Row]:
        """The active cases whose correction team names `account`, with the member's role on each."""
        query = (
            sa.select(cases, team_members.c.role.label("team_role"))
            .join(team_members, team_members.c.case_id == cases.c.case_id)
            .where(team_members.c.account == account, cases.c.status.in_(ACTIVE))
            .order_by(cases.c.opened_at)
        )
        return list((await self.conn.execute(query)).mappings())

    async def hours_entries(self, case_id: uuid.UUID, first: date, after: date) -> list[Row]:
        """Every entry of time of the case with a day in [first, after), confirmed or waiting."""
        h = programme_hours.c
        query = (
            sa.select(programme_hours)
            .where(h.case_id == case_id, h.on >= first, h.on < after)
            .order_by(h.on, h.recorded_at)
        )
        return list((await self.conn.execute(query)).mappings())

    async def file_entries(self, person_id: uuid.UUID, event_type: str, limit: int) -> list[Row]:
        """The newest `limit` entries of one type on the person's file, newest first."""
        query = (
            sa.select(timeline.c.event_id, timeline.c.occurred_at, timeline.c.summary)
            .where(timeline.c.person_id == person_id, timeline.c.event_type == event_type)
            .order_by(timeline.c.occurred_at.desc(), timeline.c.id.desc())
            .limit(limit)
        )
        return list((await self.conn.execute(query)).mappings())

    # --- social forces (社会力量) ------------------------------------------------------------------------

    async def add_social_force(self, values: Mapping[str, Any]) -> None:
        await insert_once(self.conn, social_forces, values)

    async def social_force(self, force_id: uuid.UUID) -> Row | None:
        return await locked(self.conn, social_forces, force_id)

    async def social_force_left(self, force_id: uuid.UUID, on: date) -> None:
        await update_row(self.conn, social_forces, force_id, left_on=on)

    async def add_service_time(self, values: Mapping[str, Any]) -> None:
        await insert_once(self.conn, social_force_hours, values)

    # --- the monthly key-person lists ----------------------------------------------------------------

    async def offices_unconfirmed(self, month: str) -> list[str]:
        """The offices with corrections under supervision and no confirmed list for `month`."""
        c = cases.c
        confirmed = sa.select(key_person_lists.c.office).where(key_person_lists.c.month == month)
        query = sa.select(sa.distinct(c.jurisdiction)).where(
            c.kind == "community_correction", c.status == "under_supervision", c.jurisdiction.not_in(confirmed)
        )
        return sorted(office for (office,) in await self.conn.execute(query))

    async def open_conversion(self, case_id: uuid.UUID) -> dict[str, Any] | None:
        """The case's conversion not yet ended (挂牌转化), locked for the step that changes it."""
        query = (
            sa.select(conversions)
            .where(conversions.c.case_id == case_id, conversions.c.closed_at.is_(None))
            .with_for_update()
        )
        row = (await self.conn.execute(query)).mappings().first()
        return None if row is None else dict(row)

    async def add_conversion(self, values: dict[str, Any]) -> bool:
        """A conversion opened; False when the case has one open already."""
        statement = pg_insert(conversions).values(**values).on_conflict_do_nothing()
        return (await self.conn.execute(statement)).rowcount > 0

    async def update_conversion(self, conversion_id: uuid.UUID, **values: Any) -> None:
        await update_row(self.conn, conversions, conversion_id, **values)

    async def confirmed_list(self, office: str, month: str) -> Row | None:
        return (
            (
                await self.conn.execute(
                    sa.select(key_person_lists).where(
                        key_person_lists.c.office == office, key_person_lists.c.month == month
                    )
                )
            )
            .mappings()
            .first()
        )

    async def add_list(
        self,
        office: str,
        month: str,
        confirmed_by: str,
        confirmed_at: datetime,
        persons: list[dict[str, Any]],
        removed: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Insert the month's list; False if it was confirmed already."""
        values = dict(office=office, month=month, confirmed_by=confirmed_by, confirmed_at=confirmed_at)
        inserted = await self.conn.execute(
            pg_insert(key_person_lists)
            .values(**values, persons=persons, removed=removed or [])
            .on_conflict_do_nothing()
            .returning(key_person_lists.c.office)
        )
        return inserted.scalar() is not None

    async def candidates(self, office: str, start: datetime, end: datetime) -> list[Candidate]:
        """The office's community-correction persons with their risk and the month's behaviour."""
        return await candidates(self.conn, office, start, end)


# Signals that count toward a key-person determination (red or orange in the alert policy).
SERIOUS_SIGNALS = (
    "sps.supervision.zone-exited",
    "sps.supervision.exclusion-zone-entered",
    "sps.supervision.device-tampered",
    "sps.supervision.contact-lost",
    "sps.supervision.intake-missed",
    "sps.supervision.leave-overdue",
)


async def candidates(conn: AsyncConnection, office: str, start: datetime, end: datetime) -> list[Candidate]:
    active = (
        await conn.execute(
            sa.select(cases.c.person_id, cases.c.risk_level).where(
                cases.c.jurisdiction == office,
                cases.c.kind == "community_correction",
                cases.c.status == "under_supervision",
            )
        )
    ).all()
    ids = [r.person_id for r in active]
    sanction_counts: dict[uuid.UUID, int] = {
        person_id: n
        for person_id, n in await conn.execute(
            sa.select(sanctions.c.person_id, sa.func.count())
            .where(sanctions.c.person_id.in_(ids), sanctions.c.recorded_at >= start, sanctions.c.recorded_at < end)
            .group_by(sanctions.c.person_id)
        )
    }
    alert_counts: dict[uuid.UUID, int] = {
        person_id: n
        for person_id, n in await conn.execute(
            sa.select(timeline.c.person_id, sa.func.count())
            .where(
                timeline.c.person_id.in_(ids),
                timeline.c.event_type.in_(SERIOUS_SIGNALS),
                timeline.c.occurred_at >= start,
                timeline.c.occurred_at < end,
            )
            .group_by(timeline.c.person_id)
        )
    }
    return [
        Candidate(r.person_id, r.risk_level, sanction_counts.get(r.person_id, 0), alert_counts.get(r.person_id, 0))
        for r in active
    ]
