"""Supervision's leave commands (请假外出), docs/domain.md "Leave": an application recorded by the
office, approved or refused by the level the leave's length needs, and returned from (销假).

Mixed into `SupervisionCommands`. An approved leave keeps being outside the county from being a
breach while it runs; a return ends it early, so a fix outside after the return breaches again.
A leave approved in one step (the office approving on the spot) is the same as an application
approved at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.domain.leaves import LeaveRefused, needed_level
from services.supervision.domain.policy import SupervisionPolicy
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused
from shared.events import EventData, LeaveApproved, LeaveDeclined, LeaveRequested, LeaveReturned

if TYPE_CHECKING:
    from services.supervision.handlers import SupervisionHandlers


@dataclass
class LeaveRequest:
    start: datetime
    end: datetime
    destination: str
    reason: str


class LeaveCommands:
    # Provided by SupervisionCommands.
    handlers: SupervisionHandlers
    policy: SupervisionPolicy
    clock: Callable[[], datetime]
    store: Callable[[UnitOfWork], SupervisionStore]
    _case: Callable[..., Awaitable[Row]]
    _publish_on_file: Callable[[SupervisionStore, EventData, uuid.UUID, datetime], Awaitable[None]]

    def _level(self, start: datetime, end: datetime) -> str:
        try:
            return needed_level(start=start, end=end, policy=self.policy.leave)
        except LeaveRefused as exc:
            raise Refused(exc.field, str(exc)) from None

    @staticmethod
    def _approver(needed: str) -> str:
        """The authority model's action for deciding a leave of this length."""
        return "leave.approve" if needed == "justice_office" else "leave.approve_long"

    async def approve_leave(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, leave: LeaveRequest
    ) -> LeaveApproved:
        """A leave approved in one step: outside the county is no breach while it runs."""
        store = self.store(uow)
        case = await self._case(store, person_id)
        actor.require(self._approver(self._level(leave.start, leave.end)), case["jurisdiction"])
        data = self._approved(
            actor, person_id, case["case_id"], uuid.uuid4(), leave.start, leave.end, leave.destination
        )
        await store.add_leave(data, leave.reason)
        await self._start(store, data)
        return data

    async def request_leave(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, leave: LeaveRequest
    ) -> LeaveRequested:
        """An application, recorded; it changes nothing until approved. Refused here already if no
        one could approve it (too long, or ending before it starts)."""
        store = self.store(uow)
        case = await self._case(store, person_id, actor, "leave.request")
        data = LeaveRequested(
            person_id=person_id,
            case_id=case["case_id"],
            leave_id=uuid.uuid4(),
            starts_at=leave.start,
            ends_at=leave.end,
            destination=leave.destination,
            needs=self._level(leave.start, leave.end),  # type: ignore[arg-type]
            requested_by=actor.name,
        )
        await store.add_leave(data, leave.reason)
        await self._publish_on_file(store, data, person_id, self.clock())
        return data

    async def decide_leave(
        self,
        uow: UnitOfWork,
        actor: Actor,
        person_id: uuid.UUID,
        leave_id: uuid.UUID,
        *,
        approve: bool,
        reason: str | None = None,
    ) -> LeaveApproved | LeaveDeclined:
        """Approve or refuse an application, by the level its length needs (refusing too)."""
        store = self.store(uow)
        case = await self._case(store, person_id)
        leave = await self._leave(store, person_id, leave_id)
        if leave["status"] != "requested":
            raise Conflict(f"this leave is {leave['status']}, not waiting for a decision")
        actor.require(self._approver(self._level(leave["starts_at"], leave["ends_at"])), case["jurisdiction"])
        now = self.clock()
        if not approve:
            if not (reason or "").strip():
                raise Refused("reason", "a refusal needs its reason")
            declined = LeaveDeclined(
                person_id=person_id, case_id=leave["case_id"], leave_id=leave_id, declined_by=actor.name, reason=reason
            )
            await store.update_leave(
                leave_id, status="declined", declined_by=actor.name, decline_reason=reason, decided_at=now
            )
            await self._publish_on_file(store, declined, person_id, now)
            return declined
        data = self._approved(
            actor, person_id, leave["case_id"], leave_id, leave["starts_at"], leave["ends_at"], leave["destination"]
        )
        await store.update_leave(
            leave_id, status="approved", approved_by=actor.name, approval_level=data.approval_level, decided_at=now
        )
        await self._start(store, data)
        return data

    async def return_from_leave(
        self, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, leave_id: uuid.UUID, returned_at: datetime
    ) -> LeaveReturned:
        """销假: the leave ends at the return, and with it the leave's cover and its overdue check."""
        store = self.store(uow)
        await self._case(store, person_id, actor, "leave.return")
        leave = await self._leave(store, person_id, leave_id)
        if leave["status"] != "approved":
            raise Conflict(f"only an approved leave is returned from; this one is {leave['status']}")
        if returned_at > self.clock():
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
        await self._publish_on_file(store, data, person_id, self.clock())
        return data

    async def _leave(self, store: SupervisionStore, person_id: uuid.UUID, leave_id: uuid.UUID) -> Row:
        leave = await store.leave(leave_id)
        if leave is None or leave["person_id"] != person_id:
            raise NotFound(f"no leave {leave_id} for person {person_id}")
        return leave

    @staticmethod
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

    async def _start(self, store: SupervisionStore, data: LeaveApproved) -> None:
        """Published (every replica applies it to the person's monitoring) and its end scheduled:
        still outside at the end is `leave_overdue`."""
        await self._publish_on_file(store, data, data.person_id, self.clock())
        await store.schedule(
            f"leave-end:{data.leave_id}",
            "leave.end",
            data.ends_at,
            {"leave_id": str(data.leave_id), "person_id": str(data.person_id), "case_id": str(data.case_id)}
            | self.handlers.positions.shard_tag(data.person_id),  # fired by the person's owner (positions.py)
        )
