"""What the console's map draws (last known positions, areas and zones, one person's day track)
and the month's supervision indicators. HTTP in, a query out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from services.supervision.adapters import views
from services.supervision.deps import Parts
from services.supervision.domain import indicators as figures
from shared.calendar import add_months
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


@router.get("/positions")
async def positions(
    parts: Parts, jurisdiction: str | None = None, limit: int = Query(5000, ge=1, le=100_000)
) -> list[dict[str, Any]]:
    async with parts.runtime.engine.connect() as conn:
        return await views.positions(conn, jurisdiction, limit)


@router.get("/zones")
async def zones(parts: Parts, jurisdiction: str | None = None) -> dict[str, Any]:
    """Exclusion zones and non-default permitted areas of active cases (the county comes from policy)."""
    async with parts.runtime.engine.connect() as conn:
        return await views.zones(conn, jurisdiction)


@router.get("/persons/{person_id}/track")
async def track(person_id: uuid.UUID, parts: Parts, day: date | None = None) -> list[dict[str, Any]]:
    """The kept fixes of one of the county's days (today by default)."""
    county = parts.runtime.county
    start, end = county.day_bounds(day or county.day_of(datetime.now(UTC)))
    async with parts.runtime.engine.connect() as conn:
        return await views.track(conn, person_id, start, end)


@router.get("/indicators")
async def indicators(parts: Parts, month: str | None = None) -> dict[str, Any]:
    """Per justice office for a month: electronic positioning rate, aftercare rate, abstinence rate."""
    county = parts.runtime.county
    month = month or county.month_of(datetime.now(UTC))
    start, end = county.month_bounds(month)
    # 操守保持率 weighs the quarter to the month's end: a test at each quarterly visit keeps it (D9)
    quarter = parts.ctx.policy.aftercare.visit_every_months
    tested_since = county.start_of(add_months(county.day_of(start), 1 - quarter))
    async with parts.runtime.engine.connect() as conn:
        counts = await views.month_counts(conn, start, end, month, tested_since)
    offices = figures.by_office(counts, parts.ctx.policy.social_forces)
    total = figures.county_total(counts, parts.ctx.policy.social_forces)
    return {"month": month, "targets": parts.ctx.policy.targets.model_dump(), "offices": offices, "total": total}
