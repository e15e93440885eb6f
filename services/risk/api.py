"""Risk's internal HTTP API: explanations, professional override, re-scoring, quality report."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from services.risk import assessments, commands
from services.risk.adapters import queries
from services.risk.deps import Parts
from services.risk.domain.instrument import load_instrument
from shared.authority import ActingStaff
from shared.db.rows import plain
from shared.deps import StaffActor
from shared.errors import NotFound, Refused
from shared.internal import require_internal
from shared.policy import PolicyError

router = APIRouter(prefix="/internal/v1", tags=["risk"], dependencies=[Depends(require_internal)])


class OverrideIn(ActingStaff):
    level: Literal["low", "medium", "high"]
    reason: str = Field(min_length=5, max_length=2000)  # mandatory, and more than a word


def _row(r) -> dict:
    d = plain(r)
    d["level"] = d.get("override_level") or d.get("computed_level")
    return d


@router.get("/persons/{person_id}/risk")
async def person_risk(person_id: uuid.UUID, parts: Parts) -> dict:
    """The latest assessment under the current instrument, explained in zh and en, with history."""
    ctx = parts.ctx
    async with parts.runtime.engine.connect() as conn:
        rows = await queries.assessments_of(conn, person_id)
    if not rows:
        raise NotFound(f"no assessment for person {person_id}")
    current = [r for r in rows if r["instrument_version"] == ctx.instrument.version]
    latest = _row(current[-1]) if current else None
    if latest:
        latest["explanation"] = ctx.instrument.explain(latest["items"], latest["overrides_applied"])
    by_version: dict[str, list[dict]] = {}
    for r in rows:
        by_version.setdefault(r["instrument_version"], []).append(_row(r))
    return {
        "person_id": str(person_id),
        "current_version": ctx.instrument.version,
        "latest": latest,
        "history_by_version": by_version,
    }


@router.post("/persons/{person_id}/assess", status_code=201)
async def assess_now(actor: StaffActor, person_id: uuid.UUID, body: ActingStaff, parts: Parts) -> dict[str, Any]:
    """An assessment on demand, from the facts known now."""
    async with parts.runtime.uow() as uow:
        result = await commands.assess_on_demand(parts.ctx, uow, actor, person_id)
    return result.model_dump(mode="json")


@router.post("/persons/{person_id}/assessments/{assessment_id}/override")
async def override(
    actor: StaffActor, person_id: uuid.UUID, assessment_id: uuid.UUID, body: OverrideIn, parts: Parts
) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        result = await commands.override(parts.ctx, uow, actor, person_id, assessment_id, body.level, body.reason)
    return result.model_dump(mode="json")


@router.post("/rescore")
async def rescore(parts: Parts, version: str) -> dict:
    """Score everyone again under another instrument version; new rows beside the old, none overwritten."""
    try:
        instrument = load_instrument(parts.policy_dir, version)
    except PolicyError as exc:
        raise Refused("version", f"no such valid instrument version: {str(exc).splitlines()[0]}") from None
    done = 0
    async with parts.runtime.engine.connect() as conn:
        people = await queries.persons(conn)
    for person_id in people:
        async with parts.runtime.uow() as uow:
            if await assessments.assess(parts.ctx, uow, person_id, f"rescore:{version}", None, instrument=instrument):
                done += 1
    return {"version": version, "rescored": done}


@router.get("/quality")
async def quality(parts: Parts, version: str | None = None) -> dict[str, Any]:
    """Level distribution per justice office and per offence category, and override rates."""
    async with parts.runtime.engine.connect() as conn:
        return await queries.quality(conn, version or parts.ctx.instrument.version)
