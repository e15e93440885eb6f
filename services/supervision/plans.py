"""The individual correction plan (个案矫正方案), docs/domain.md §1: the office makes it
(`plan.make`), someone else approves it (`plan.approve`), and a plan not in force by its day
(`made_within` of intake or of a level change, or its review `review_every` after approval)
raises `plan_overdue`. The rules are in `domain/plans.py`.

Functions over the service's context (context.py): the event and timer handlers, and the staff steps.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any

from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.plans import PLANNED_KINDS, PlanPolicy, plan_state
from shared import staff_steps as steps
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events import PlanApproved, PlanMade, PlanOverdue
from shared.periods import ending_on, within_days
from shared.timers import Timer

PLAN_TIMER = "plan-due:{case_id}:"  # a closed case cancels them (programmes.CASE_TIMERS)


async def make_plan(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Plan
) -> PlanMade:
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "plan.make")
    if case["kind"] not in PLANNED_KINDS:
        raise Conflict("a plan is for community corrections (个案矫正方案) or resettlement (帮教计划)")
    now = ctx.clock()
    data = PlanMade(
        plan_id=uuid.uuid4(),
        person_id=person_id,
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        items=[item.model_dump() for item in step.items],
        made_by=actor.name,
    )
    await store.add_plan(
        plan_id=data.plan_id,
        person_id=person_id,
        case_id=case["case_id"],
        items=data.items,
        made_by=actor.name,
        made_at=now,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    return data


async def approve_plan(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, plan_id: uuid.UUID
) -> PlanApproved:
    """By someone other than its maker, once; its review is then due `review_every` on."""
    store = ctx.store(uow)
    plan = await store.plan(plan_id)
    if plan is None or plan["person_id"] != person_id:
        raise NotFound(f"no correction plan {plan_id} for person {person_id}")
    await ctx.case(store, person_id, actor, "plan.approve")
    if plan["approved_at"] is not None:
        raise Conflict(f"approved already by {plan['approved_by']}")
    if plan["made_by"] == actor.name:
        raise Conflict("a plan is approved by someone other than who made it")
    now = ctx.clock()
    await store.approve_plan(plan_id, actor.name, now)
    case = await store.case(plan["case_id"])
    kind = case["kind"] if case is not None else "community_correction"
    review = within_days(ctx.county, now, plan_policy(ctx, kind).review_every).last_day
    await schedule_plan_check(ctx, uow, plan["case_id"], review)
    data = PlanApproved(
        plan_id=plan_id, person_id=person_id, case_id=plan["case_id"], made_by=plan["made_by"], approved_by=actor.name
    )
    await ctx.publish_on_file(store, data, person_id, now)
    return data


def plan_timers(ctx: SupervisionContext) -> dict[str, Any]:
    return {"plan.due": partial(on_plan_due, ctx)}


def plan_policy(ctx: SupervisionContext, kind: str) -> PlanPolicy:
    """个案矫正方案 for community corrections, 帮教计划 for released persons."""
    return ctx.policy.help_plans if kind == "resettlement" else ctx.policy.plans


async def plan_due_from(
    ctx: SupervisionContext, uow: UnitOfWork, case_id: uuid.UUID, on: date, kind: str = "community_correction"
) -> None:
    """A plan (or its review) is due `made_within` from `on`; its last day is the office's in full
    (the one period rule, docs/rules.md)."""
    due = within_days(ctx.county, on, plan_policy(ctx, kind).made_within).last_day
    await schedule_plan_check(ctx, uow, case_id, due)


async def schedule_plan_check(ctx: SupervisionContext, uow: UnitOfWork, case_id: uuid.UUID, due: date) -> None:
    await ctx.store(uow).schedule(
        PLAN_TIMER.format(case_id=case_id) + due.isoformat(),
        "plan.due",
        ending_on(ctx.county, due).due,
        {"case_id": str(case_id), "due_on": due.isoformat()},
    )


async def on_plan_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    store = ctx.store(uow)
    case = await store.case(uuid.UUID(timer.payload["case_id"]))
    if case is None or case["status"] not in ACTIVE or case["kind"] not in PLANNED_KINDS:
        return
    facts = await store.plan_facts(case["case_id"], case["person_id"])
    day = ctx.county.day_of
    if case["kind"] == "resettlement":  # a released person's plan runs from arrival, the term's start
        intake_on = case["term_start"]
    elif facts["intake_at"] is not None:
        intake_on = day(facts["intake_at"])
    else:
        return  # not reported yet: the plan runs from intake
    state = plan_state(
        intake_on=intake_on,
        approved_on=day(facts["approved_at"]) if facts["approved_at"] else None,
        level_changed_on=day(facts["level_changed_at"]) if facts["level_changed_at"] else None,
        today=day(timer.due_at),
        policy=plan_policy(ctx, case["kind"]),
        county=ctx.county,
    )
    if state.current or state.due_on.isoformat() != timer.payload["due_on"]:
        return  # in force, or due another day (a later check has it)
    data = PlanOverdue(
        person_id=case["person_id"],
        jurisdiction=case["jurisdiction"],
        case_id=case["case_id"],
        cause=f"plan:{case['case_id']}:{state.due_on.isoformat()}",
        observed_at=timer.due_at,
        evidence=[timer.key],
        due_on=state.due_on,
    )
    await ctx.publish(uow, data, case["person_id"], None, timer.due_at)
