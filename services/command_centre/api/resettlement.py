"""Resettlement bases on the console (安置基地, docs/domain.md §2): each office's bases and their
places; a placement into one is a handover service naming the base (handover checks a place is
left)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.command_centre.deps import Parts, User
from services.command_centre.persons import office_step

router = APIRouter(tags=["staff"])


class Base(BaseModel):
    office: str = Field(min_length=2, max_length=60)
    name: str = Field(min_length=2, max_length=100)
    kind: Literal["enterprise", "farm", "workshop", "other"]
    places: int = Field(ge=1, le=10_000)


@router.get("/api/v1/bases")
async def bases(parts: Parts, user: User) -> list[dict[str, Any]]:
    """The bases of the offices this user sees, with their places and how many are taken."""
    params = {} if user.county_wide else {"office": user.office}
    rows: list[dict[str, Any]] = await parts.handover.call("GET", "/internal/v1/bases", params=params)
    return [r for r in rows if user.sees(r["office"])]


@router.post("/api/v1/bases", status_code=201)
async def register(body: Base, parts: Parts, user: User) -> dict[str, Any]:
    user.require("bases.manage", body.office)
    return await office_step(
        parts, user, "handover", "bases", body, "bases.manage", resource="base", purpose="安置基地 (resettlement base)"
    )
