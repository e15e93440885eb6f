"""What follows a notice's link to an office, from an event or a staff step alike (docs/domain.md §2):
the police handover and the deadlines of a key person, the receipt to the prison."""

from __future__ import annotations

import uuid

from services.handover.context import HandoverContext
from services.handover.domain.classify import arrival_due, pickup_plan_due
from services.handover.domain.steps import late_notice
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import MaskedPerson, PoliceHandoverIssued, ReceiptIssued


async def linked(ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None) -> None:
    """A notice linked to an office, at once or later by the county: a key releasee goes to the
    police with a pick-up plan due; a key person and everyone ordered to 社区康复 owe an arrival."""
    row = await ctx.lock(uow, handover_id)
    store, hid = ctx.store(uow), str(handover_id)
    if row["key_person"] and row["kind"] == "release":
        await police_handover(ctx, uow, handover_id, cause)
        await store.schedule(
            f"pickup:{hid}",
            "handover.pickup",
            pickup_plan_due(row["release_date"], ctx.policy, ctx.county),
            {"handover_id": hid},
        )
    rehab = row["kind"] == "rehab" and row["community_rehabilitation"]  # 社区康复: everyone, key or not
    if row["arrived_at"] is None and (row["key_person"] or rehab):
        await store.schedule(
            f"arrival:{hid}",
            "handover.arrival",
            arrival_due(row["release_date"], ctx.policy, ctx.county, rehab),
            {"handover_id": hid},
        )


async def send_receipt(
    ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None
) -> None:
    row = await ctx.lock(uow, handover_id)
    if row["receipt_at"] is not None:
        return
    now = ctx.clock()
    await ctx.store(uow).set(handover_id, receipt_at=now)
    receipt = ReceiptIssued(
        notice_no=row["notice_no"],
        prison=row["source"],
        person_id=row["person_id"],
        status="linked" if row["linked"] else "unlinked",
        justice_office=row["justice_office"],
        reason=row["unlinked_reason"],
        issued_at=now,
        **late_notice(row["received_at"], row["release_date"], ctx.county, ctx.policy.notice.lead_months),
    )
    uow.publish(receipt, subject=row["person_id"], cause=cause)
    await ctx.store(uow).cancel(f"receipt:{handover_id}")


async def police_handover(
    ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, cause: IncomingEvent | None
) -> None:
    row = await ctx.lock(uow, handover_id)
    if row["police_handover_at"] is not None:
        return
    now = ctx.clock()
    await ctx.store(uow).set(handover_id, police_handover_at=now)
    notice = PoliceHandoverIssued(
        handover_id=handover_id,
        person_id=row["person_id"],
        person=MaskedPerson(**row["person_masked"]),
        reasons=row["key_reasons"],
        release_date=row["release_date"],
        destination_town=row["destination_town"],
        issued_at=now,
    )
    uow.publish(notice, subject=row["person_id"], cause=cause)
