"""Risk's handlers: facts from orders, notices and supervision; an assessment per trigger.

Each assessment keeps the instrument version, every item's value and points, the total, the
level and its trigger; it is published (`sps.risk.assessed`), and a rise to high raises the
`risk_high` signal. The next reassessment is a durable timer whose interval depends on the level.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial

from services.risk import assessments
from services.risk.assessments import MONTHLY, schedule_monthly
from services.risk.context import RiskContext
from services.risk.domain import facts
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    ArrivalRegistered,
    CaseClosed,
    CaseOpened,
    CourtOrderIngested,
    InformationSupplemented,
    ReassessmentOverdue,
    ReleaseNoticeIngested,
    SanctionRecorded,
    Signal,
)
from shared.kafka.consumer import Handler
from shared.timers import Timer, TimerHandler

SERIOUS_BREACHES = (
    "sps.supervision.exclusion-zone-entered",
    "sps.supervision.device-tampered",
    "sps.supervision.contact-lost",
    "sps.supervision.rehab-serious-breach",
)


def table(ctx: RiskContext) -> dict[str, Handler]:
    """The event handlers, each bound to the service's context."""
    handlers: dict[str, Callable[..., Awaitable[None]]] = {
        "sps.ingest.court-order": on_court_order,
        "sps.ingest.release-notice": on_release_notice,
        "sps.handover.arrived": on_arrival,
        "sps.handover.supplemented": on_supplement,
        "sps.supervision.sanction-recorded": on_sanction,
        "sps.supervision.case-opened": on_case_opened,
        "sps.supervision.case-closed": on_case_closed,
        **{t: on_serious_breach for t in SERIOUS_BREACHES},
    }
    return {event_type: partial(fn, ctx) for event_type, fn in handlers.items()}


def timer_table(ctx: RiskContext) -> dict[str, TimerHandler]:
    timers: dict[str, Callable[..., Awaitable[None]]] = {
        "risk.reassess": on_reassessment_due,
        "risk.monthly": on_monthly_cycle,
    }
    return {kind: partial(fn, ctx) for kind, fn in timers.items()}


async def on_monthly_cycle(ctx: RiskContext, timer: Timer, uow: UnitOfWork) -> None:
    """The monthly cycle: everyone is assessed again, then the next month is scheduled."""
    for person_id in await ctx.store(uow).persons():
        await assessments.assess(ctx, uow, person_id, f"{MONTHLY}{ctx.county.month_of(timer.due_at)}", None)
    await schedule_monthly(ctx.store(uow), ctx.county, after=timer.due_at)


async def on_court_order(ctx: RiskContext, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork) -> None:
    """Intake: the order's facts, then an assessment."""
    await ctx.store(uow).learn(order.person_id, facts.from_court_order(order), order.person.residence_town, opens=True)
    await assessments.assess(ctx, uow, order.person_id, "intake", event)


async def on_release_notice(
    ctx: RiskContext, event: IncomingEvent, notice: ReleaseNoticeIngested, uow: UnitOfWork
) -> None:
    """Release: the prison's facts, then the dangerousness assessment (危险性评估)."""
    await ctx.store(uow).learn(notice.person_id, facts.from_release_notice(notice), notice.destination_town, opens=True)
    await assessments.assess(ctx, uow, notice.person_id, "release", event)


async def on_arrival(ctx: RiskContext, event: IncomingEvent, arrived: ArrivalRegistered, uow: UnitOfWork) -> None:
    """Arrival after release: assessed again where the person now lives."""
    await ctx.store(uow).learn(arrived.person_id, {}, arrived.justice_office, opens=True)
    await assessments.assess(ctx, uow, arrived.person_id, "arrival", event)


async def on_supplement(
    ctx: RiskContext, event: IncomingEvent, supplement: InformationSupplemented, uow: UnitOfWork
) -> None:
    """信息补录: the instrument's items the office learned after arrival, then a new assessment
    whose explanation shows them instead of "unknown"."""
    learned = facts.from_supplement(supplement)
    if learned:
        await ctx.store(uow).learn(supplement.person_id, learned, supplement.justice_office)
    await assessments.assess(ctx, uow, supplement.person_id, "supplement", event)


async def on_sanction(ctx: RiskContext, event: IncomingEvent, sanction: SanctionRecorded, uow: UnitOfWork) -> None:
    if learned := facts.from_sanction(sanction.kind, sanction.count):
        await ctx.store(uow).learn(sanction.person_id, learned, sanction.jurisdiction)
    await assessments.assess(ctx, uow, sanction.person_id, f"sanction:{sanction.kind}", event)


async def on_serious_breach(ctx: RiskContext, event: IncomingEvent, signal: Signal, uow: UnitOfWork) -> None:
    store = ctx.store(uow)
    known, _ = await store.profile(signal.person_id) or ({}, None)
    breaches = int(known.get("serious_breaches", 0)) + 1
    await store.learn(signal.person_id, {"serious_breaches": breaches}, signal.jurisdiction)
    await assessments.assess(ctx, uow, signal.person_id, "serious_breach", event)


async def on_case_opened(ctx: RiskContext, event: IncomingEvent, opened: CaseOpened, uow: UnitOfWork) -> None:
    await ctx.store(uow).case_opened(opened.person_id, opened.case_id)


async def on_case_closed(ctx: RiskContext, event: IncomingEvent, closed: CaseClosed, uow: UnitOfWork) -> None:
    """The person's last open case closed: no monthly cycle, no reassessment deadline. A person
    who holds another case (resettlement beside a correction, say) stays followed."""
    await ctx.store(uow).case_closed(closed.person_id, closed.case_id)


async def on_reassessment_due(ctx: RiskContext, timer: Timer, uow: UnitOfWork) -> None:
    """No assessment since the one that set this deadline: the reassessment is overdue."""
    person_id = uuid.UUID(timer.payload["person_id"])
    store = ctx.store(uow)
    latest = await store.latest_for_update(person_id, ctx.instrument.version)
    if latest is None or str(latest["assessment_id"]) != timer.payload["assessment_id"]:
        return  # assessed again meanwhile
    profile = await store.profile(person_id)
    signal = ReassessmentOverdue(
        person_id=person_id,
        jurisdiction=(profile[1] if profile else None) or "",
        cause=f"reassess:{timer.payload['assessment_id']}",
        observed_at=timer.due_at,
        evidence=[timer.payload["assessment_id"]],
        level=timer.payload["level"],
        assessment_id=uuid.UUID(timer.payload["assessment_id"]),
    )
    uow.publish(signal, subject=person_id)
