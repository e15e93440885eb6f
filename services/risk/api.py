"""Risk's internal HTTP API: explanations, professional override, re-scoring, quality report."""

from __future__ import annotations

import uuid
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.risk.adapters.tables import assessments, profiles
from services.risk.deps import Parts
from services.risk.domain.instrument import load_instrument
from shared.errors import NotFound, Refused
from shared.internal import require_internal
from shared.policy import PolicyError

router = APIRouter(prefix="/internal/v1", tags=["risk"], dependencies=[Depends(require_internal)])


class OverrideIn(BaseModel):
    level: Literal["low", "medium", "high"]
    reason: str = Field(min_length=5, max_length=2000)  # mandatory, and more than a word
    actor: str = Field(min_length=1, max_length=64)


def _row(r) -> dict:
    d = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dict(r).items()}
    d["level"] = d.get("override_level") or d.get("computed_level")
    return d


@router.get("/persons/{person_id}/risk")
async def person_risk(person_id: uuid.UUID, parts: Parts) -> dict:
    """The latest assessment under the current instrument, explained in zh and en, with history."""
    handlers = parts.handlers
    async with parts.runtime.engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    sa.select(assessments)
                    .where(assessments.c.person_id == person_id)
                    .order_by(assessments.c.created_at)
                )
            )
            .mappings()
            .all()
        )
    if not rows:
        raise NotFound(f"no assessment for person {person_id}")
    current = [r for r in rows if r["instrument_version"] == handlers.instrument.version]
    latest = _row(current[-1]) if current else None
    if latest:
        latest["explanation"] = handlers.instrument.explain(latest["items"], latest["overrides_applied"])
    by_version: dict[str, list[dict]] = {}
    for r in rows:
        by_version.setdefault(r["instrument_version"], []).append(_row(r))
    return {
        "person_id": str(person_id),
        "current_version": handlers.instrument.version,
        "latest": latest,
        "history_by_version": by_version,
    }


@router.post("/persons/{person_id}/assess", status_code=201)
async def assess_now(person_id: uuid.UUID, parts: Parts, actor: str) -> dict:
    """An assessment on demand, from the facts known now."""
    async with parts.runtime.uow() as uow:
        result = await parts.handlers.assess(uow, person_id, f"on demand by {actor}", None)
    if result is None:
        raise NotFound(f"nothing is known of person {person_id}")
    return result.model_dump(mode="json")


@router.post("/assessments/{assessment_id}/override")
async def override(assessment_id: uuid.UUID, body: OverrideIn, parts: Parts) -> dict:
    try:
        async with parts.runtime.uow() as uow:
            result = await parts.handlers.override(uow, assessment_id, body.level, body.reason, body.actor)
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    return result.model_dump(mode="json")


@router.post("/rescore")
async def rescore(parts: Parts, version: str) -> dict:
    """Score everyone again under another instrument version; new rows beside the old, none overwritten."""
    try:
        instrument = load_instrument(parts.policy_dir, version)
    except PolicyError as exc:
        raise Refused("version", f"no such valid instrument version: {str(exc).splitlines()[0]}") from None
    handlers = parts.handlers
    done = 0
    async with parts.runtime.engine.connect() as conn:
        people = (await conn.execute(sa.select(profiles.c.person_id))).scalars().all()
    for person_id in people:
        async with parts.runtime.uow() as uow:
            if await handlers.assess(uow, person_id, f"rescore:{version}", None, instrument=instrument):
                done += 1
    return {"version": version, "rescored": done}


@router.get("/quality")
async def quality(parts: Parts, version: str | None = None) -> dict:
    """Level distribution per justice office and per offence category, and override rates."""
    version = version or parts.handlers.instrument.version
    latest = (
        sa.select(assessments)
        .where(assessments.c.instrument_version == version)
        .distinct(assessments.c.person_id)
        .order_by(assessments.c.person_id, assessments.c.created_at.desc())
        .subquery()
    )
    level = sa.func.coalesce(latest.c.override_level, latest.c.computed_level)

    async def grouped(conn, column) -> dict:
        rows = await conn.execute(
            sa.select(column, level.label("level"), sa.func.count().label("n")).group_by(column, level)
        )
        out: dict = {}
        for r in rows:
            out.setdefault(r[0] or "unknown", {"low": 0, "medium": 0, "high": 0})[r.level] = r.n
        return out

    async with parts.runtime.engine.connect() as conn:
        by_office = await grouped(conn, latest.c.jurisdiction)
        by_offence = await grouped(conn, latest.c.offence_category)
        total, overridden = (
            await conn.execute(
                sa.select(sa.func.count(), sa.func.count().filter(assessments.c.override_level.isnot(None))).where(
                    assessments.c.instrument_version == version
                )
            )
        ).one()
        raised = await conn.scalar(
            sa.select(sa.func.count()).where(
                assessments.c.instrument_version == version,
                assessments.c.override_level.isnot(None),
                sa.case(
                    (assessments.c.override_level == "high", 3), (assessments.c.override_level == "medium", 2), else_=1
                )
                > sa.case(
                    (assessments.c.computed_level == "high", 3), (assessments.c.computed_level == "medium", 2), else_=1
                ),
            )
        )
    return {
        "instrument_version": version,
        "by_office": by_office,
        "by_offence_category": by_offence,
        "assessments": total,
        "overridden": overridden,
        "override_rate": round(overridden / total, 6) if total else None,
        "overrides_raising_level": raised,
        "overrides_lowering_level": overridden - (raised or 0),
    }
