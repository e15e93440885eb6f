"""What happened is not dated ahead: one rule for every time a person, a device, staff or an
agency gives for something that has happened (docs/security.md, L7).

A clock may run a little fast, so a time up to `clock.future_tolerance` (policy/security.yaml)
ahead of ours is taken as it is; further ahead it is refused, naming the field, because a record
from the future would make every real one after it look old (a fix) or claim what has not yet
happened (a return, an arrival, a ruling)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.errors import Refused
from shared.throttle import ClockPolicy

# The policy's default (policy/security.yaml), for wiring that is given no policy (unit tests).
DEFAULT_TOLERANCE: timedelta = ClockPolicy().future_tolerance


def latest_allowed(now: datetime, tolerance: timedelta) -> datetime:
    """The latest time taken as given at `now`: for a loop that compares many against one."""
    return now + tolerance


def is_ahead(at: datetime, now: datetime, tolerance: timedelta) -> bool:
    return at > latest_allowed(now, tolerance)


def first_ahead(times: Sequence[datetime], now: datetime, tolerance: timedelta) -> int | None:
    """The index of the first time too far ahead, or None."""
    return next((i for i, at in enumerate(times) if is_ahead(at, now, tolerance)), None)


def refuse_ahead(field: str, at: datetime, now: datetime, tolerance: timedelta, why: str | None = None) -> None:
    """A 422 naming the field when `at` is too far ahead of `now`."""
    if is_ahead(at, now, tolerance):
        raise Refused(field, why or f"{field} is in the future: record what has happened")
