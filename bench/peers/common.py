"""What both peers share with supervision's own job: the county (from policy/geography.yaml) and
the domain's judging (services/supervision/domain: geo.judge_position, zones.on_fix), so the
comparison is of the stream-processing frameworks, not of the geometry. Imported by the peer
jobs in their own virtual environments (bench/peers/__init__.py); nothing here imports Kafka."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

from services.supervision.domain.geo import county_area, judge_position, projection_for
from services.supervision.domain.zones import ZoneState, on_fix
from shared.events import LocationFix
from shared.geography import load_geography
from shared.paths import POLICY_DIR

GEOGRAPHY = load_geography(POLICY_DIR)
PROJECTION = projection_for(GEOGRAPHY)
COUNTY = county_area(GEOGRAPHY, PROJECTION)
EXCLUSIONS: tuple = ()  # the bench persons' orders name none (bench/load.court_order)


def kafka() -> dict[str, str]:
    """The broker and the principal, as the bench names them in the environment."""
    return {
        "bootstrap": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        "username": os.environ.get("KAFKA_SASL_USERNAME", ""),
        "password": os.environ.get("KAFKA_SASL_PASSWORD", ""),
    }


def state_of(saved: list[Any] | None) -> ZoneState:
    if not saved:
        return ZoneState()
    episode, last, outside, tampered, zones = saved
    return ZoneState(
        uuid.UUID(episode) if episode else None,
        datetime.fromisoformat(last) if last else None,
        outside,
        tampered,
        tuple(zones),
    )


def saved_of(state: ZoneState) -> list[Any]:
    return [
        str(state.outside_episode) if state.outside_episode else None,
        state.last_fix_at.isoformat() if state.last_fix_at else None,
        state.last_outside,
        state.tampered,
        list(state.in_zones),
    ]


def judge(envelope: dict[str, Any], saved: list[Any] | None) -> tuple[list[Any] | None, list[dict[str, Any]]]:
    """One fix against the person's state: the new state to keep (None: unchanged) and the
    transitions to emit."""
    fix = LocationFix.model_validate(envelope["data"])
    x, y = PROJECTION.xy(fix.lon, fix.lat)
    verdict = judge_position(x, y, fix.accuracy_m, COUNTY, EXCLUSIONS)
    state = state_of(saved)
    new, transitions = on_fix(
        state, fix.person_id, uuid.UUID(envelope["id"]), fix.recorded_at, verdict, strap_intact=fix.strap_intact
    )
    out = [
        {"person_id": str(fix.person_id), "transition": type(t).__name__, "episode": str(t.episode_id)}
        for t in transitions
    ]
    return (None if new == state else saved_of(new)), out
