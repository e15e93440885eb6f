"""协矫通: the team routes, the only ones a team member's account reaches (docs/domain.md §1,
"The correction team"; docs/security.md). A volunteer, social worker or grid worker sees the
persons whose correction teams name their account, and of each only what the team's work needs;
they record a visit or a note, and confirm the time the person's app reported. Supervision checks
the team again on every call; every read and step goes on the audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.command_centre.deps import Parts, TeamUser
from services.command_centre.persons import audit_read, for_person, staff_step
from shared import staff_steps as steps
from shared.staff_steps import NoBody

router = APIRouter(tags=["team"])


@router.get("/api/v1/team/persons")
async def my_persons(parts: Parts, user: TeamUser):
    """The persons whose correction teams name this account."""
    user.require("team.read")
    await audit_read(parts, user, "team:persons")
    return await parts.supervision.call("GET", "/internal/v1/team/persons", actor=user)


@router.get("/api/v1/team/persons/{person_id}")
async def my_person(person_id: uuid.UUID, parts: Parts, user: TeamUser):
    """One of them: masked identity, level, the month's time and what waits to be confirmed, and
    the team's visits and notes. 403 for a person whose team does not name this account."""
    user.require("team.read")
    return await for_person(
        parts, user, person_id, "supervision", "GET", f"/internal/v1/persons/{person_id}/team-view", resource="team"
    )


@router.post("/api/v1/team/persons/{person_id}/entries", status_code=201)
async def record_entry(person_id: uuid.UUID, body: steps.TeamEntry, parts: Parts, user: TeamUser):
    """A visit to the person (走访) or a note on them."""
    path = f"persons/{person_id}/team-entries"
    return await staff_step(parts, user, person_id, "POST", path, body, "team.record", resource="team")


@router.post("/api/v1/team/persons/{person_id}/hours/{entry_id}/confirm")
async def confirm_hours(person_id: uuid.UUID, entry_id: uuid.UUID, parts: Parts, user: TeamUser):
    """The app's reported time, confirmed by the team member who saw it done."""
    path = f"persons/{person_id}/hours/{entry_id}/confirm"
    return await staff_step(parts, user, person_id, "POST", path, NoBody(), "hours.confirm", "update")
