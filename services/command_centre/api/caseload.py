"""The caseload and person search (#20): an officer's own persons, the county's for county roles."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.command_centre.adapters import queries
from services.command_centre.deps import Parts, User
from services.command_centre.persons import audit_read

router = APIRouter()


@router.get("/api/v1/persons", tags=["staff"])
async def caseload(
    parts: Parts,
    user: User,
    office: str | None = Query(None, max_length=60, description="a county role's choice of office"),
    group: Literal["corrections", "resettlement", "aftercare"] | None = None,
    level: Literal["strict", "ordinary", "lenient"] | None = None,
    positioning: bool | None = Query(None, description="under electronic positioning (电子定位)"),
    status: Literal["active", "awaiting_intake", "under_supervision", "closed"] = "active",
    key_person: bool | None = Query(None, description="on this month's key-person list"),
    open_alerts: bool = Query(False, description="only persons with an open alert"),
    term_ending_within_days: int | None = Query(None, ge=0, le=3660),
    q: str | None = Query(
        None, min_length=1, max_length=64, description="masked name, last 4 of the id, order or notice number"
    ),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """Who this member of staff supervises: an officer sees their office only (another office is a
    403), county staff the county or one office. Each person carries their open alerts."""
    scope = office if office is not None else (None if user.county_wide else user.office)
    user.must_see(scope)
    engine = parts.runtime.engine
    # Filtering by open alerts needs them all; otherwise only the page's persons are counted.
    counts = await queries.open_alert_counts(engine, scope) if open_alerts else None
    body: dict[str, Any] = {
        "jurisdiction": scope,
        "group": group,
        "level": level,
        "positioning": positioning,
        "status": status,
        "key_person": key_person,
        "term_ending_within_days": term_ending_within_days,
        "q": q,
        "limit": limit,
        "offset": offset,
    }
    if counts is not None:
        body["persons"] = list(counts)
    await audit_read(parts, user, f"caseload:{scope or 'county'}")
    found: dict[str, Any] = await parts.supervision.call("POST", "/internal/v1/caseload", json=body, actor=user)
    if counts is None:
        counts = await queries.open_alert_counts(engine, scope, [p["person_id"] for p in found["persons"]])
    for person in found["persons"]:
        person["open_alerts"] = counts.get(person["person_id"], 0)
    return found


class LabelsIn(BaseModel):
    person_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class PersonLabel(BaseModel):
    """A person as the board names them: masked name and case number, never a raw id."""

    name_masked: str | None
    case_ref: str | None
    jurisdiction: str
    kind: str


@router.post("/api/v1/person-labels", tags=["staff"])
async def person_labels(body: LabelsIn, parts: Parts, user: User) -> dict[str, PersonLabel]:
    """How the console names persons it holds only ids of (an alert's person): masked name, case
    number, office and group, for the persons of the offices this user sees. Never a raw id on
    screen (docs/security.md). The read is audited once for the whole list."""
    scope = None if user.county_wide else user.office
    await audit_read(parts, user, f"person-labels:{scope or 'county'}")
    found: dict[str, Any] = await parts.supervision.call(
        "POST",
        "/internal/v1/caseload",
        json={"jurisdiction": scope, "status": "any", "persons": [str(p) for p in body.person_ids], "limit": 500},
        actor=user,
    )
    labels: dict[str, PersonLabel] = {}
    for row in found["persons"]:  # newest case first: a person's label is their latest case
        if row["person_id"] not in labels:
            labels[row["person_id"]] = PersonLabel(
                name_masked=(row.get("person_masked") or {}).get("name_masked"),
                case_ref=row["source_ref"],
                jurisdiction=row["jurisdiction"],
                kind=row["kind"],
            )
    return labels
