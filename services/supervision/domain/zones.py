"""Position transitions: one episode per stay outside, per stay in an exclusion zone, per strap cut.

A continuing breach is one cause; only its start (and, for the county, its end) is an event.
The state is a value; `on_fix` returns the new state and the transitions, and touches nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec

from services.supervision.domain.geo import PositionVerdict

_EPISODE_NS = uuid.UUID("6f1d9a4e-7d0b-4b8e-9a53-2f6a0c1e5b11")


class ZoneState(msgspec.Struct, frozen=True, gc=False):
    """A person's zone state: a value. Untracked by the cyclic collector (it holds no container
    that could make a cycle): at 100k persons each fix's state lives seconds, and as a tracked
    object every collection walked it (docs/performance.md, the collector's share)."""

    outside_episode: uuid.UUID | None = None
    last_fix_at: datetime | None = None  # the last fix applied: its time, or its arrival if dated ahead (on_fix)
    last_outside: bool = False  # the last fix was outside beyond accuracy (leave or not)
    tampered: bool = False
    in_zones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exited:
    episode_id: uuid.UUID
    distance_m: float


@dataclass(frozen=True, slots=True)
class Returned:
    episode_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class EnteredZone:
    zone: str
    episode_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Tampered:
    episode_id: uuid.UUID


Transition = Exited | Returned | EnteredZone | Tampered


def episode_id(person_id: uuid.UUID, first_fix_event_id: uuid.UUID, kind: str = "zone") -> uuid.UUID:
    """Stable: the same first fix, redelivered, names the same episode."""
    suffix = "" if kind == "zone" else f":{kind}"
    return uuid.uuid5(_EPISODE_NS, f"{person_id}:{first_fix_event_id}{suffix}")


def on_fix(
    state: ZoneState,
    person_id: uuid.UUID,
    fix_event_id: uuid.UUID,
    recorded_at: datetime,
    verdict: PositionVerdict,
    *,
    leave_active: bool = False,
    strap_intact: bool | None = None,
    arrived_at: datetime | None = None,
) -> tuple[ZoneState, list[Transition]]:
    """Apply one fix. A fix older than the last one seen changes nothing (devices resend late).

    Fixes are ordered by their claimed time, except that a fix dated ahead of its arrival at the
    gateway (`arrived_at`, the envelope's time: the same on every redelivery, never the clock of
    the moment it is judged) counts from its arrival: a fix dated just under the tolerance ahead
    would otherwise make every real fix after it "older", and ignored, until the clock caught up;
    and a device whose clock runs fast keeps its own fixes in the order they came, so a
    redelivered one is still older (L7, docs/security.md)."""
    at = recorded_at if arrived_at is None or recorded_at <= arrived_at else arrived_at
    if state.last_fix_at is not None and at < state.last_fix_at:
        return state, []
    out: list[Transition] = []
    episode, tampered = state.outside_episode, state.tampered
    if verdict.outside_permitted and not leave_active and episode is None:
        episode = episode_id(person_id, fix_event_id)
        out.append(Exited(episode, verdict.distance_outside_m))
    elif episode is not None and (verdict.inside_permitted or leave_active):
        out.append(Returned(episode))
        episode = None
    for zone in verdict.exclusion_zones_entered:
        if zone not in state.in_zones:
            out.append(EnteredZone(zone, episode_id(person_id, fix_event_id, f"zone:{zone}")))
    if strap_intact is False and not tampered:
        tampered = True
        out.append(Tampered(episode_id(person_id, fix_event_id, "tamper")))
    elif strap_intact is True and tampered:
        tampered = False
    # One constructor call, not `dataclasses.replace` (which introspects the fields on every
    # call: 4 % of supervision's CPU at 100k persons).
    return ZoneState(episode, at, verdict.outside_permitted, tampered, verdict.exclusion_zones_entered), out
