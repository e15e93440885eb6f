"""Cases: the person, the case file, leaves and sanctions. HTTP in, a command or a query out."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response

from services.supervision import commands, leaves, proposals
from services.supervision.adapters import queries
from services.supervision.deps import Parts
from services.supervision.leaves import LeaveRequest
from shared import staff_steps as steps
from shared.authority import ActingStaff, Actor
from shared.deps import StaffActor
from shared.errors import NotFound
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


class LeaveIn(ActingStaff, steps.Leave):
    pass


@router.post("/persons/{person_id}/leaves", status_code=201)
async def approve_leave(actor: StaffActor, person_id: uuid.UUID, body: LeaveIn, parts: Parts) -> dict[str, Any]:
    """An approved leave (请假外出): outside the county is no breach while it runs."""
    async with parts.runtime.uow() as uow:
        data = await leaves.approve_leave(parts.ctx, uow, actor, person_id, _request(body))
    return data.model_dump(mode="json")


def _request(body: LeaveIn) -> LeaveRequest:
    return LeaveRequest(start=body.start, end=body.end, destination=body.destination, reason=body.reason)


@router.post("/persons/{person_id}/leave-requests", status_code=201)
async def request_leave(actor: StaffActor, person_id: uuid.UUID, body: LeaveIn, parts: Parts) -> dict[str, Any]:
    """An application (请假申请), recorded for the level that must decide it."""
    async with parts.runtime.uow() as uow:
        data = await leaves.request_leave(parts.ctx, uow, actor, person_id, _request(body))
    return data.model_dump(mode="json")


class LeaveDecisionIn(ActingStaff, steps.LeaveDecision):
    pass


async def _decide(
    actor: Actor, person_id: uuid.UUID, leave_id: uuid.UUID, body: LeaveDecisionIn, parts: Parts, approve: bool
):
    async with parts.runtime.uow() as uow:
        data = await leaves.decide_leave(
            parts.ctx, uow, actor, person_id, leave_id, approve=approve, reason=body.reason
        )
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/leaves/{leave_id}/approve")
async def approve_requested_leave(
    actor: StaffActor, person_id: uuid.UUID, leave_id: uuid.UUID, body: LeaveDecisionIn, parts: Parts
) -> dict[str, Any]:
    """Approved by the level its length needs: from its start, outside the county is no breach."""
    return await _decide(actor, person_id, leave_id, body, parts, approve=True)


@router.post("/persons/{person_id}/leaves/{leave_id}/refuse")
async def refuse_leave(
    actor: StaffActor, person_id: uuid.UUID, leave_id: uuid.UUID, body: LeaveDecisionIn, parts: Parts
) -> dict[str, Any]:
    """Refused, with the reason, by the level its length needs."""
    return await _decide(actor, person_id, leave_id, body, parts, approve=False)


class ReturnIn(ActingStaff, steps.LeaveReturn):
    pass


@router.post("/persons/{person_id}/leaves/{leave_id}/return")
async def return_from_leave(
    actor: StaffActor, person_id: uuid.UUID, leave_id: uuid.UUID, body: ReturnIn, parts: Parts
) -> dict[str, Any]:
    """销假."""
    async with parts.runtime.uow() as uow:
        data = await leaves.return_from_leave(parts.ctx, uow, actor, person_id, leave_id, body.returned_at)
    return data.model_dump(mode="json")


@router.get("/persons/{person_id}")
async def person(person_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    """The case as staff see it: identity masked, level of approval, leaves, last position state."""
    async with parts.runtime.engine.connect() as conn:
        found = await queries.person(conn, person_id)
    if found is None:
        raise NotFound(f"no case for person {person_id}")
    return found


class IntakeIn(ActingStaff, steps.IntakeReport):
    pass


@router.post("/persons/{person_id}/intake", status_code=201)
async def record_intake(
    actor: StaffActor, person_id: uuid.UUID, body: IntakeIn, parts: Parts, response: Response
) -> dict[str, Any]:
    """报到, recorded by the office (contract §7.5): 201 the first time, 200 with the same record
    for the same again, 409 for another."""
    async with parts.runtime.uow() as uow:
        data, new = await commands.record_intake(parts.ctx, uow, actor, person_id, body)
    if not new:
        response.status_code = 200
    return data.model_dump(mode="json")


@router.get("/persons/{person_id}/timeline")
async def person_timeline(person_id: uuid.UUID, parts: Parts) -> list[dict[str, Any]]:
    async with parts.runtime.engine.connect() as conn:
        return await queries.timeline_of(conn, person_id)


@router.get("/persons/{person_id}/sanction-suggestion")
async def sanction_suggestion(person_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    """The sanction the rules point to, with its evidence (docs/domain.md §1); never decided here."""
    async with parts.runtime.uow() as uow:
        return await commands.sanction_suggestion(parts.ctx, uow, person_id)


class ProposalIn(ActingStaff, steps.SanctionProposal):
    pass


class DecisionIn(ActingStaff, steps.ProposalDecision):
    pass


@router.post("/persons/{person_id}/sanction-proposals", status_code=201)
async def propose_sanction(actor: StaffActor, person_id: uuid.UUID, body: ProposalIn, parts: Parts) -> dict[str, Any]:
    """The office proposes a sanction it may not decide (警告, 提请撤销) to whoever does."""
    async with parts.runtime.uow() as uow:
        data = await proposals.propose_sanction(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/sanction-proposals/{proposal_id}/decision")
async def decide_proposal(
    actor: StaffActor, person_id: uuid.UUID, proposal_id: uuid.UUID, body: DecisionIn, parts: Parts
) -> dict[str, Any]:
    """Approved (recorded as the sanction) or refused, once, by whoever may decide that kind."""
    async with parts.runtime.uow() as uow:
        data = await proposals.decide_proposal(parts.ctx, uow, actor, person_id, proposal_id, body)
    return data.model_dump(mode="json")


class SanctionIn(ActingStaff, steps.Sanction):
    pass


@router.post("/persons/{person_id}/sanctions", status_code=201)
async def record_sanction(actor: StaffActor, person_id: uuid.UUID, body: SanctionIn, parts: Parts) -> dict[str, Any]:
    """A sanction (训诫 / 警告 / 提请撤销), counted per case; alerting and risk act on the count."""
    async with parts.runtime.uow() as uow:
        data, sanction_id = await commands.record_sanction(parts.ctx, uow, actor, person_id, body.kind, body.reason)
    return {**data.model_dump(mode="json"), "sanction_id": str(sanction_id), "recorded_by": actor.name}
