"""Handover's internal HTTP API: the handover board, staff steps, and the indicators."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from services.handover import commands, resettlement
from services.handover import visits as visit_steps
from services.handover.adapters import queries
from services.handover.context import HandoverContext
from services.handover.deps import HandoverParts, Parts
from services.handover.domain import indicators as figures
from services.handover.domain.assistance import HELPED
from services.handover.domain.classify import arrival_deadline
from services.handover.domain.prison_visits import due as prison_due
from services.handover.domain.steps import StepRefused
from services.handover.handlers import REASON_LABELS
from shared import handover_steps as hs
from shared.authority import ActingStaff, Actor
from shared.calendar import add_years
from shared.db.rows import plain
from shared.db.uow import UnitOfWork
from shared.deps import StaffActor
from shared.errors import Conflict, NotFound
from shared.internal import require_internal
from shared.periods import Deadline
from shared.staff_steps import Booking, Cancellation, VisitOutcome

router = APIRouter(prefix="/internal/v1", tags=["handover"], dependencies=[Depends(require_internal)])


def _out(row) -> dict:
    d = plain(row._mapping)
    d["key_reason_labels"] = [REASON_LABELS.get(r, {"zh": r, "en": r}) for r in d["key_reasons"]]
    return d


@router.get("/handovers")
async def board(
    parts: Parts,
    view: Literal["all", "upcoming", "unplanned", "receipts_due", "not_arrived", "unlinked"] = "all",
    office: str | None = None,
    days: Annotated[int, Query(ge=0, le=3660)] = 30,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 500,
    notice_prefix: str | None = None,
    person_id: uuid.UUID | None = None,
) -> list[dict]:
    """The handover board: releases in the next `days`, key persons without a pick-up plan,
    receipts due, persons not yet arrived, the unlinked list (未衔接人员)."""
    async with parts.runtime.engine.connect() as conn:
        today = parts.runtime.county.day_of(datetime.now(UTC))
        rows = await queries.board(
            conn,
            view,
            today=today,
            office=office,
            days=days,
            limit=limit,
            notice_prefix=notice_prefix,
            person_id=person_id,
        )
    return [_out(r) for r in rows]


@router.get("/handovers/{handover_id}")
async def detail(handover_id: uuid.UUID, parts: Parts) -> dict:
    async with parts.runtime.engine.connect() as conn:
        row = await queries.handover(conn, handover_id)
    if row is None:
        raise NotFound(f"no handover {handover_id}")
    return _out(row)


class Resolve(ActingStaff, hs.Resolve):
    pass


class PickupPlan(ActingStaff, hs.PickupPlan):
    pass


class PickupOutcome(ActingStaff, hs.PickupOutcome):
    pass


class Moment(ActingStaff, hs.Moment):
    pass


class Agreement(ActingStaff, hs.Agreement):
    pass


class AgreementCheck(ActingStaff, hs.AgreementCheck):
    pass


class Application(ActingStaff, hs.Application):
    pass


class Assistance(ActingStaff, hs.Assistance):
    pass


class Verification(ActingStaff, hs.Verification):
    pass


class Supplement(ActingStaff, hs.Supplement):
    pass


class Reoffence(ActingStaff, hs.Reoffence):
    pass


class Service(ActingStaff, hs.Service):
    pass


async def _step(
    parts: HandoverParts,
    handover_id: uuid.UUID,
    actor: Actor,
    fn: Callable[[HandoverContext, UnitOfWork], Awaitable[dict[str, Any] | None]],
) -> dict[str, Any]:
    """A staff step, once handover found that this member of staff may take it."""
    try:
        async with parts.runtime.uow() as uow:
            await commands.may_take_step(parts.ctx, uow, actor, handover_id)
            result = await fn(parts.ctx, uow)
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    except StepRefused as exc:
        raise Conflict(str(exc)) from None
    return result if result is not None else await detail(handover_id, parts)


@router.post("/handovers/{handover_id}/resolve")
async def resolve(actor: StaffActor, handover_id: uuid.UUID, body: Resolve, parts: Parts) -> dict[str, Any]:
    async def fn(ctx, uow):
        await commands.resolve(ctx, uow, handover_id, body.town, county=actor.county_wide)

    return await _step(parts, handover_id, actor, fn)


@router.post("/handovers/{handover_id}/pickup-plan")
async def pickup_plan(actor: StaffActor, handover_id: uuid.UUID, body: PickupPlan, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.update(ctx, uow, handover_id, pickup_plan=body.step())
    )


@router.post("/handovers/{handover_id}/pickup-outcome")
async def pickup_outcome(
    actor: StaffActor, handover_id: uuid.UUID, body: PickupOutcome, parts: Parts
) -> dict[str, Any]:
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.update(ctx, uow, handover_id, pickup_outcome=body.outcome)
    )


@router.post("/handovers/{handover_id}/release")
async def release(actor: StaffActor, handover_id: uuid.UUID, body: Moment, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.update(ctx, uow, handover_id, released_at=body.at)
    )


@router.post("/handovers/{handover_id}/arrival")
async def arrival(actor: StaffActor, handover_id: uuid.UUID, body: Moment, parts: Parts) -> dict[str, Any]:
    """Registered at the justice office: supervision opens the resettlement or aftercare case."""
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.update(ctx, uow, handover_id, arrived_at=body.at)
    )


@router.post("/handovers/{handover_id}/verification")
async def verification(actor: StaffActor, handover_id: uuid.UUID, body: Verification, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts,
        handover_id,
        actor,
        lambda ctx, uow: commands.verify(ctx, uow, actor, handover_id, body.result, body.note),
    )


@router.post("/handovers/{handover_id}/services", status_code=201)
async def service(actor: StaffActor, handover_id: uuid.UUID, body: Service, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts,
        handover_id,
        actor,
        lambda ctx, uow: resettlement.add_service(
            ctx, uow, actor, handover_id, body.kind, body.on, body.note, body.base_id
        ),
    )


@router.post("/handovers/{handover_id}/reoffence", status_code=201)
async def reoffence(actor: StaffActor, handover_id: uuid.UUID, body: Reoffence, parts: Parts) -> dict[str, Any]:
    judgment = body.model_dump(include={"court", "judgment_no", "sentenced_on", "sentence"})
    return await _step(
        parts,
        handover_id,
        actor,
        lambda ctx, uow: resettlement.record_reoffence(ctx, uow, actor, handover_id, judgment),
    )


@router.post("/handovers/{handover_id}/supplement")
async def supplement(actor: StaffActor, handover_id: uuid.UUID, body: Supplement, parts: Parts) -> dict[str, Any]:
    """信息补录: risk assesses the person again with what was learned."""
    facts = body.model_dump(include={"employment", "family_support", "housing", "substance_use"}, exclude_none=True)
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: resettlement.supplement(ctx, uow, actor, handover_id, facts)
    )


@router.post("/handovers/{handover_id}/agreement")
async def agreement(actor: StaffActor, handover_id: uuid.UUID, body: Agreement, parts: Parts) -> dict[str, Any]:
    """Signed: its review falls due `agreements.review_every_months` on (policy)."""
    terms = body.model_dump(mode="json", include={"terms", "signed_on", "helpers"})
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: resettlement.sign_agreement(ctx, uow, actor, handover_id, terms)
    )


@router.post("/handovers/{handover_id}/agreement-check")
async def agreement_check(
    actor: StaffActor, handover_id: uuid.UUID, body: AgreementCheck, parts: Parts
) -> dict[str, Any]:
    check = body.model_dump(mode="json", include={"on", "kept", "note"})
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: resettlement.check_agreement(ctx, uow, actor, handover_id, check)
    )


@router.post("/handovers/{handover_id}/application")
async def application(actor: StaffActor, handover_id: uuid.UUID, body: Application, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.update(ctx, uow, handover_id, applied_at=body.at)
    )


@router.post("/handovers/{handover_id}/assistance", status_code=201)
async def assistance(actor: StaffActor, handover_id: uuid.UUID, body: Assistance, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts, handover_id, actor, lambda ctx, uow: commands.request_assistance(ctx, uow, handover_id, body.kind)
    )


@router.get("/indicators")
async def indicators(parts: Parts, month: str | None = None) -> dict:
    """Per justice office: the month's releases due and how far each step got (by release month),
    and the year's resettlement measures up to the month's end (docs/indicators.md), with the seed
    plan's targets beside them."""
    county = parts.runtime.county
    month = month or county.month_of(datetime.now(UTC))
    start, end = county.month_bounds(month)
    first, after = county.day_of(start), county.day_of(end)
    years = parts.ctx.policy.reoffending_window_years
    since = min(first, add_years(after, -years))
    policy = parts.ctx.policy
    async with parts.runtime.engine.connect() as conn:
        rows = await queries.releases(conn, since, after)
        rehab = await queries.rehab_releases(conn, add_years(after, -policy.aftercare_max_years), after)
    releases = [
        figures.Release(
            person_id=r.person_id,
            office=r.justice_office or "",
            release_date=r.release_date,
            key_person=r.key_person,
            verified=r.verified_at is not None,
            receipted=r.receipt_at is not None,
            picked_up=r.pickup_outcome == "picked_up",
            police_acknowledged=r.police_ack_at is not None,
            agreement=r.agreement is not None,
            applied=r.applied_at is not None,
            arrived_on=county.day_of(r.arrived_at) if r.arrived_at else None,
            services=tuple((s["kind"], date.fromisoformat(s["on"])) for s in r.services),
            assistance=tuple(
                (county.day_of(datetime.fromisoformat(a["requested_at"])), a.get("status") in HELPED)
                for a in r.assistance
            ),
            new_orders=tuple(r.new_orders),
        )
        for r in rows
    ]
    today = county.day_of(datetime.now(UTC))

    def arrival(release_date: date) -> Deadline:
        return arrival_deadline(release_date, policy, county)

    offices: dict[str, dict[str, Any]] = {}
    for row in [*figures.monthly(releases, first, after, today, arrival), *figures.yearly(releases, after, years)]:
        offices.setdefault(row["office"], {}).update(row)
    total = figures.county_total(releases, first, after, today, arrival, years)
    awaited = figures.aftercare_not_arrived(
        [(r.justice_office, r.release_date, county.day_of(r.arrived_at) if r.arrived_at else None) for r in rehab],
        after,
    )
    for office, n in awaited.items():
        offices.setdefault(office, {"office": office})["aftercare_not_arrived"] = n
    total["aftercare_not_arrived"] = sum(awaited.values())
    return {"month": month, "targets": policy.targets, "offices": list(offices.values()), "total": total}


# --- remote family video visits (远程亲情视频会见, services/handover/visits.py) -----------------------------


class BookingIn(ActingStaff, Booking):
    pass


class CancellationIn(ActingStaff, Cancellation):
    pass


class VisitOutcomeIn(ActingStaff, VisitOutcome):
    pass


@router.get("/visit-slots")
async def visit_slots(parts: Parts, limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> list[dict[str, Any]]:
    """The prisons' slots from now, soonest first, booked or open."""
    async with parts.runtime.engine.connect() as conn:
        return await queries.visit_slots_from(conn, datetime.now(UTC), min(limit, 5000))


@router.get("/visits")
async def visits(
    parts: Parts, office: str | None = None, limit: Annotated[int, Query(ge=1, le=10_000)] = 500
) -> list[dict[str, Any]]:
    """The bookings, each with whether the office still owes the family a reminder."""
    async with parts.runtime.engine.connect() as conn:
        rows = await queries.visit_bookings_of(conn, office, min(limit, 5000))
    now = datetime.now(UTC)
    return [visit_steps.with_reminder(parts.ctx, r, now) for r in rows]


@router.post("/visits/{booking_id}/reminded")
async def visit_reminded(actor: StaffActor, booking_id: uuid.UUID, body: ActingStaff, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await visit_steps.remind_visit(parts.ctx, uow, actor, booking_id)


@router.get("/visit-figures")
async def visit_figures(parts: Parts, month: str | None = None) -> dict[str, Any]:
    """Per office and per prison, for the month's visits: held, no-shows, days from booking to visit."""
    county = parts.runtime.county
    month = month or county.month_of(datetime.now(UTC))
    start, end = county.month_bounds(month)
    async with parts.runtime.engine.connect() as conn:
        offices = await queries.visit_figures(conn, start, end, "office")
        prisons = await queries.visit_figures(conn, start, end, "prison")
    return {"month": month, "offices": offices, "prisons": prisons}


@router.post("/visit-slots/{slot_id}/book", status_code=201)
async def book_visit(actor: StaffActor, slot_id: uuid.UUID, body: BookingIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await visit_steps.book_visit(parts.ctx, uow, actor, slot_id, body)


@router.post("/visits/{booking_id}/cancel")
async def cancel_visit(actor: StaffActor, booking_id: uuid.UUID, body: CancellationIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await visit_steps.cancel_visit(parts.ctx, uow, actor, booking_id, body)


@router.post("/visits/{booking_id}/outcome")
async def record_visit(actor: StaffActor, booking_id: uuid.UUID, body: VisitOutcomeIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await visit_steps.record_visit(parts.ctx, uow, actor, booking_id, body)


# --- pre-release work in the prisons (延伸帮教) -------------------------------------------------------


class PrisonVisitIn(ActingStaff):
    prison: str = Field(min_length=2, max_length=100)
    visited_on: date
    notices_seen: list[str] = Field(default_factory=list, max_length=500)  # the prison's notice numbers
    note: str = Field(min_length=2, max_length=2000)


@router.get("/prison-visits")
async def prison_visits(parts: Parts) -> dict[str, Any]:
    """The schedule (each prison's last visit, the day the next is owed, overdue) and recent visits."""
    policy = parts.ctx.policy.prison_visits
    today = parts.runtime.county.day_of(datetime.now(UTC))
    async with parts.runtime.engine.connect() as conn:
        rows = await queries.prison_schedule(conn, today, policy.prisons)
        recent = await queries.prison_visits_recent(conn, 50)
    county = parts.runtime.county
    schedule = [
        asdict(
            prison_due(
                r["prison"],
                r["last_visit"],
                today,
                r["awaiting_release"],
                policy,
                county,
                since=county.day_of(r["first_notice_at"]) if r["first_notice_at"] else None,
            )
        )
        for r in rows
    ]
    return {"every_months": policy.every_months, "schedule": schedule, "visits": recent}


@router.post("/prison-visits", status_code=201)
async def record_prison_visit(actor: StaffActor, body: PrisonVisitIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        try:
            return await resettlement.record_prison_visit(
                parts.ctx, uow, actor, body.prison, body.visited_on, body.notices_seen, body.note
            )
        except StepRefused as exc:
            raise Conflict(str(exc)) from None


# --- resettlement bases (安置基地) -----------------------------------------------------------------------


class BaseIn(ActingStaff):
    office: str = Field(min_length=2, max_length=60)
    name: str = Field(min_length=2, max_length=100)
    kind: Literal["enterprise", "farm", "workshop", "other"]
    places: int = Field(ge=1, le=10_000)


@router.get("/bases")
async def bases(parts: Parts, office: str | None = None) -> list[dict[str, Any]]:
    """The bases with their places and how many are taken."""
    async with parts.runtime.engine.connect() as conn:
        return await queries.bases_of(conn, office)


@router.post("/bases", status_code=201)
async def register_base(actor: StaffActor, body: BaseIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        try:
            return await resettlement.register_base(
                parts.ctx, uow, actor, body.office, body.name, body.kind, body.places
            )
        except StepRefused as exc:
            raise Conflict(str(exc)) from None
