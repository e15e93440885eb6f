"""Zone transitions: one exit episode per stay outside, so a continuing breach is one cause.

The state is a value; `on_fix` returns the new state and the events to publish, and never
touches the outside world.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from services.supervision.domain.geo import PositionVerdict

_EPISODE_NS = uuid.UUID("6f1d9a4e-7d0b-4b8e-9a53-2f6a0c1e5b11")


@dataclass(frozen=True, slots=True)
class ZoneState:
    outside_episode: uuid.UUID | None = None
    last_fix_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Exited:
    episode_id: uuid.UUID
    distance_m: float


@dataclass(frozen=True, slots=True)
class Returned:
    episode_id: uuid.UUID


Transition = Exited | Returned


def episode_id(person_id: uuid.UUID, first_fix_event_id: uuid.UUID) -> uuid.UUID:
    """Stable: the same first fix, redelivered, names the same episode."""
    return uuid.uuid5(_EPISODE_NS, f"{person_id}:{first_fix_event_id}")


def on_fix(state: ZoneState, person_id: uuid.UUID, fix_event_id: uuid.UUID, recorded_at: datetime,
           verdict: PositionVerdict, *, leave_active: bool = False) -> tuple[ZoneState, list[Transition]]:
    """Apply one fix. A fix older than the last one seen changes nothing (devices resend late)."""
    if state.last_fix_at is not None and recorded_at < state.last_fix_at:
        return state, []
    new = replace(state, last_fix_at=recorded_at)
    if verdict.outside_permitted and not leave_active and state.outside_episode is None:
        eid = episode_id(person_id, fix_event_id)
        return replace(new, outside_episode=eid), [Exited(eid, verdict.distance_outside_m)]
    if state.outside_episode is not None and (verdict.inside_permitted or leave_active):
        return replace(new, outside_episode=None), [Returned(state.outside_episode)]
    return new, []
