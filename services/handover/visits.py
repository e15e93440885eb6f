"""Remote family video visits with two-way booking (远程亲情视频会见, 双向预约; docs/domain.md §2).

The prison offers slots through the gateway; a justice office books one for a family member whose
identity card its staff saw (the full number is masked here and kept nowhere); the booking and any
cancellation go back to the prison (`sps.exchange.visit-booking`), which confirms or declines it.
Each office's video room is one calendar: no two bookings overlap in it, and a slot is booked once.
The rules are domain/visits.py's.

The prison's slots and answers are event handlers, the office's steps commands, each a function
over the service's context (context.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from services.handover.adapters.store import HandoverStore
from services.handover.context import HandoverContext
from services.handover.domain.visits import (
    ACTIVE,
    Slot,
    VisitRefused,
    check_bookable,
    check_cancellable,
    check_recordable,
    reminder_due,
    room_clash,
)
from shared.authority import Actor
from shared.db.rows import plain
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import Conflict, NotFound, Refused
from shared.events import VisitAnswered, VisitBooking, VisitFamily, VisitSlotOffered
from shared.identity import mask_id_number, mask_name
from shared.staff_steps import Booking, Cancellation, VisitOutcome


async def on_visit_slot(ctx: HandoverContext, event: IncomingEvent, slot: VisitSlotOffered, uow: UnitOfWork) -> None:
    """A prison's slot, open to every office's booking (a repeat keeps nothing twice)."""
    await ctx.store(uow).add_slot(slot.model_dump(exclude={"offered_at"}) | {"offered_at": slot.offered_at})


async def on_visit_answer(ctx: HandoverContext, event: IncomingEvent, answer: VisitAnswered, uow: UnitOfWork) -> None:
    """The prison confirmed or declined a booking. A declined one frees its slot; an answer to a
    booking cancelled meanwhile changes nothing (the cancellation went to the prison too)."""
    store = ctx.store(uow)
    booking = await store.booking(answer.booking_id)
    if booking is None or booking["status"] != "booked":
        return
    await store.update_booking(
        answer.booking_id, status=answer.answer, answered_at=answer.answered_at, answer_note=answer.note
    )
    if answer.answer == "declined":
        await store.hold_slot(booking["slot_id"], None)


async def book_visit(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, slot_id: uuid.UUID, step: Booking
) -> dict[str, Any]:
    """Book the slot in the office's room: 409 if another office has it, or if the room is
    taken at that time; 422 if it starts too soon (policy `visits.book_before`)."""
    actor.require("visit.book", step.office)
    if step.office not in ctx.offices:
        raise Refused("office", f"{step.office} is not a justice office of the county")
    store = ctx.store(uow)
    slot = await store.slot(slot_id)
    if slot is None:
        raise NotFound(f"no visit slot {slot_id}")
    when = Slot(slot["start"], slot["minutes"])
    now = ctx.clock()
    try:
        check_bookable(when, now, ctx.policy.visits)
    except VisitRefused as exc:
        raise Refused("slot", str(exc)) from None
    if slot["booking_id"] is not None:
        raise Conflict(f"slot {slot['slot_no']} of {slot['prison']} is booked already")
    await store.lock_room(step.office)
    taken = room_clash(
        when, [Slot(b["start"], b["minutes"]) for b in await store.room_bookings(step.office, when.start, when.end)]
    )
    if taken is not None:
        at = ctx.county.local(taken.start).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"the video room of {step.office} is booked at {at} for {taken.minutes} min")
    family = VisitFamily(
        name_masked=mask_name(step.family.name),
        id_number_masked=mask_id_number(step.family.id_number),
        relationship=step.family.relationship,
        identity_checked_by=actor.name,
    )
    booking_id = uuid.uuid4()
    row = {
        "booking_id": booking_id,
        "slot_id": slot_id,
        "prison": slot["prison"],
        "person_id": slot["person_id"],
        "office": step.office,
        "family": family.model_dump(mode="json"),
        "start": slot["start"],
        "minutes": slot["minutes"],
        "status": "booked",
        "booked_by": actor.name,
        "booked_at": now,
    }
    await store.add_booking(row)
    await store.hold_slot(slot_id, booking_id)
    _tell_prison(ctx, uow, row, slot["slot_no"], "booked", actor.name, now)
    return plain(row)


async def cancel_visit(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, booking_id: uuid.UUID, step: Cancellation
) -> dict[str, Any]:
    """The office cancels (the family cannot come); the prison is told and the slot is free."""
    store = ctx.store(uow)
    booking = await _booking(ctx, store, actor, booking_id)
    if booking["status"] not in ACTIVE:
        raise Conflict(f"the booking is {booking['status']} already")
    try:
        check_cancellable(Slot(booking["start"], booking["minutes"]), ctx.clock(), ctx.policy.visits)
    except VisitRefused as exc:
        raise Refused("booking", str(exc)) from None
    now = ctx.clock()
    await store.update_booking(
        booking_id, status="cancelled", cancelled_by=actor.name, cancelled_at=now, cancel_reason=step.reason
    )
    await store.hold_slot(booking["slot_id"], None)
    slot = await store.slot(booking["slot_id"])
    _tell_prison(ctx, uow, booking, slot["slot_no"] if slot else "", "cancelled", actor.name, now, step.reason)
    return plain({**booking, "status": "cancelled", "cancel_reason": step.reason})


async def record_visit(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, booking_id: uuid.UUID, step: VisitOutcome
) -> dict[str, Any]:
    """Once its time has come: the family came (held) or did not (no_show)."""
    store = ctx.store(uow)
    booking = await _booking(ctx, store, actor, booking_id, "visit.record")
    if booking["status"] != "confirmed":
        raise Conflict(f"only a visit the prison confirmed is recorded (this one is {booking['status']})")
    try:
        check_recordable(Slot(booking["start"], booking["minutes"]), ctx.clock())
    except VisitRefused as exc:
        raise Refused("outcome", str(exc)) from None
    await store.update_booking(
        booking_id, status=step.outcome, recorded_by=actor.name, recorded_at=ctx.clock(), note=step.note
    )
    return plain({**booking, "status": step.outcome, "note": step.note})


async def remind_visit(ctx: HandoverContext, uow: UnitOfWork, actor: Actor, booking_id: uuid.UUID) -> dict[str, Any]:
    """The office reminded the family of a confirmed visit to come (by phone), once."""
    store = ctx.store(uow)
    booking = await _booking(ctx, store, actor, booking_id)
    if booking["status"] != "confirmed":
        raise Conflict(f"only a confirmed visit is reminded (this one is {booking['status']})")
    if booking["reminded_at"] is not None:
        raise Conflict(f"reminded already by {booking['reminded_by']}")
    if booking["start"] <= ctx.clock():
        raise Refused("booking", "the visit's time has passed")
    now = ctx.clock()
    await store.update_booking(booking_id, reminded_by=actor.name, reminded_at=now)
    return plain({**booking, "reminded_by": actor.name, "reminded_at": now})


def with_reminder(ctx: HandoverContext, booking: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The booking as the office sees it, with whether a reminder is owed now."""
    owed = reminder_due(
        Slot(booking["start"], booking["minutes"]),
        booking["status"],
        booking.get("reminded_at") is not None,
        now,
        ctx.policy.visits,
    )
    return {**booking, "reminder_due": owed}


async def _booking(
    ctx: HandoverContext, store: HandoverStore, actor: Actor, booking_id: uuid.UUID, action: str = "visit.book"
) -> dict[str, Any]:
    booking = await store.booking(booking_id)
    if booking is None:
        raise NotFound(f"no visit booking {booking_id}")
    actor.require(action, booking["office"])
    return booking


def _tell_prison(
    ctx: HandoverContext,
    uow: UnitOfWork,
    booking: dict[str, Any],
    slot_no: str,
    status: Literal["booked", "cancelled"],
    by: str,
    at: datetime,
    reason: str | None = None,
) -> None:
    data = VisitBooking(
        booking_id=booking["booking_id"],
        slot_id=booking["slot_id"],
        slot_no=slot_no,
        prison=booking["prison"],
        person_id=booking["person_id"],
        office=booking["office"],
        family=VisitFamily.model_validate(booking["family"]),
        start=booking["start"],
        minutes=booking["minutes"],
        status=status,
        reason=reason,
        at=at,
        by=by,
    )
    uow.publish(data, subject=booking["person_id"])
