"""协矫通: what a member of a correction team sees and records through their own account
(docs/domain.md §1, "The correction team").

A volunteer, social worker or grid worker named on a team with their account sees only the persons
whose teams name them, and of those only what the team's work needs: the masked identity, the
level, the month's study and community-service time (to confirm what the app reported) and the
team's own visits and notes. Every check that they are on the team is `_case`'s (commands.py), the
one gate of every step on a case.

Functions over the service's context (context.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from services.supervision import hours
from services.supervision.context import SupervisionContext
from services.supervision.hours import first_day, month_of
from shared import staff_steps as steps
from shared.authority import Actor
from shared.calendar import add_months
from shared.db.rows import plain
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, Refused

TEAM_ENTRY = "sps.supervision.team-entry"  # on the person's file; the office reads it there
ENTRIES_SHOWN = 20


async def record_team_entry(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.TeamEntry
) -> dict[str, Any]:
    """A visit to the person or a note on them, on the person's file with who wrote it."""
    store = ctx.store(uow)
    await ctx.case(store, person_id, actor, "team.record")
    if why := ctx.county.not_come_yet(step.on, ctx.clock()):
        raise Refused("on", why)
    entry_id, now = uuid.uuid4(), ctx.clock()
    summary = {"kind": step.kind, "on": step.on.isoformat(), "text": step.text, "by": actor.name}
    await store.record(person_id, entry_id, TEAM_ENTRY, now, summary)
    return {"entry_id": str(entry_id), "recorded_at": now.isoformat(), **summary}


async def team_persons(ctx: SupervisionContext, uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The persons whose correction teams name this account (an account of staff has none)."""
    actor.require("team.read")
    if not actor.team_scoped:
        raise Forbidden("the team's list is for 协矫通 accounts: staff see their office's caseload")
    rows = await ctx.store(uow).team_cases(actor.name)
    return [
        {
            "person_id": str(r["person_id"]),
            "identity": r["person_masked"],
            "jurisdiction": r["jurisdiction"],
            "kind": r["kind"],
            "level": r["level"],
            "team_role": r["team_role"],
        }
        for r in rows
        if actor.sees(r["jurisdiction"])
    ]


async def team_view(ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> dict[str, Any]:
    """One person as their team member sees them: no address, no positions, no alerts."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "team.read")
    month = month_of(ctx.county.day_of(ctx.clock()))
    first = first_day(month)
    # Last month's too: the app's time of a month's last days is often confirmed after it.
    entries = await store.hours_entries(case["case_id"], add_months(first, -1), add_months(first, 1))
    notes = await store.file_entries(person_id, TEAM_ENTRY, ENTRIES_SHOWN)
    return {
        "person_id": str(person_id),
        "identity": case["person_masked"],
        "jurisdiction": case["jurisdiction"],
        "kind": case["kind"],
        "level": case["level"],
        "hours": await hours.hours_month(ctx, uow, person_id, month)
        if case["kind"] == "community_correction"
        else None,
        "hours_entries": [plain(e) for e in entries],
        "entries": [{"entry_id": str(n["event_id"]), **n["summary"]} for n in notes],
    }
