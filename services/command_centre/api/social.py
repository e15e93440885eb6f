"""Social forces on the console (社会力量, docs/domain.md §2): each office keeps its registry of
social workers, volunteers and social organisations and the time they serve; the county sees every
office's. Supervision owns the registry and checks the office again on every step."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.command_centre.deps import Parts, User
from services.command_centre.persons import Access, audit_read, office_step
from shared import staff_steps as steps
from shared.authority import Actor

router = APIRouter(tags=["staff"])
PURPOSE = "社会力量管理 (social forces registry)"


@router.get("/api/v1/social-forces")
async def registry(parts: Parts, user: User, office: str | None = None) -> list[dict[str, Any]]:
    """The registry with each helper's time this year and the persons they serve (their office's,
    or for county staff one office's or all)."""
    if not user.county_wide:
        office = user.office
    params = {"office": office} if office else {}
    rows: list[dict[str, Any]] = await parts.supervision.call("GET", "/internal/v1/social-forces", params=params)
    await audit_read(parts, user, f"social-forces:{office or 'county'}")
    return [r for r in rows if user.sees(r["office"])]


async def _step(parts: Parts, user: Actor, path: str, body: Any, action: Access) -> dict[str, Any]:
    return await office_step(
        parts,
        user,
        "supervision",
        path,
        body,
        "social_forces.manage",
        action=action,
        resource="social-force",
        purpose=PURPOSE,
    )


@router.post("/api/v1/social-forces", status_code=201)
async def register(body: steps.SocialForce, parts: Parts, user: User) -> dict[str, Any]:
    return await _step(parts, user, "social-forces", body, "create")


@router.post("/api/v1/social-forces/{force_id}/service-time", status_code=201)
async def service_time(force_id: uuid.UUID, body: steps.ServiceTime, parts: Parts, user: User) -> dict[str, Any]:
    return await _step(parts, user, f"social-forces/{force_id}/service-time", body, "update")


@router.post("/api/v1/social-forces/{force_id}/left")
async def left(force_id: uuid.UUID, body: steps.LeftService, parts: Parts, user: User) -> dict[str, Any]:
    return await _step(parts, user, f"social-forces/{force_id}/left", body, "update")
