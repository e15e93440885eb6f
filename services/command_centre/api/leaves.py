"""Leaves (请假外出) in the staff API: an application, its approval or refusal by the level its
length needs, and the return (销假); or an approval on the spot. Supervision records each and
checks the level (docs/console.md)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from services.command_centre.deps import Parts, User
from services.command_centre.persons import staff_step

router = APIRouter()


class LeaveRequest(BaseModel):
    start: str
    end: str
    destination: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/v1/persons/{person_id}/leaves", tags=["staff"], status_code=201)
async def approve_leave(person_id: uuid.UUID, body: LeaveRequest, parts: Parts, user: User):
    """An approved leave (请假外出): ≤ 7 days by the person's justice office, longer by the county."""
    return await staff_step(parts, user, person_id, "POST", f"persons/{person_id}/leaves", body, None, resource="leave")


@router.post("/api/v1/persons/{person_id}/leave-requests", tags=["staff"], status_code=201)
async def request_leave(person_id: uuid.UUID, body: LeaveRequest, parts: Parts, user: User):
    """An application (请假申请), for the justice office (≤ 7 days) or the county to decide."""
    return await staff_step(
        parts, user, person_id, "POST", f"persons/{person_id}/leave-requests", body, "leave.request", resource="leave"
    )


class LeaveDecision(BaseModel):
    reason: str | None = Field(None, max_length=500, description="why, when refusing (mandatory then)")


class LeaveReturn(BaseModel):
    returned_at: AwareDatetime


@router.post("/api/v1/persons/{person_id}/leaves/{leave_id}/approve", tags=["staff"])
async def approve_requested_leave(
    person_id: uuid.UUID, leave_id: uuid.UUID, parts: Parts, user: User, body: LeaveDecision | None = None
):
    """Approve an application; supervision checks the level its length needs."""
    path = f"persons/{person_id}/leaves/{leave_id}/approve"
    return await staff_step(
        parts, user, person_id, "POST", path, body or LeaveDecision(), None, "update", resource="leave"
    )


@router.post("/api/v1/persons/{person_id}/leaves/{leave_id}/refuse", tags=["staff"])
async def refuse_leave(person_id: uuid.UUID, leave_id: uuid.UUID, body: LeaveDecision, parts: Parts, user: User):
    """Refuse an application with the reason; by the level its length needs, as approving."""
    path = f"persons/{person_id}/leaves/{leave_id}/refuse"
    return await staff_step(parts, user, person_id, "POST", path, body, None, "update", resource="leave")


@router.post("/api/v1/persons/{person_id}/leaves/{leave_id}/return", tags=["staff"])
async def return_from_leave(person_id: uuid.UUID, leave_id: uuid.UUID, body: LeaveReturn, parts: Parts, user: User):
    """销假: back from the leave; outside the county is a breach again from the return."""
    path = f"persons/{person_id}/leaves/{leave_id}/return"
    return await staff_step(parts, user, person_id, "POST", path, body, "leave.return", "update", resource="leave")
