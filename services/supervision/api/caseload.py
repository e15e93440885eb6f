"""The caseload (在册人员): who an office (or the county) supervises, filtered and searched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.supervision.adapters import queries
from services.supervision.deps import Parts
from services.supervision.domain.cases import ACTIVE
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


class CaseloadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str | None = Field(None, max_length=60)  # None: the county's
    group: Literal["corrections", "resettlement", "aftercare"] | None = None
    level: Literal["strict", "ordinary", "lenient"] | None = None
    positioning: bool | None = None
    status: Literal["active", "awaiting_intake", "under_supervision", "closed", "any"] = "active"
    key_person: bool | None = None
    term_ending_within_days: int | None = Field(None, ge=0, le=3660)
    persons: list[uuid.UUID] | None = Field(None, max_length=20_000)  # e.g. those with open alerts
    q: str | None = Field(None, min_length=1, max_length=64)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)  # PostgreSQL's OFFSET is a bigint


STATUSES = {
    "active": ACTIVE,
    "awaiting_intake": ("awaiting_intake",),
    "under_supervision": ("under_supervision",),
    "closed": ("ended", "revoked", "transferred"),
    "any": (*ACTIVE, "ended", "revoked", "transferred"),
}


@router.post("/caseload")
async def caseload(body: CaseloadQuery, parts: Parts) -> dict[str, Any]:
    county = parts.runtime.county
    now = datetime.now(UTC)
    filters = body.model_dump(exclude={"status"})
    async with parts.runtime.engine.connect() as conn:
        return await queries.caseload(
            conn, month=county.month_of(now), today=county.day_of(now), statuses=STATUSES[body.status], **filters
        )
