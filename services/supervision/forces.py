"""Social forces (社会力量, docs/domain.md §2): the registry of social workers, volunteers and social
organisations each office keeps (the 2018 plan's 数据库), and the time they serve. The persons a
helper serves are the correction teams that name their 协矫通 account (team.py).

Functions over the service's context (context.py); the registry's reads are in adapters/queries.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.context import SupervisionContext
from shared import staff_steps as steps
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused


async def register_social_force(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, step: steps.SocialForce
) -> dict[str, Any]:
    """A helper joins an office's registry."""
    actor.require("social_forces.manage", step.office)
    if ctx.offices and step.office not in ctx.offices:
        raise Refused("office", f"{step.office} is not a justice office of the county")
    values = {
        "force_id": uuid.uuid4(),
        **step.model_dump(),
        "registered_by": actor.name,
        "registered_at": ctx.clock(),
        "left_on": None,
    }
    await ctx.store(uow).add_social_force(values)
    return {**values, "force_id": str(values["force_id"])}


async def _force(ctx: SupervisionContext, store: SupervisionStore, actor: Actor, force_id: uuid.UUID) -> Row:
    force = await store.social_force(force_id)
    if force is None:
        raise NotFound(f"no social force {force_id}")
    actor.require("social_forces.manage", force["office"])
    return force


async def record_service_time(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, force_id: uuid.UUID, step: steps.ServiceTime
) -> dict[str, Any]:
    """Time a helper served, while registered and never ahead of the county's day."""
    store = ctx.store(uow)
    force = await _force(ctx, store, actor, force_id)
    if why := ctx.county.not_come_yet(step.on, ctx.clock()):
        raise Refused("on", why)
    if force["left_on"] is not None and step.on > force["left_on"]:
        raise Refused("on", f"{force['name']} left the registry on {force['left_on'].isoformat()}")
    values = {
        "entry_id": uuid.uuid4(),
        "force_id": force_id,
        **step.model_dump(),
        "recorded_by": actor.name,
        "recorded_at": ctx.clock(),
    }
    await store.add_service_time(values)
    return {**values, "entry_id": str(values["entry_id"]), "force_id": str(force_id)}


async def social_force_left(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, force_id: uuid.UUID, step: steps.LeftService
) -> dict[str, Any]:
    """The helper leaves the registry (their time served stays on it)."""
    store = ctx.store(uow)
    force = await _force(ctx, store, actor, force_id)
    if force["left_on"] is not None:
        raise Conflict(f"{force['name']} left already, on {force['left_on'].isoformat()}")
    if why := ctx.county.not_come_yet(step.on, ctx.clock()):
        raise Refused("on", why)
    await store.social_force_left(force_id, step.on)
    return {"force_id": str(force_id), "left_on": step.on.isoformat()}
