"""Remote family video visits with two-way booking (远程亲情视频会见, 双向预约; docs/domain.md §2).

A prison offers slots: a prisoner, a start, a length. A justice office books one for a family
member whose identity its staff checked, in the office's own video room. The prison confirms or
declines; the office may cancel; after the slot the office records whether the family came. The
call itself is outside the platform. These are the rules, free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

ACTIVE = ("booked", "confirmed")  # a booking that holds its slot and the office's room


class VisitPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    book_before: timedelta = timedelta(hours=24)  # a slot is booked at least this long before it starts
    cancel_before: timedelta = timedelta(hours=2)  # and cancelled at least this long before
    remind_within: timedelta = timedelta(hours=48)  # the office reminds the family in the two days before


class VisitRefused(ValueError):
    """A booking step the rules refuse; the message says why."""


@dataclass(frozen=True)
class Slot:
    start: datetime
    minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    def overlaps(self, other: Slot) -> bool:
        """Two times in one room overlap unless one ends by the time the other starts."""
        return self.start < other.end and other.start < self.end


def check_bookable(slot: Slot, now: datetime, policy: VisitPolicy) -> None:
    if slot.start - now < policy.book_before:
        raise VisitRefused(f"a slot is booked at least {_hours(policy.book_before)} h before it starts")


def check_cancellable(slot: Slot, now: datetime, policy: VisitPolicy) -> None:
    if slot.start - now < policy.cancel_before:
        raise VisitRefused(f"a booking is cancelled at least {_hours(policy.cancel_before)} h before the visit")


def reminder_due(slot: Slot, status: str, reminded: bool, now: datetime, policy: VisitPolicy) -> bool:
    """Whether the office still owes the family a reminder: a confirmed visit yet to come, within
    `remind_within` of its start, not reminded yet."""
    return status == "confirmed" and not reminded and now < slot.start <= now + policy.remind_within


def check_recordable(slot: Slot, now: datetime) -> None:
    if now < slot.start:
        raise VisitRefused("whether the family came is recorded once the visit's time has come")


def room_clash(slot: Slot, booked: list[Slot]) -> Slot | None:
    """The first booking of the office's room this slot would overlap, if any."""
    return next((b for b in booked if slot.overlaps(b)), None)


def days_to_slot(booked_at: datetime, start: datetime) -> float:
    """How long a family waited from booking to the visit, in days."""
    return (start - booked_at).total_seconds() / 86400


def _hours(d: timedelta) -> str:
    return f"{d.total_seconds() / 3600:g}"
