"""Risk's reads for staff: a person's assessments, the persons known, the quality report."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.risk.adapters.tables import assessments, profiles


async def assessments_of(conn: AsyncConnection, person_id: uuid.UUID) -> list[Any]:
    """Every assessment of the person, oldest first, under every instrument version."""
    query = sa.select(assessments).where(assessments.c.person_id == person_id).order_by(assessments.c.created_at)
    return list((await conn.execute(query)).mappings())


async def persons(conn: AsyncConnection) -> list[uuid.UUID]:
    return list((await conn.execute(sa.select(profiles.c.person_id))).scalars())


async def quality(conn: AsyncConnection, version: str) -> dict[str, Any]:
    """Level distribution per justice office and per offence category, and override rates."""
    latest = (
        sa.select(assessments)
        .where(assessments.c.instrument_version == version)
        .distinct(assessments.c.person_id)
        .order_by(assessments.c.person_id, assessments.c.created_at.desc())
        .subquery()
    )
    level = sa.func.coalesce(latest.c.override_level, latest.c.computed_level)

    async def grouped(column: Any) -> dict[str, dict[str, int]]:
        rows = await conn.execute(
            sa.select(column, level.label("level"), sa.func.count().label("n")).group_by(column, level)
        )
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r[0] or "unknown", {"low": 0, "medium": 0, "high": 0})[r.level] = r.n
        return out

    by_office = await grouped(latest.c.jurisdiction)
    by_offence = await grouped(latest.c.offence_category)
    # A decision counts once, on the assessment it was made on, not on those it was carried to.
    made = sa.and_(assessments.c.override_level.isnot(None), assessments.c.override_carried_from.is_(None))
    total, overridden = (
        await conn.execute(
            sa.select(sa.func.count(), sa.func.count().filter(made)).where(assessments.c.instrument_version == version)
        )
    ).one()
    raised = await conn.scalar(
        sa.select(sa.func.count()).where(
            assessments.c.instrument_version == version,
            made,
            sa.case((assessments.c.override_level == "high", 3), (assessments.c.override_level == "medium", 2), else_=1)
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
