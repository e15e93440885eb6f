"""Handover's event and timer handlers: notices in, receipts and police handovers out, deadlines.
Each is a function over the service's context (context.py); `table` and `timer_table` bind them.
The staff steps are commands.py's, resettlement.py's and visits.py's."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial

from services.handover import notices, visits
from services.handover.context import HandoverContext
from services.handover.domain.classify import KEY_REASONS, key_reasons, receipt_due, verify_destination
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    AssistanceOutcome,
    CourtOrderIngested,
    HandoverOpened,
    MaskedPerson,
    PickupUnplanned,
    PoliceAcknowledged,
    ReceiptOverdue,
    RehabArrivalMissed,
    RehabNoticeIngested,
    ReleaseIntakeMissed,
    ReleaseNoticeIngested,
)
from shared.ids import court_order_ref, handover_id_for
from shared.kafka.consumer import Handler
from shared.timers import Timer, TimerHandler


def table(ctx: HandoverContext) -> dict[str, Handler]:
    """The event handlers, each bound to the service's context."""
    handlers: dict[str, Callable[..., Awaitable[None]]] = {
        "sps.ingest.release-notice": on_release_notice,
        "sps.ingest.rehab-notice": on_rehab_notice,
        "sps.ingest.police-ack": on_police_ack,
        "sps.ingest.assistance-outcome": on_assistance_outcome,
        "sps.ingest.visit-slot": visits.on_visit_slot,
        "sps.ingest.visit-answer": visits.on_visit_answer,
        "sps.ingest.court-order": on_court_order,
    }
    return {event_type: partial(fn, ctx) for event_type, fn in handlers.items()}


def timer_table(ctx: HandoverContext) -> dict[str, TimerHandler]:
    timers: dict[str, Callable[..., Awaitable[None]]] = {
        "handover.receipt": on_receipt_due,
        "handover.pickup": on_pickup_due,
        "handover.arrival": on_arrival_due,
    }
    return {kind: partial(fn, ctx) for kind, fn in timers.items()}


async def on_police_ack(ctx: HandoverContext, event: IncomingEvent, ack: PoliceAcknowledged, uow: UnitOfWork) -> None:
    await ctx.store(uow).police_acknowledged(ack.handover_id, ack.acknowledged_at, ack.police_unit)


async def on_assistance_outcome(
    ctx: HandoverContext, event: IncomingEvent, outcome: AssistanceOutcome, uow: UnitOfWork
) -> None:
    """Civil affairs decided a request: on the handover's request (the person's handover tab)
    and in 救助帮扶率. A repeat changes nothing. A request this service never made is a help
    request supervision passed on (the gateway answers only requests it sent): supervision's."""
    decision = outcome.model_dump(mode="json", exclude={"request_id", "person_id"})
    await ctx.store(uow).decide_assistance(outcome.person_id, str(outcome.request_id), decision)


async def on_release_notice(
    ctx: HandoverContext, event: IncomingEvent, notice: ReleaseNoticeIngested, uow: UnitOfWork
) -> None:
    await _open(
        ctx,
        uow,
        event,
        "release",
        notice.prison,
        notice.notice_no,
        notice.person_id,
        notice.person,
        notice.release_date,
        notice.destination_town,
        key_reasons(notice),
    )


async def on_rehab_notice(
    ctx: HandoverContext, event: IncomingEvent, notice: RehabNoticeIngested, uow: UnitOfWork
) -> None:
    await _open(
        ctx,
        uow,
        event,
        "rehab",
        notice.centre,
        notice.notice_no,
        notice.person_id,
        notice.person,
        notice.release_date,
        notice.destination_town,
        ["announced_key_person"] if notice.key_person else [],
        community_rehabilitation=notice.community_rehabilitation,
    )


async def _open(
    ctx: HandoverContext,
    uow: UnitOfWork,
    event: IncomingEvent,
    kind: str,
    source: str,
    notice_no: str,
    person_id: uuid.UUID,
    person: MaskedPerson,
    release_date,
    town: str,
    reasons: list[str],
    *,
    community_rehabilitation: bool = False,
) -> None:
    handover_id = handover_id_for(kind, source, notice_no)
    check = verify_destination(town, ctx.offices)
    now = ctx.clock()
    store = ctx.store(uow)
    inserted = await store.open(
        handover_id=handover_id,
        person_id=person_id,
        kind=kind,
        notice_no=notice_no,
        source=source,
        release_date=release_date,
        destination_town=town,
        person_masked=person.model_dump(mode="json"),
        linked=check.linked,
        justice_office=check.justice_office,
        unlinked_reason=check.reason,
        key_person=bool(reasons),
        key_reasons=reasons,
        received_at=now,
        community_rehabilitation=community_rehabilitation,
    )
    if not inserted:
        return  # the same notice again: merged into the first
    opened = HandoverOpened(
        handover_id=handover_id,
        person_id=person_id,
        kind=kind,
        notice_no=notice_no,
        source=source,
        release_date=release_date,
        destination_town=town,
        linked=check.linked,
        justice_office=check.justice_office,
        unlinked_reason=check.reason,
        key_person=bool(reasons),
        key_reasons=reasons,
    )  # type: ignore[arg-type]
    uow.publish(opened, subject=person_id, cause=event)
    if kind == "release":
        # 回执 follows 核查 (docs/indicators.md): the office verifies, then the prison hears back;
        # until then the receipt's deadline runs (receipt_overdue).
        await store.schedule(
            f"receipt:{handover_id}",
            "handover.receipt",
            receipt_due(now, ctx.policy, ctx.county),
            {"handover_id": str(handover_id)},
        )
    if check.linked:
        await notices.linked(ctx, uow, handover_id, event)


async def on_court_order(
    ctx: HandoverContext, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork
) -> None:
    """A new court order for someone released before is a re-offence (重新犯罪), counted in the
    re-offending rates (docs/indicators.md); orders for anyone else are not kept here."""
    store = ctx.store(uow)
    if await store.released_person(order.person_id):
        effective = order.judgment_effective or order.term_start
        await store.add_new_order(court_order_ref(order.court, order.order_no), order.person_id, effective)


async def on_receipt_due(ctx: HandoverContext, timer: Timer, uow: UnitOfWork) -> None:
    row = await ctx.lock(uow, uuid.UUID(timer.payload["handover_id"]))
    if row["receipt_at"] is None:
        await _signal(ctx, uow, ReceiptOverdue, row, timer, notice_no=row["notice_no"])


async def on_pickup_due(ctx: HandoverContext, timer: Timer, uow: UnitOfWork) -> None:
    row = await ctx.lock(uow, uuid.UUID(timer.payload["handover_id"]))
    if row["pickup_plan"] is None:
        await _signal(ctx, uow, PickupUnplanned, row, timer, release_date=row["release_date"])


async def on_arrival_due(ctx: HandoverContext, timer: Timer, uow: UnitOfWork) -> None:
    row = await ctx.lock(uow, uuid.UUID(timer.payload["handover_id"]))
    if row["arrived_at"] is None:
        rehab = row["kind"] == "rehab" and row["community_rehabilitation"]
        await _signal(ctx, uow, RehabArrivalMissed if rehab else ReleaseIntakeMissed, row, timer)


async def _signal(ctx: HandoverContext, uow: UnitOfWork, model, row, timer: Timer, **extra) -> None:
    # A notice that arrives after its deadline makes the breach observable only on arrival:
    # the alert's own deadlines run from then, not from a moment nobody could have acted in.
    observed = max(timer.due_at, row["received_at"])
    data = model(
        person_id=row["person_id"],
        jurisdiction=row["justice_office"] or "county",
        cause=timer.key,
        observed_at=observed,
        evidence=[str(row["handover_id"])],
        **extra,
    )
    uow.publish(data, subject=row["person_id"])


REASON_LABELS = {k: {"zh": zh, "en": en} for k, (zh, en) in KEY_REASONS.items()} | {
    "announced_key_person": {"zh": "戒毒所通报的重点人员", "en": "Announced as key person by the centre"}
}
