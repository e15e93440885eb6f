"""Help requests (求助), docs/domain.md §1: from the person's app (在矫通) or recorded by the office,
each the office's task with its deadline (`help.answer_within`); the office answers it, or passes
it to civil affairs (`GET /v1/assistance-requests`), whose decision comes back onto it. One not
answered in time raises `help_request_overdue`.

Functions over the service's context (context.py): the event and timer handlers, and the staff steps.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any

from services.supervision.adapters.store import Row
from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE
from shared import staff_steps as steps
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events import (
    AssistanceOutcome,
    AssistanceRequested,
    HelpAnswered,
    HelpRequested,
    HelpRequestOverdue,
    MaskedPerson,
)
from shared.periods import within_days
from shared.timers import Timer

HELP_TIMER = "help:{request_id}"
# What civil affairs handles, from what the person asked for.
CIVIL_AFFAIRS_KIND = {"minimum_living": "minimum_living"}


async def record_help_request(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.HelpRequest
) -> HelpRequested:
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "help.record")
    data = await open_help_request(ctx, uow, case, uuid.uuid4(), step.kind, step.note, "staff", ctx.clock())
    assert data is not None  # a new id
    return data


async def answer_help_request(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    request_id: uuid.UUID,
    step: steps.HelpAnswer,
) -> HelpAnswered:
    """Once; referred goes to civil affairs as an assistance request."""
    store = ctx.store(uow)
    request = await store.help_request(request_id)
    if request is None or request["person_id"] != person_id:
        raise NotFound(f"no help request {request_id} for person {person_id}")
    case = await ctx.case(store, person_id, actor, "help.answer")
    if request["outcome"] is not None:
        raise Conflict(f"answered already ({request['outcome']}, by {request['answered_by']})")
    now = ctx.clock()
    await store.update_help_request(
        request_id, outcome=step.outcome, answered_by=actor.name, answered_at=now, answer_note=step.note
    )
    await store.cancel_prefix(HELP_TIMER.format(request_id=request_id))
    if step.outcome == "referred":
        referral = AssistanceRequested(
            request_id=request_id,
            person_id=person_id,
            person=MaskedPerson.model_validate(case["person_masked"]),
            kind=CIVIL_AFFAIRS_KIND.get(request["kind"], "other"),  # type: ignore[arg-type]
            justice_office=request["office"],
            status="requested",
            requested_at=now,
        )
        store.uow.publish(referral, subject=person_id, time=now)
    data = HelpAnswered(
        request_id=request_id,
        person_id=person_id,
        case_id=request["case_id"],
        outcome=step.outcome,
        answered_by=actor.name,
        note=step.note,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    return data


def help_timers(ctx: SupervisionContext) -> dict[str, Any]:
    return {"help.answer": partial(on_help_due, ctx)}


async def open_help_request(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    case: Row,
    request_id: uuid.UUID,
    kind: str,
    note: str,
    source: str,
    at: datetime,
) -> HelpRequested | None:
    """The office's task, once per request, with its deadline."""
    store = ctx.store(uow)
    due = within_days(ctx.county, at, ctx.policy.help.answer_within).due  # docs/rules.md
    data = HelpRequested(
        request_id=request_id,
        person_id=case["person_id"],
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        kind=kind,  # type: ignore[arg-type]
        note=note,
        source=source,  # type: ignore[arg-type]
        answer_due=due,
    )
    opened = await store.add_help_request(
        request_id=request_id,
        person_id=case["person_id"],
        case_id=case["case_id"],
        office=case["jurisdiction"],
        kind=kind,
        note=note,
        source=source,
        requested_at=at,
        answer_due=due,
    )
    if not opened:
        return None
    await store.schedule(HELP_TIMER.format(request_id=request_id), "help.answer", due, {"request_id": str(request_id)})
    await ctx.publish(uow, data, case["person_id"], None, at)
    return data


async def on_help_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    store = ctx.store(uow)
    request = await store.help_request(uuid.UUID(timer.payload["request_id"]))
    if request is None or request["outcome"] is not None:
        return
    case = await store.case(request["case_id"])
    if case is None or case["status"] not in ACTIVE:
        return  # the case closed meanwhile
    data = HelpRequestOverdue(
        person_id=request["person_id"],
        jurisdiction=request["office"],
        case_id=request["case_id"],
        cause=f"help:{request['request_id']}",
        observed_at=timer.due_at,
        evidence=[request["note"][:200]],
        request_id=request["request_id"],
        kind=request["kind"],
    )
    await ctx.publish(uow, data, request["person_id"], None, timer.due_at)


async def on_civil_affairs_decision(ctx: SupervisionContext, outcome: AssistanceOutcome, uow: UnitOfWork) -> None:
    """Civil affairs decided a request the office passed on: kept on it (the handover's own
    requests are the handover service's)."""
    store = ctx.store(uow)
    if await store.help_request(outcome.request_id) is not None:
        decision = outcome.model_dump(mode="json", exclude={"request_id", "person_id"})
        await store.update_help_request(outcome.request_id, civil_affairs=decision)
