"""Risk's staff steps: an assessment on demand, and a professional override with its reason;
each a function `(ctx, uow, actor, …)` over the service's context (context.py)."""

from __future__ import annotations

import itertools
import uuid

from services.risk import assessments
from services.risk.assessments import is_monthly, overridden
from services.risk.context import RiskContext
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.events import RiskAssessed


async def assess_on_demand(ctx: RiskContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> RiskAssessed:
    """A member of staff asks for an assessment from the facts known now."""
    actor.require("risk.assess")
    assessed = await assessments.assess(ctx, uow, person_id, f"on demand by {actor.name}", None)
    if assessed is None:
        raise NotFound(f"nothing is known of person {person_id}")
    return assessed


async def override(
    ctx: RiskContext,
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    assessment_id: uuid.UUID,
    level: str,
    reason: str,
) -> RiskAssessed:
    """A professional override of one of the person's assessments, with its reason; the computed
    level stays beside it. The assessment must be this person's, in an office the actor sees."""
    store = ctx.store(uow)
    row = await store.assessment_for_update(assessment_id)
    if row is None or row["person_id"] != person_id:
        raise NotFound(f"no assessment {assessment_id} of person {person_id}")
    actor.require("risk.override", row["jurisdiction"])
    # An assessment made after the one on the officer's screen (an event's, a moment later)
    # carries the decision too, unless it computed above it (docs/domain.md, "Risk overrides").
    later = await store.later_for_update(assessment_id)
    stands = list(
        itertools.takewhile(
            lambda a: ctx.instrument.carries_override(level, a["computed_level"], monthly=is_monthly(a["trigger"])),
            later,
        )
    )
    current = (stands or [row])[-1]
    previous = current["override_level"] or current["computed_level"]
    await store.set_override(assessment_id, level, reason, actor.name)
    for each in stands:
        await store.set_override(each["assessment_id"], level, reason, actor.name, carried_from=assessment_id)
    made = overridden(row, actor.name, level, reason)
    if len(stands) < len(later):
        return made  # a later rise stands; nothing current changed
    uow.publish(made, subject=row["person_id"])
    for each in stands:
        uow.publish(overridden(each, actor.name, level, reason), subject=row["person_id"])
    await assessments.after_level(
        ctx,
        uow,
        current["assessment_id"],
        row["person_id"],
        previous,
        level,
        current["total"],
        row["jurisdiction"],
        None,
    )
    return made
