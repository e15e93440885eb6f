"""Cases: the person, the case file, leaves and sanctions."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from services.supervision.adapters.tables import cases, leaves, sanctions, timeline, zone_state
from services.supervision.domain.leaves import LeaveForbidden, LeaveRefused, approval_level
from shared import topics
from shared.envelope import new_event
from shared.events import LeaveApproved, SanctionRecorded
from shared.http import ProblemError
from shared.internal import require_internal
from shared.timers import schedule

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])
SOURCE = "/sps/supervision"


class LeaveIn(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    destination: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    actor: str = Field(min_length=1, max_length=64)
    role: str
    jurisdiction: str


def _jsonable(row) -> dict:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dict(row).items()}


async def _active_case(conn, person_id: uuid.UUID):
    case = (await conn.execute(sa.select(cases).where(cases.c.person_id == person_id,
                                                      cases.c.status.in_(("awaiting_intake", "under_supervision")))
                               .order_by(cases.c.opened_at.desc()).limit(1))).mappings().first()
    if case is None:
        raise ProblemError(404, "Not Found", f"no active case for person {person_id}")
    return case


@router.post("/persons/{person_id}/leaves", status_code=201)
async def approve_leave(person_id: uuid.UUID, body: LeaveIn, request: Request) -> dict:
    """An approved leave (请假外出): outside the county is no breach while it runs."""
    policy = request.app.state.policy.leave
    runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        case = await _active_case(uow.conn, person_id)
        try:
            level = approval_level(start=body.start, end=body.end, approver_jurisdiction=body.jurisdiction,
                                   case_jurisdiction=case["jurisdiction"], policy=policy)
        except LeaveRefused as exc:
            raise ProblemError(422, "Request is not valid", str(exc),
                               errors=[{"field": exc.field, "message": str(exc)}]) from None
        except LeaveForbidden as exc:
            raise ProblemError(403, "Forbidden", str(exc)) from None
        leave_id = uuid.uuid4()
        await uow.conn.execute(sa.insert(leaves).values(
            leave_id=leave_id, person_id=person_id, case_id=case["case_id"], starts_at=body.start, ends_at=body.end,
            destination=body.destination, reason=body.reason, approved_by=body.actor, approval_level=level))
        data = LeaveApproved(person_id=person_id, case_id=case["case_id"], leave_id=leave_id, starts_at=body.start,
                             ends_at=body.end, destination=body.destination, approval_level=level,
                             approved_by=body.actor)
        out = new_event("sps.supervision.leave-approved", SOURCE, data, subject=str(person_id))
        uow.emit(topics.SUPERVISION_EVENTS, out)
        await uow.conn.execute(sa.insert(timeline).values(person_id=person_id, event_id=out.id, event_type=out.type,
                                                          occurred_at=datetime.now(UTC),
                                                          summary=data.model_dump(mode="json")))
        await schedule(uow, f"leave-end:{leave_id}", "leave.end", body.end,
                       {"leave_id": str(leave_id), "person_id": str(person_id), "case_id": str(case["case_id"])})
    return data.model_dump(mode="json")


@router.get("/persons/{person_id}")
async def person(person_id: uuid.UUID, request: Request) -> dict:
    """The case as staff see it: identity masked, level of approval, leaves, last position state."""
    async with request.app.state.runtime.engine.connect() as conn:
        rows = (await conn.execute(sa.select(cases).where(cases.c.person_id == person_id)
                                   .order_by(cases.c.opened_at))).mappings().all()
        if not rows:
            raise ProblemError(404, "Not Found", f"no case for person {person_id}")
        leave_rows = (await conn.execute(sa.select(leaves).where(leaves.c.person_id == person_id)
                                         .order_by(leaves.c.starts_at))).mappings().all()
        position = (await conn.execute(sa.select(zone_state).where(zone_state.c.person_id == person_id))
                    ).mappings().first()
    current = rows[-1]
    return {"person_id": str(person_id), "jurisdiction": current["jurisdiction"],
            "identity": current["person_masked"], "cases": [_jsonable(r) for r in rows],
            "leaves": [_jsonable(r) for r in leave_rows], "position": _jsonable(position) if position else None}


@router.get("/persons/{person_id}/timeline")
async def person_timeline(person_id: uuid.UUID, request: Request) -> list[dict]:
    async with request.app.state.runtime.engine.connect() as conn:
        rows = (await conn.execute(sa.select(timeline).where(timeline.c.person_id == person_id)
                                   .order_by(timeline.c.occurred_at, timeline.c.id))).mappings().all()
    return [_jsonable(r) for r in rows]


class SanctionIn(BaseModel):
    kind: Literal["admonition", "warning", "revocation_proposal"]
    reason: str = Field(min_length=2, max_length=1000)
    actor: str = Field(min_length=1, max_length=64)
    role: str
    jurisdiction: str


@router.post("/persons/{person_id}/sanctions", status_code=201)
async def record_sanction(person_id: uuid.UUID, body: SanctionIn, request: Request) -> dict:
    """A sanction (训诫 / 警告 / 提请撤销), counted per case; alerting and risk act on the count."""
    async with request.app.state.runtime.uow() as uow:
        case = await _active_case(uow.conn, person_id)
        if body.jurisdiction != "county" and body.jurisdiction != case["jurisdiction"]:
            raise ProblemError(403, "Forbidden", f"this case belongs to {case['jurisdiction']}")
        sanction_id = uuid.uuid4()
        now = datetime.now(UTC)
        await uow.conn.execute(sa.insert(sanctions).values(
            sanction_id=sanction_id, person_id=person_id, case_id=case["case_id"], kind=body.kind,
            reason=body.reason, recorded_by=body.actor, recorded_at=now))
        count = await uow.conn.scalar(sa.select(sa.func.count()).select_from(sanctions).where(
            sanctions.c.case_id == case["case_id"], sanctions.c.kind == body.kind))
        data = SanctionRecorded(person_id=person_id, jurisdiction=case["jurisdiction"], case_id=case["case_id"],
                                cause=f"sanction:{sanction_id}", observed_at=now, evidence=[str(sanction_id)],
                                kind=body.kind, count=count, reason=body.reason)
        out = new_event("sps.supervision.sanction-recorded", SOURCE, data, subject=str(person_id))
        uow.emit(topics.SUPERVISION_EVENTS, out)
        await uow.conn.execute(sa.insert(timeline).values(person_id=person_id, event_id=out.id, event_type=out.type,
                                                          occurred_at=now, summary=data.model_dump(mode="json")))
        await request.app.state.handlers.refresh_level(uow, case["case_id"], None, reason=f"sanction:{body.kind}")
    return {**data.model_dump(mode="json"), "sanction_id": str(sanction_id), "recorded_by": body.actor}
