"""Resettlement after release (安置帮教, docs/domain.md §2), the office's steps on a released
person's handover beyond the handover itself: information after arrival (信息补录, to risk), the
agreement (安置帮教协议, 1+1+N) and its checks, services and placements in resettlement bases
(安置基地), and the visits to the prisons before release (延伸帮教).

Each step is a function `(ctx, uow, actor, …)` over the service's context (context.py).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.handover.context import HandoverContext
from services.handover.domain.steps import StepRefused
from shared.authority import Actor
from shared.calendar import add_months
from shared.db.uow import UnitOfWork
from shared.events import InformationSupplemented
from shared.ids import court_order_ref, handover_id_for


async def supplement(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, facts: dict[str, str]
) -> dict:
    """信息补录 after arrival: kept on the handover (later values over earlier ones) and sent to
    risk, which fills the instrument's unknown items and assesses again."""
    row = await ctx.lock(uow, handover_id)
    actor.require("handover.step", row["justice_office"])
    if not facts:
        raise StepRefused("record at least one of employment, family_support, housing, substance_use")
    if row["arrived_at"] is None:
        raise StepRefused("information is supplemented after the person's arrival at the office")
    merged = {**(row.get("supplement") or {}), **facts}
    await ctx.store(uow).set(handover_id, supplement=merged)
    data = InformationSupplemented(
        handover_id=handover_id,
        person_id=row["person_id"],
        justice_office=row["justice_office"],
        recorded_by=actor.name,
        recorded_at=ctx.clock(),
        **facts,
    )
    uow.publish(data, subject=row["person_id"])
    return merged


async def sign_agreement(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, terms: dict[str, Any]
) -> dict[str, Any]:
    """安置帮教协议 (1+1+N): the person, the office and N helpers; signed once, reviewed every
    `agreements.review_every_months`, each check of whether it is kept kept with it."""
    row = await ctx.lock(uow, handover_id)
    if row["agreement"] is not None:
        raise StepRefused(f"an agreement was signed already, on {row['agreement'].get('signed_on')}")
    signed_on = date.fromisoformat(terms["signed_on"])
    if why := ctx.county.not_come_yet(signed_on, ctx.clock()):
        raise StepRefused(f"signed_on {why}")
    review = add_months(signed_on, ctx.policy.agreements.review_every_months)
    agreement = {**terms, "parties": 2 + len(terms["helpers"]), "review_on": review.isoformat()}
    agreement |= {"signed_by": actor.name, "checks": []}
    await ctx.store(uow).set(handover_id, agreement=agreement)
    return agreement


async def check_agreement(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, check: dict[str, Any]
) -> dict[str, Any]:
    """Whether the agreement is kept, found on a day; a review moves its next review on."""
    row = await ctx.lock(uow, handover_id)
    agreement = row["agreement"]
    if agreement is None:
        raise StepRefused("no agreement is signed yet")
    on = date.fromisoformat(check["on"])
    if why := ctx.county.not_come_yet(on, ctx.clock()):
        raise StepRefused(f"on {why}")
    checks = [*agreement.get("checks", []), {**check, "by": actor.name}]
    review = add_months(on, ctx.policy.agreements.review_every_months).isoformat()
    agreement = {**agreement, "checks": checks, "review_on": max(review, agreement.get("review_on", review))}
    await ctx.store(uow).set(handover_id, agreement=agreement)
    return agreement


async def register_base(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, office: str, name: str, kind: str, places: int
) -> dict[str, Any]:
    """安置基地: an office registers a base and its places."""
    actor.require("bases.manage", office)
    if office not in ctx.offices:
        raise StepRefused(f"{office} is not a justice office of the county")
    values = {
        "base_id": uuid.uuid4(),
        "office": office,
        "name": name,
        "kind": kind,
        "places": places,
        "registered_by": actor.name,
        "registered_at": ctx.clock(),
    }
    await ctx.store(uow).add_base(values)
    return {**values, "base_id": str(values["base_id"])}


async def record_prison_visit(
    ctx: HandoverContext,
    uow: UnitOfWork,
    actor: Actor,
    prison: str,
    visited_on: date,
    notices_seen: list[str],
    note: str,
) -> dict[str, Any]:
    """延伸帮教: a visit to a prison before release, with whom it saw (by that prison's notice
    numbers); the schedule counts the next quarter from it."""
    actor.require("prison_visit.record")
    if why := ctx.county.not_come_yet(visited_on, ctx.clock()):
        raise StepRefused(f"visited_on {why}")
    store = ctx.store(uow)
    persons_seen: list[dict[str, str]] = []
    for notice_no in notices_seen:
        row = await store.lock(handover_id_for("release", prison, notice_no))
        if row is None:
            raise StepRefused(f"{notice_no} is no notice of {prison}")
        persons_seen.append({"notice_no": notice_no, "handover_id": str(row["handover_id"])})
    values = {
        "visit_id": uuid.uuid4(),
        "prison": prison,
        "visited_on": visited_on,
        "office": actor.office,
        "persons_seen": persons_seen,
        "note": note,
        "recorded_by": actor.name,
        "recorded_at": ctx.clock(),
    }
    await store.add_prison_visit(values)
    return {**values, "visit_id": str(values["visit_id"]), "visited_on": visited_on.isoformat()}


async def record_reoffence(
    ctx: HandoverContext, uow: UnitOfWork, actor: Actor, handover_id: uuid.UUID, judgment: dict[str, Any]
) -> dict[str, Any]:
    """重新犯罪: a later judgment of a released person, a prison sentence as well as any other,
    that the office learned of. Counted in the re-offending rates from its date (docs/indicators.md)
    once per judgment (its court and number): the court's own order of community corrections
    under the same number is the same judgment; the same number with other content is refused."""
    row = await ctx.lock(uow, handover_id)
    if row["kind"] != "release":
        raise StepRefused("re-offences are counted for released prisoners (安置帮教)")
    on: date = judgment["sentenced_on"]
    if why := ctx.county.not_come_yet(on, ctx.clock()):
        raise StepRefused(f"sentenced_on {why}")
    if on <= row["release_date"]:
        raise StepRefused(f"sentenced_on {on} is not after the release on {row['release_date']}")
    ref = court_order_ref(judgment["court"], judgment["judgment_no"])
    kept = await ctx.store(uow).add_new_order(ref, row["person_id"], on, judgment["sentence"], actor.name)
    if (kept["person_id"], kept["effective_on"]) != (row["person_id"], on) or kept["sentence"] not in (
        judgment["sentence"],
        "community_corrections",  # the court's order came first: the same judgment
    ):
        raise StepRefused(f"judgment {judgment['judgment_no']} of {judgment['court']} is recorded with other content")
    return {**judgment, "sentenced_on": on.isoformat(), "recorded_by": kept["recorded_by"]}


async def add_service(
    ctx: HandoverContext,
    uow: UnitOfWork,
    actor: Actor,
    handover_id: uuid.UUID,
    kind: str,
    on: date,
    note: str | None,
    base_id: uuid.UUID | None = None,
) -> dict:
    """A resettlement service after release: a placement (安置, into a registered base with a
    place left when it is a base) or an employment service."""
    row = await ctx.lock(uow, handover_id)
    if row["kind"] != "release":
        raise StepRefused("resettlement services are for released prisoners (安置帮教)")
    if row["released_at"] is None and row["arrived_at"] is None:
        raise StepRefused("the person is not released yet")
    entry = {"kind": kind, "on": on.isoformat(), "note": note, "by": actor.name}
    if (kind == "placed_base") != (base_id is not None):
        raise StepRefused("a placement in a resettlement base names the base (base_id), and only it does")
    if base_id is not None:
        store = ctx.store(uow)
        base = await store.base(base_id)
        if base is None:
            raise StepRefused(f"no resettlement base {base_id}")
        if await store.base_placements(base_id) >= base["places"]:
            raise StepRefused(f"{base['name']} has no place left (of {base['places']})")
        entry["base_id"] = str(base_id)
    await ctx.store(uow).add_service(handover_id, entry)
    return entry
