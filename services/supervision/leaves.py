"""Supervision's leave commands (请假外出), docs/domain.md "Leave": an application recorded by the
office, approved or refused by the level the leave's length needs, and returned from (销假).

Functions over the service's context (context.py). An approved leave keeps being outside the county from being a
breach while it runs; a return ends it early, so a fix outside after the return breaches again.
A leave approved in one step (the office approving on the spot) is the same as an application
approved at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.leaves import LeaveRefused, needed_level
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused
from shared.events import LeaveApproved, LeaveDeclined, LeaveRequested, LeaveReturned

if TYPE_CHECKING:
    pass


@dataclass
class LeaveRequest:
    start: datetime
    end: datetime
    destination: str
    reason: str


def _level(ctx: SupervisionContext, start: datetime, end: datetime) -> str:
    try:
        return needed_level(start=start, end=end, policy=ctx.policy.leave)
    except LeaveRefused as exc:
        raise Refused(exc.field, str(exc)) from None


def _approver(needed: str) -> str:
    """The authority model's action for deciding a leave of this length."""
    return "leave.approve" if needed == "justice_office" else "leave.approve_long"


async def approve_leave(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, leave: LeaveRequest
) -> LeaveApproved:
    """A leave approved in one step: outside the county is no breach while it runs."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id)
    actor.require(_approver(_level(ctx, leave.start, leave.end)), case["jurisdiction"])
    data = _approved(actor, person_id, case["case_id"], uuid.uuid4(), leave.start, leave.end, leave.destination)
    await store.add_leave(data, leave.reason)
    await _start(ctx, store, data)
    return data


async def request_leave(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, leave: LeaveRequest
) -> LeaveRequested:
    """An application, recorded; it changes nothing until approved. Refused here already if no
    one could approve it (too long, or ending before it starts)."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "leave.request")
    data = LeaveRequested(
        person_id=person_id,
        case_id=case["case_id"],
        leave_id=uuid.uuid4(),
        starts_at=leave.start,
        ends_at=leave.end,
        destination=leave.destination,
        needs=_level(ctx, leave.start, leave.end),  # type: ignore[arg-type]
        requested_by=actor.name,
    )
    await store.add_leave(data, leave.reason)
    await ctx.publish_on_file(store, data, person_id, ctx.clock())
    return data


async def decide_leave(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    leave_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None = None,
) -> LeaveApproved | LeaveDeclined:
    """Approve or refuse an application, by the level its length needs (refusing too)."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id)
    leave = await _leave(ctx, store, person_id, leave_id)
    if leave["status"] != "requested":
        raise Conflict(f"this leave is {leave['status']}, not waiting for a decision")
    actor.require(_approver(_level(ctx, leave["starts_at"], leave["ends_at"])), case["jurisdiction"])
    now = ctx.clock()
    if not approve:
        if not (reason or "").strip():
            raise Refused("reason", "a refusal needs its reason")
        declined = LeaveDeclined(
            person_id=person_id, case_id=leave["case_id"], leave_id=leave_id, declined_by=actor.name, reason=reason
        )
        await store.update_leave(
            leave_id, status="declined", declined_by=actor.name, decline_reason=reason, decided_at=now
        )
        await ctx.publish_on_file(store, declined, person_id, now)
        return declined
    data = _approved(
        actor, person_id, leave["case_id"], leave_id, leave["starts_at"], leave["ends_at"], leave["destination"]
    )
    await store.update_leave(
        leave_id, status="approved", approved_by=actor.name, approval_level=data.approval_level, decided_at=now
    )
    await _start(ctx, store, data)
    return data


async def return_from_leave(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    leave_id: uuid.UUID,
    returned_at: datetime,
) -> LeaveReturned:
    """销假: the leave ends at the return, and with it the leave's cover and its overdue check."""
    store = ctx.store(uow)
    await ctx.case(store, person_id, actor, "leave.return")
    leave = await _leave(ctx, store, person_id, leave_id)
    if leave["status"] != "approved":
        raise Conflict(f"only an approved leave is returned from; this one is {leave['status']}")
    if returned_at > ctx.clock():
        raise Refused("returned_at", "a return is recorded once it happened, not ahead")
    if returned_at < leave["starts_at"]:
        raise Refused("returned_at", "the return is before the leave started")
    data = LeaveReturned(
        person_id=person_id,
        case_id=leave["case_id"],
        leave_id=leave_id,
        returned_at=returned_at,
        recorded_by=actor.name,
    )
    await store.update_leave(leave_id, status="returned", returned_at=returned_at, returned_by=actor.name)
    if returned_at < leave["ends_at"]:
        await store.cancel_prefix(f"leave-end:{leave_id}")  # back before the end: never overdue
    await ctx.publish_on_file(store, data, person_id, ctx.clock())
    return data


async def _leave(ctx: SupervisionContext, store: SupervisionStore, person_id: uuid.UUID, leave_id: uuid.UUID) -> Row:
    leave = await store.leave(leave_id)
    if leave is None or leave["person_id"] != person_id:
        raise NotFound(f"no leave {leave_id} for person {person_id}")
    return leave


def _approved(
    actor: Actor,
    person_id: uuid.UUID,
    case_id: uuid.UUID,
    leave_id: uuid.UUID,
    start: datetime,
    end: datetime,
    destination: str,
) -> LeaveApproved:
    return LeaveApproved(
        person_id=person_id,
        case_id=case_id,
        leave_id=leave_id,
        starts_at=start,
        ends_at=end,
        destination=destination,
        approval_level="county" if actor.county_wide else "justice_office",
        approved_by=actor.name,
    )


async def _start(ctx: SupervisionContext, store: SupervisionStore, data: LeaveApproved) -> None:
    """Published (every replica applies it to the person's monitoring) and its end scheduled:
    still outside at the end is `leave_overdue`."""
    await ctx.publish_on_file(store, data, data.person_id, ctx.clock())
    await store.schedule(
        f"leave-end:{data.leave_id}",
        "leave.end",
        data.ends_at,
        {"leave_id": str(data.leave_id), "person_id": str(data.person_id), "case_id": str(data.case_id)}
        | ctx.positions.shard_tag(data.person_id),  # fired by the person's owner (positions.py)
    )
