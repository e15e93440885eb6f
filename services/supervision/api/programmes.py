"""Electronic positioning, aftercare follow-ups, trips, the correction team and the monthly
key-person determination, as staff record them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.supervision.adapters.tables import (cases, followups, key_person_lists, positioning_orders, sanctions,
                                                  team_members, timeline, trips)
from services.supervision.api.cases import _active_case, _jsonable
from services.supervision.domain.aftercare import Followup, abstinent, serious_breach, trip_needs_report
from services.supervision.domain.keypersons import Candidate, determine, newly_determined, previous_month
from services.supervision.domain.positioning import GROUNDS, PositioningRefused, first_term, renewal
from services.supervision.domain.team import Member, TeamRefused, check_team
from shared import staff_steps as steps
from shared import topics
from shared.envelope import new_event
from shared.events import (FollowupRecorded, KeyPersonEntry, KeyPersonNewlyDetermined, KeyPersonsDetermined,
                           PositioningStarted, SeparationReported)
from shared.http import ProblemError
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])
SERIOUS_SIGNALS = ("sps.supervision.zone-exited", "sps.supervision.exclusion-zone-entered",
                   "sps.supervision.device-tampered", "sps.supervision.contact-lost", "sps.supervision.intake-missed",
                   "sps.supervision.leave-overdue")


class Staff(BaseModel):
    actor: str = Field(min_length=1, max_length=64)
    role: str
    jurisdiction: str


def _refused(exc: Exception, field: str) -> ProblemError:
    return ProblemError(422, "Request is not valid", str(exc), errors=[{"field": field, "message": str(exc)}])


def _own(case, staff: Staff) -> None:
    if staff.jurisdiction != "county" and staff.jurisdiction != case["jurisdiction"]:
        raise ProblemError(403, "Forbidden", f"this case belongs to {case['jurisdiction']}")


async def _own_active_case(uow, person_id: uuid.UUID, staff: Staff):
    """The person's active case, if this member of staff may act on it (their office, or the county)."""
    case = await _active_case(uow.conn, person_id)
    _own(case, staff)
    return case


# --- electronic positioning (电子定位) ---------------------------------------------------------------

class PositioningIn(Staff, steps.Positioning):
    pass


class RenewalIn(Staff, steps.Renewal):
    pass


@router.get("/positioning-grounds")
async def positioning_grounds() -> dict:
    return GROUNDS


@router.post("/persons/{person_id}/positioning", status_code=201)
async def start_positioning(person_id: uuid.UUID, body: PositioningIn, request: Request) -> dict:
    handlers = request.app.state.handlers
    async with request.app.state.runtime.uow() as uow:
        case = await _own_active_case(uow, person_id, body)
        if case["kind"] != "community_correction":
            raise ProblemError(409, "Conflict", "electronic positioning applies to community corrections only")
        active = await uow.conn.scalar(sa.select(positioning_orders.c.positioning_id).where(
            positioning_orders.c.case_id == case["case_id"], positioning_orders.c.status == "active"))
        if active:
            raise ProblemError(409, "Conflict", f"positioning {active} is active: renew it instead")
        try:
            term = first_term(ground=body.ground, approver_role=body.role,
                              starts_on=body.starts_on or datetime.now(UTC).date(), policy=handlers.policy.positioning)
        except PositioningRefused as exc:
            raise _refused(exc, exc.field) from None
        positioning_id = uuid.uuid4()
        await uow.conn.execute(sa.insert(positioning_orders).values(
            positioning_id=positioning_id, person_id=person_id, case_id=case["case_id"], ground=body.ground,
            approved_by=body.actor, device_id=body.device_id, starts_on=term.starts_on, ends_on=term.ends_on,
            status="active"))
        await uow.conn.execute(sa.update(cases).where(cases.c.case_id == case["case_id"])
                               .values(electronic_monitoring=True))
        await handlers.schedule_positioning(uow, positioning_id, term.notice_on, term.ends_on)
        data = PositioningStarted(positioning_id=positioning_id, person_id=person_id, case_id=case["case_id"],
                                  jurisdiction=case["jurisdiction"], ground=body.ground, approved_by=body.actor,
                                  device_id=body.device_id, starts_on=term.starts_on, ends_on=term.ends_on)
        await handlers._publish(uow, "sps.supervision.positioning-started", data, person_id, None, datetime.now(UTC))
    return {**data.model_dump(mode="json"), "notice_on": term.notice_on.isoformat()}


@router.post("/positioning/{positioning_id}/renew")
async def renew_positioning(positioning_id: uuid.UUID, body: RenewalIn, request: Request) -> dict:
    handlers = request.app.state.handlers
    async with request.app.state.runtime.uow() as uow:
        row = (await uow.conn.execute(sa.select(positioning_orders, cases.c.jurisdiction).join(
            cases, cases.c.case_id == positioning_orders.c.case_id).where(
            positioning_orders.c.positioning_id == positioning_id).with_for_update(of=positioning_orders))
        ).mappings().first()
        if row is None:
            raise ProblemError(404, "Not Found", f"no positioning {positioning_id}")
        _own(row, body)
        if row["status"] != "active":
            raise ProblemError(409, "Conflict", "this positioning has ended: start a new one on a legal ground")
        try:
            term = renewal(current_end=row["ends_on"], reviewed=True, review_note=body.review_note,
                           approver_role=body.role, policy=handlers.policy.positioning)
        except PositioningRefused as exc:
            raise _refused(exc, exc.field) from None
        renewals = [*row["renewals"], {"from": row["ends_on"].isoformat(), "to": term.ends_on.isoformat(),
                                       "review_note": body.review_note, "approved_by": body.actor}]
        await uow.conn.execute(sa.update(positioning_orders).where(
            positioning_orders.c.positioning_id == positioning_id).values(ends_on=term.ends_on, renewals=renewals))
        await handlers.schedule_positioning(uow, positioning_id, term.notice_on, term.ends_on)
        data = PositioningStarted(positioning_id=positioning_id, person_id=row["person_id"], case_id=row["case_id"],
                                  jurisdiction=row["jurisdiction"], ground=row["ground"], approved_by=body.actor,
                                  device_id=row["device_id"], starts_on=term.starts_on, ends_on=term.ends_on,
                                  renewal=len(renewals))
        await handlers._publish(uow, "sps.supervision.positioning-started", data, row["person_id"], None,
                                datetime.now(UTC))
    return {**data.model_dump(mode="json"), "notice_on": term.notice_on.isoformat()}


# --- aftercare follow-ups (后续照管) and community-rehabilitation trips -------------------------------

class FollowupIn(Staff, steps.Followup):
    pass


@router.post("/persons/{person_id}/followups", status_code=201)
async def record_followup(person_id: uuid.UUID, body: FollowupIn, request: Request) -> dict:
    """A phone call or visit; it moves that kind's next due date on."""
    handlers = request.app.state.handlers
    async with request.app.state.runtime.uow() as uow:
        case = await _own_active_case(uow, person_id, body)
        if case["kind"] != "aftercare":
            raise ProblemError(409, "Conflict", "follow-ups are for aftercare cases (后续照管)")
        followup_id = uuid.uuid4()
        await uow.conn.execute(sa.insert(followups).values(
            followup_id=followup_id, person_id=person_id, case_id=case["case_id"], kind=body.kind, at=body.at,
            drug_test=body.drug_test, police_record=body.police_record, note=body.note, recorded_by=body.actor))
        history = (await uow.conn.execute(sa.select(followups.c.kind, followups.c.at, followups.c.drug_test,
                                                    followups.c.police_record)
                                          .where(followups.c.case_id == case["case_id"]))).all()
        still = abstinent([Followup(r.kind, r.at, r.drug_test, r.police_record) for r in history])
        latest = await handlers.last_followup(uow, case["case_id"], body.kind)
        await handlers.schedule_followups(uow, case["case_id"], person_id, latest, (body.kind,))
        data = FollowupRecorded(followup_id=followup_id, person_id=person_id, case_id=case["case_id"], kind=body.kind,
                                at=body.at, drug_test=body.drug_test, police_record=body.police_record,
                                abstinent=still)
        await handlers._publish(uow, "sps.supervision.followup-recorded", data, person_id, None, body.at)
    return data.model_dump(mode="json")


class TripIn(Staff, steps.Trip):
    pass


@router.post("/persons/{person_id}/trips", status_code=201)
async def record_trip(person_id: uuid.UUID, body: TripIn, request: Request) -> dict:
    """A trip out of the county in community rehabilitation; long trips need a written report."""
    policy = request.app.state.handlers.policy.aftercare
    if body.returns_on < body.leaves_on:
        raise ProblemError(422, "Request is not valid", "returns_on is before leaves_on",
                           errors=[{"field": "returns_on", "message": "before leaves_on"}])
    async with request.app.state.runtime.uow() as uow:
        case = await _own_active_case(uow, person_id, body)
        days = (body.returns_on - body.leaves_on).days + 1
        needs_report = trip_needs_report(days, policy)
        await uow.conn.execute(sa.insert(trips).values(
            trip_id=uuid.uuid4(), person_id=person_id, case_id=case["case_id"], leaves_on=body.leaves_on,
            returns_on=body.returns_on, destination=body.destination, reported=body.reported or not needs_report,
            recorded_by=body.actor))
        rows = (await uow.conn.execute(sa.select(trips.c.reported).where(trips.c.case_id == case["case_id"]))).all()
    unreported = sum(1 for r in rows if not r.reported)
    return {"days": days, "needs_report": needs_report, "unreported_trips": unreported,
            "serious_breach": serious_breach(unreported, policy)}


# --- the end of a case, and 人机分离 reports -----------------------------------------------------------

class CloseIn(Staff, steps.Close):
    pass


@router.post("/persons/{person_id}/close")
async def close_case(person_id: uuid.UUID, body: CloseIn, request: Request) -> dict:
    """收监 (revoked by the court) or transferred to another county; the term's end closes by itself."""
    if body.role not in ("supervisor", "bureau_head"):
        raise ProblemError(403, "Forbidden", "a case is closed by a county supervisor or the bureau head")
    async with request.app.state.runtime.uow() as uow:
        case = await _active_case(uow.conn, person_id)
        data = await request.app.state.handlers.close_case(uow, case["case_id"], body.outcome, body.reason,
                                                            body.actor)
    return data.model_dump(mode="json") if data else {}


class SeparationIn(Staff, steps.Separation):
    pass


@router.post("/persons/{person_id}/separations", status_code=201)
async def report_separation(person_id: uuid.UUID, body: SeparationIn, request: Request) -> dict:
    """人机分离 found on a check: counted per case; at the policy's count a warning is due."""
    handlers = request.app.state.handlers
    async with request.app.state.runtime.uow() as uow:
        case = await _own_active_case(uow, person_id, body)
        before = await uow.conn.scalar(sa.select(sa.func.count()).select_from(timeline).where(
            timeline.c.person_id == person_id, timeline.c.event_type == "sps.supervision.separation-reported",
            timeline.c.occurred_at >= case["opened_at"]))
        count = before + 1
        data = SeparationReported(person_id=person_id, case_id=case["case_id"], jurisdiction=case["jurisdiction"],
                                  cause=f"separation:{case['case_id']}:{count}", observed_at=body.observed_at,
                                  evidence=[body.note[:200]], count=count,
                                  warning_due=count >= handlers.policy.devices.separations_before_warning)
        await handlers._publish(uow, "sps.supervision.separation-reported", data, person_id, None, body.observed_at)
    return data.model_dump(mode="json")


# --- correction team (矫正小组) --------------------------------------------------------------------

class TeamIn(Staff, steps.Team):
    pass


@router.put("/persons/{person_id}/team")
async def set_team(person_id: uuid.UUID, body: TeamIn, request: Request) -> dict:
    async with request.app.state.runtime.uow() as uow:
        case = await _own_active_case(uow, person_id, body)
        members = [Member(m.name, m.role, m.sex) for m in body.members]
        try:
            check_team(case["person_masked"].get("sex", ""), members)
        except TeamRefused as exc:
            raise _refused(exc, "members") from None
        await uow.conn.execute(sa.delete(team_members).where(team_members.c.case_id == case["case_id"]))
        await uow.conn.execute(sa.insert(team_members), [
            {"case_id": case["case_id"], **m.model_dump()} for m in body.members])
        await uow.conn.execute(sa.insert(timeline).values(
            person_id=person_id, event_id=uuid.uuid4(), event_type="sps.supervision.team-set",
            occurred_at=datetime.now(UTC), summary={"members": len(members), "by": body.actor}))
    return {"case_id": str(case["case_id"]), "members": [m.model_dump() for m in body.members]}


@router.get("/persons/{person_id}/programmes")
async def programmes(person_id: uuid.UUID, request: Request) -> dict:
    """Level, electronic positioning, follow-ups, trips and team of the person's cases."""
    async with request.app.state.runtime.engine.connect() as conn:
        case_rows = (await conn.execute(sa.select(cases.c.case_id, cases.c.kind, cases.c.level, cases.c.risk_level,
                                                  cases.c.community_rehabilitation)
                                        .where(cases.c.person_id == person_id))).mappings().all()
        ids = [c["case_id"] for c in case_rows]

        async def rows(table, order):
            return [_jsonable(r) for r in (await conn.execute(
                sa.select(table).where(table.c.case_id.in_(ids)).order_by(order))).mappings().all()]
        return {"cases": [_jsonable(c) for c in case_rows],
                "positioning": await rows(positioning_orders, positioning_orders.c.starts_on),
                "followups": await rows(followups, followups.c.at), "trips": await rows(trips, trips.c.leaves_on),
                "team": await rows(team_members, team_members.c.name)}


# --- the monthly key-person determination (一月一认定) -------------------------------------------------

def _month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ProblemError(422, "Request is not valid", "month must be YYYY-MM",
                           errors=[{"field": "month", "message": "YYYY-MM"}]) from None
    return start, (start + timedelta(days=32)).replace(day=1)


async def _proposal(conn, office: str, month: str, policy) -> list:
    start, end = _month_bounds(month)
    active = (await conn.execute(sa.select(cases.c.person_id, cases.c.risk_level).where(
        cases.c.jurisdiction == office, cases.c.kind == "community_correction",
        cases.c.status == "under_supervision"))).all()
    ids = [r.person_id for r in active]
    sanction_counts = dict((await conn.execute(sa.select(sanctions.c.person_id, sa.func.count()).where(
        sanctions.c.person_id.in_(ids), sanctions.c.recorded_at >= start, sanctions.c.recorded_at < end)
        .group_by(sanctions.c.person_id))).all())
    alert_counts = dict((await conn.execute(sa.select(timeline.c.person_id, sa.func.count()).where(
        timeline.c.person_id.in_(ids), timeline.c.event_type.in_(SERIOUS_SIGNALS), timeline.c.occurred_at >= start,
        timeline.c.occurred_at < end).group_by(timeline.c.person_id))).all())
    return determine([Candidate(r.person_id, r.risk_level, sanction_counts.get(r.person_id, 0),
                                alert_counts.get(r.person_id, 0)) for r in active], policy)


@router.get("/key-persons/{office}/{month}")
async def key_persons(office: str, month: str, request: Request) -> dict:
    """The confirmed list, or the proposal from risk and behaviour while not yet confirmed."""
    async with request.app.state.runtime.engine.connect() as conn:
        confirmed = (await conn.execute(sa.select(key_person_lists).where(
            key_person_lists.c.office == office, key_person_lists.c.month == month))).mappings().first()
        if confirmed:
            return {**_jsonable(confirmed), "status": "confirmed"}
        listed = await _proposal(conn, office, month, request.app.state.handlers.policy.key_persons)
    return {"office": office, "month": month, "status": "proposed",
            "persons": [{"person_id": str(k.person_id), "reasons": k.reasons, "target_zh": k.target_zh}
                        for k in listed]}


@router.post("/key-persons/{office}/{month}/confirm", status_code=201)
async def confirm_key_persons(office: str, month: str, body: Staff, request: Request) -> dict:
    """The office confirms the month's list (who confirmed it is kept); published for risk and alerting."""
    if body.jurisdiction not in ("county", office):
        raise ProblemError(403, "Forbidden", f"the list of {office} is confirmed by {office} or the county")
    handlers = request.app.state.handlers
    async with request.app.state.runtime.uow() as uow:
        listed = await _proposal(uow.conn, office, month, handlers.policy.key_persons)
        persons = [KeyPersonEntry(person_id=k.person_id, reasons=k.reasons, target_zh=k.target_zh) for k in listed]
        now = datetime.now(UTC)
        inserted = await uow.conn.execute(pg_insert(key_person_lists).values(
            office=office, month=month, confirmed_by=body.actor, confirmed_at=now,
            persons=[p.model_dump(mode="json") for p in persons]).on_conflict_do_nothing().returning(
            key_person_lists.c.office))
        if inserted.scalar() is None:
            raise ProblemError(409, "Conflict", f"the {month} list of {office} is already confirmed")
        data = KeyPersonsDetermined(office=office, month=month, confirmed_by=body.actor, persons=persons)
        out_id = uuid.uuid5(uuid.NAMESPACE_URL, f"key-persons:{office}:{month}")
        uow.emit(topics.SUPERVISION_EVENTS, new_event("sps.supervision.key-persons-determined", "/sps/supervision",
                                                      data, subject=office))
        before = await uow.conn.scalar(sa.select(key_person_lists.c.persons).where(
            key_person_lists.c.office == office, key_person_lists.c.month == previous_month(month)))
        for k in newly_determined(listed, {uuid.UUID(p["person_id"]) for p in before or []}):
            signal = KeyPersonNewlyDetermined(
                person_id=k.person_id, jurisdiction=office, cause=f"key-person:{office}:{month}", observed_at=now,
                evidence=[str(out_id)], office=office, month=month, reasons=k.reasons)
            uow.emit(topics.SUPERVISION_EVENTS, new_event("sps.supervision.key-person-newly-determined",
                                                          "/sps/supervision", signal, subject=str(k.person_id)))
        for p in persons:
            await uow.conn.execute(sa.insert(timeline).values(
                person_id=p.person_id, event_id=out_id, event_type="sps.supervision.key-person-listed",
                occurred_at=now, summary={"month": month, "reasons": p.reasons, "target_zh": p.target_zh,
                                          "confirmed_by": body.actor}))
    return data.model_dump(mode="json")
