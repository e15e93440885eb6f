"""Remote family video visits with two-way booking (docs/domain.md §2) on a fake unit of work and
store with a fixed clock: a slot is booked once, an office's room holds one visit at a time (the
boundary is the end of the one before), the prison's answer and the office's cancellation, and
whether the family came only once the time has come."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import pytest

from services.handover import visits
from services.handover.domain.visits import Slot, VisitPolicy, VisitRefused, check_bookable, room_clash
from shared.authority import Actor
from shared.envelope import decode, encode, new_event
from shared.errors import Conflict, Forbidden, Refused
from shared.events import VisitAnswered, VisitSlotOffered
from shared.staff_steps import Booking, Cancellation, FamilyIn, VisitOutcome
from tests.factories import random_id_number
from tests.unit.test_handover_handlers import NOW, world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
OTHER = Actor("officer-2", "justice_officer", "南闸街道")
TOMORROW_10 = NOW.replace(hour=2) + timedelta(days=2)  # 10:00 in the county, two days on


def test_an_office_room_holds_one_visit_at_a_time_and_the_next_may_start_as_one_ends():
    nine = Slot(TOMORROW_10 - timedelta(hours=1), 30)
    assert room_clash(Slot(nine.start + timedelta(minutes=29), 30), [nine]) == nine
    assert room_clash(Slot(nine.start + timedelta(minutes=30), 30), [nine]) is None  # starts as the other ends
    assert room_clash(Slot(nine.start - timedelta(minutes=30), 30), [nine]) is None
    policy = VisitPolicy()
    check_bookable(Slot(NOW + policy.book_before, 30), NOW, policy)
    with pytest.raises(VisitRefused, match="24 h before"):
        check_bookable(Slot(NOW + policy.book_before - timedelta(minutes=1), 30), NOW, policy)


async def offer(ctx, uow, start, minutes: int = 30, prison: str = "苏州监狱") -> VisitSlotOffered:
    slot = VisitSlotOffered(
        slot_id=uuid.uuid4(),
        slot_no=f"S-{uuid.uuid4().hex[:6]}",
        prison=prison,
        person_id=uuid.uuid4(),
        start=start,
        minutes=minutes,
        offered_at=NOW,
    )
    event = decode(encode(new_event("sps.ingest.visit-slot", "/sps/test", slot, subject=str(slot.person_id))))
    await visits.on_visit_slot(ctx, event, slot, cast(Any, uow))
    return slot


def family() -> FamilyIn:
    return FamilyIn(name="张秀英", id_number=random_id_number(), relationship="spouse")


def at(office: str) -> Booking:
    """A booking for a family member in `office`'s video room."""
    return Booking(office=office, family=family())


async def test_a_slot_is_booked_once_and_an_office_room_once_per_hour(world):  # noqa: F811
    ctx, uow, store = world
    first = await offer(ctx, uow, TOMORROW_10)
    same_hour = await offer(ctx, uow, TOMORROW_10 + timedelta(minutes=15), prison="无锡监狱")
    async with uow:
        booked = await visits.book_visit(ctx, cast(Any, uow), OFFICER, first.slot_id, at("澄江街道"))
    assert booked["family"]["name_masked"] == "张**" and "*" in booked["family"]["id_number_masked"]
    assert booked["family"]["identity_checked_by"] == "officer-demo"
    told = [e for _, e in uow.published if e.type == "sps.exchange.visit-booking"]
    assert told[-1].data["status"] == "booked" and told[-1].data["prison"] == "苏州监狱"
    with pytest.raises(Conflict, match="booked already"):  # another office, the same slot
        await visits.book_visit(ctx, cast(Any, uow), OTHER, first.slot_id, at("南闸街道"))
    with pytest.raises(Conflict, match="video room of 澄江街道"):  # the same room, an overlapping time
        await visits.book_visit(ctx, cast(Any, uow), OFFICER, same_hour.slot_id, at("澄江街道"))
    async with uow:  # another office's room is free then
        await visits.book_visit(ctx, cast(Any, uow), OTHER, same_hour.slot_id, at("南闸街道"))
    with pytest.raises(Forbidden):  # an officer books only in their own office's room
        await visits.book_visit(ctx, cast(Any, uow), OTHER, first.slot_id, at("澄江街道"))
    soon = await offer(ctx, uow, NOW + timedelta(hours=3))
    with pytest.raises(Refused, match="before it starts"):
        await visits.book_visit(ctx, cast(Any, uow), OFFICER, soon.slot_id, at("澄江街道"))


async def test_the_prison_answers_the_office_cancels_and_records_only_a_confirmed_visit_after_its_time(world):  # noqa: F811
    ctx, uow, store = world
    slot = await offer(ctx, uow, TOMORROW_10)
    async with uow:
        booked = await visits.book_visit(ctx, cast(Any, uow), OFFICER, slot.slot_id, at("澄江街道"))
    booking_id = uuid.UUID(booked["booking_id"])
    held = VisitOutcome(outcome="held")
    with pytest.raises(Conflict, match="only a visit the prison confirmed"):
        await visits.record_visit(ctx, cast(Any, uow), OFFICER, booking_id, held)
    answer = VisitAnswered(
        booking_id=booking_id, person_id=slot.person_id, prison="苏州监狱", answer="confirmed", answered_at=NOW
    )
    event = decode(encode(new_event("sps.ingest.visit-answer", "/sps/test", answer, subject=str(slot.person_id))))
    await visits.on_visit_answer(ctx, event, answer, cast(Any, uow))
    assert store.bookings[booking_id]["status"] == "confirmed"
    with pytest.raises(Refused, match="once the visit's time has come"):
        await visits.record_visit(ctx, cast(Any, uow), OFFICER, booking_id, held)
    # 42 h before it: within the two days a reminder is owed, once.
    assert visits.with_reminder(ctx, store.bookings[booking_id], NOW)["reminder_due"] is True
    assert visits.with_reminder(ctx, store.bookings[booking_id], NOW - timedelta(hours=7))["reminder_due"] is False
    async with uow:
        await visits.remind_visit(ctx, cast(Any, uow), OFFICER, booking_id)
    assert visits.with_reminder(ctx, store.bookings[booking_id], NOW)["reminder_due"] is False
    with pytest.raises(Conflict, match="reminded already by officer-demo"):
        await visits.remind_visit(ctx, cast(Any, uow), OFFICER, booking_id)
    async with uow:
        await visits.cancel_visit(ctx, cast(Any, uow), OFFICER, booking_id, Cancellation(reason="家属生病"))
    assert store.slots[slot.slot_id]["booking_id"] is None  # free for another family
    told = [e.data for _, e in uow.published if e.type == "sps.exchange.visit-booking"]
    assert told[-1]["status"] == "cancelled" and told[-1]["reason"] == "家属生病"
    with pytest.raises(Conflict, match="cancelled already"):
        await visits.cancel_visit(ctx, cast(Any, uow), OFFICER, booking_id, Cancellation(reason="再次取消"))
    await visits.on_visit_answer(ctx, event, answer, cast(Any, uow))  # a late answer changes nothing
    assert store.bookings[booking_id]["status"] == "cancelled"
