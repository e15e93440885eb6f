"""Remote family video visits on the console (远程亲情视频会见, docs/domain.md §2), and the
pre-release visits to the prisons (延伸帮教): the prisons'
slots, the office's bookings for families in its own video room, cancellations and whether the
family came. Handover owns the calendar and checks the office again on every step; the family's
identity number crosses here once, to be masked there."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.command_centre.api.views import Month
from services.command_centre.deps import Parts, User
from services.command_centre.persons import Access, audit_read, office_step
from shared import staff_steps as steps
from shared.authority import Actor

router = APIRouter(tags=["staff"])
PURPOSE = "远程亲情视频会见 (family video visits)"


@router.get("/api/v1/visit-slots")
async def slots(parts: Parts, user: User) -> list[dict[str, Any]]:
    """The prisons' slots from now, soonest first, each booked or open."""
    rows: list[dict[str, Any]] = await parts.handover.call("GET", "/internal/v1/visit-slots")
    await audit_read(parts, user, "visit-slots")
    return rows


@router.get("/api/v1/visits")
async def bookings(parts: Parts, user: User, office: str | None = None) -> list[dict[str, Any]]:
    """The office's bookings, the latest visit first (county staff: one office's or all)."""
    if not user.county_wide:
        office = user.office
    rows: list[dict[str, Any]] = await parts.handover.call(
        "GET", "/internal/v1/visits", params={"office": office} if office else {}
    )
    await audit_read(parts, user, f"visits:{office or 'county'}")
    return [r for r in rows if user.sees(r["office"])]


@router.get("/api/v1/visit-figures")
async def figures(parts: Parts, user: User, month: Month = None) -> dict[str, Any]:
    """Per office and per prison, for the month's visits: held, no-shows, days from booking."""
    data: dict[str, Any] = await parts.handover.call(
        "GET", "/internal/v1/visit-figures", params={"month": month} if month else {}
    )
    data["offices"] = [o for o in data["offices"] if user.sees(o["office"])]
    return data


async def _step(parts: Parts, user: Actor, action: str, path: str, body: Any, access: Access) -> dict[str, Any]:
    return await office_step(
        parts, user, "handover", path, body, action, action=access, resource="visit", purpose=PURPOSE
    )


@router.post("/api/v1/visit-slots/{slot_id}/book", status_code=201)
async def book(slot_id: uuid.UUID, body: steps.Booking, parts: Parts, user: User) -> dict[str, Any]:
    """Book the slot for a family member whose identity card the user saw: 409 if another office
    has it or the office's room is taken then."""
    return await _step(parts, user, "visit.book", f"visit-slots/{slot_id}/book", body, "create")


@router.post("/api/v1/visits/{booking_id}/cancel")
async def cancel(booking_id: uuid.UUID, body: steps.Cancellation, parts: Parts, user: User) -> dict[str, Any]:
    return await _step(parts, user, "visit.book", f"visits/{booking_id}/cancel", body, "update")


@router.post("/api/v1/visits/{booking_id}/reminded")
async def reminded(booking_id: uuid.UUID, parts: Parts, user: User) -> dict[str, Any]:
    """The office phoned the family to remind them of the confirmed visit."""
    return await _step(parts, user, "visit.book", f"visits/{booking_id}/reminded", steps.NoBody(), "update")


@router.post("/api/v1/visits/{booking_id}/outcome")
async def outcome(booking_id: uuid.UUID, body: steps.VisitOutcome, parts: Parts, user: User) -> dict[str, Any]:
    return await _step(parts, user, "visit.record", f"visits/{booking_id}/outcome", body, "update")


# --- pre-release work in the prisons (延伸帮教) -------------------------------------------------------


class PrisonVisit(BaseModel):
    prison: str = Field(min_length=2, max_length=100)
    visited_on: date
    notices_seen: list[str] = Field(default_factory=list, max_length=500)  # the prison's notice numbers
    note: str = Field(min_length=2, max_length=2000)


@router.get("/api/v1/prison-visits")
async def prison_visits(parts: Parts, user: User) -> dict[str, Any]:
    """延伸帮教: each prison's last visit and the day the next is owed, and the recent visits."""
    data: dict[str, Any] = await parts.handover.call("GET", "/internal/v1/prison-visits")
    await audit_read(parts, user, "prison-visits")
    return data


@router.post("/api/v1/prison-visits", status_code=201)
async def record_prison_visit(body: PrisonVisit, parts: Parts, user: User) -> dict[str, Any]:
    return await office_step(
        parts,
        user,
        "handover",
        "prison-visits",
        body,
        "prison_visit.record",
        resource="prison-visit",
        purpose="延伸帮教 (prison visit)",
    )
