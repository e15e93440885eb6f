"""Handover's staff steps on a notice (安置帮教衔接): who may take one, linking an unlinked notice,
the recorded values, 信息核查 and assistance requests; each a function `(ctx, uow, …)` over the
service's context (context.py). Resettlement's and the visits' steps are in their own modules."""

from __future__ import annotations

import uuid
from typing import Any

from services.handover import notices
from services.handover.context import HandoverContext
from services.handover.domain.classify import verify_destination
from services.handover.domain.steps import StepRefused, case_years, check_arrival
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.events import ArrivalRegistered, AssistanceRequested, MaskedPerson


async def may_take_step(ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID) -> None:
    """The handover's own office decides who may take a staff step on it; an unlinked notice (no
    office yet) is the county's to resolve. Raises LookupError when there is no such handover."""
    office = (await ctx.lock(uow, handover_id))["justice_office"]
    actor.require("handover.step" if office else "handover.resolve", office)


async def resolve(
    ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, town: str | None, *, county: bool = True
) -> None:
    """An unlinked notice: link it to a Jiangyin office, whose 核查 then sends the receipt, or
    confirm it belongs elsewhere, which is the receipt (unlinked) at once. A notice linked to an
    office moves to another only by the county (`county`), as a transfer does: an office cannot
    hand its own to another (docs/security.md, L9)."""
    row = await ctx.lock(uow, handover_id)
    if row["justice_office"] and town != row["justice_office"] and not county:
        raise StepRefused(
            f"the notice is linked to {row['justice_office']} already: only the county moves it to another office"
        )
    if town is None:
        await notices.send_receipt(ctx, uow, handover_id, None)
        return
    check = verify_destination(town, ctx.offices)
    if not check.linked:
        raise StepRefused(check.reason)
    # the new office's own 核查 sends the receipt: another office's check does not count for it
    await ctx.store(uow).set(
        handover_id,
        linked=True,
        justice_office=town,
        destination_town=town,
        unlinked_reason=None,
        verified_at=None,
        verified_by=None,
    )
    await notices.linked(ctx, uow, handover_id, None)


async def update(ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    """A step that records a value (pick-up plan or outcome, release, arrival, agreement)."""
    store = ctx.store(uow)
    row = await ctx.lock(uow, handover_id)
    if "arrived_at" in values:
        check_arrival(already_arrived_at=row["arrived_at"], linked=row["linked"])
    await store.set(handover_id, **values)
    if "pickup_plan" in values:
        await store.cancel(f"pickup:{handover_id}")
    if "arrived_at" in values:
        await store.cancel(f"arrival:{handover_id}")
        arrived = ArrivalRegistered(
            handover_id=handover_id,
            person_id=row["person_id"],
            kind=row["kind"],
            justice_office=row["justice_office"],
            arrived_at=values["arrived_at"],
            release_date=row["release_date"],
            key_person=row["key_person"],
            case_years=case_years(row["kind"], ctx.policy),
            person=MaskedPerson(**row["person_masked"]),
            community_rehabilitation=row["community_rehabilitation"],
        )
        uow.publish(arrived, subject=row["person_id"])
    return await ctx.lock(uow, handover_id)


async def verify(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, result: str, note: str
) -> dict:
    """信息核查: a member of the office checked the notice against the person and the household
    register. Confirmed or corrected, the receipt goes to the prison (回执 follows 核查); not the
    office's (`not_ours`), the notice goes back to the county's unlinked list with the office's
    reason, and its receipt waits for the county (docs/indicators.md)."""
    row = await ctx.lock(uow, handover_id)
    if not row["linked"]:
        raise StepRefused("the notice is on the county's unlinked list: the county links it to an office first")
    if result == "not_ours" and row["arrived_at"] is not None:
        raise StepRefused("the person has registered at the office already: the notice is the office's")
    store, verification = ctx.store(uow), {"result": result, "note": note}
    await store.set(handover_id, verified_at=ctx.clock(), verified_by=actor.name, verification=verification)
    if result != "not_ours":
        await notices.send_receipt(ctx, uow, handover_id, None)
        return verification
    reason = f"{row['justice_office']}核查：非本辖区（{note}）"
    await store.set(handover_id, linked=False, justice_office=None, unlinked_reason=reason)
    await store.cancel(f"pickup:{handover_id}")
    await store.cancel(f"arrival:{handover_id}")
    return verification


async def request_assistance(ctx: HandoverContext, uow: UnitOfWork, handover_id: uuid.UUID, kind: str) -> dict:
    row = await ctx.lock(uow, handover_id)
    request = AssistanceRequested(
        request_id=uuid.uuid4(),
        person_id=row["person_id"],
        person=MaskedPerson(**row["person_masked"]),
        kind=kind,  # type: ignore[arg-type]
        justice_office=row["justice_office"] or "county",
        status="requested",
        requested_at=ctx.clock(),
    )
    entry = request.model_dump(mode="json")
    await ctx.store(uow).add_assistance(handover_id, entry)
    uow.publish(request, subject=row["person_id"])
    return entry
