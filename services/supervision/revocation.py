"""Revocation (提请撤销缓刑、假释或暂予监外执行), docs/domain.md §1: a proposal decided by the county
bureau (`sanction.revocation_proposal` in policy/authority.yaml) goes to the court that made the
order; the court has `revocation.court_days` to rule (no ruling by then raises
`revocation_ruling_overdue`); a ruling of revoked ends the case as 收监执行.

Functions over the service's context (context.py); `send_to_court` is the proposal's half of the
sanction command.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any

from services.supervision import programmes
from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.policy import SupervisionPolicy
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import Conflict
from shared.events import MaskedPerson, RevocationProposed, RevocationRuling, RevocationRulingOverdue
from shared.kafka.consumer import RejectedRecord
from shared.periods import within_days
from shared.timers import Timer

RULING_TIMER = "revocation-ruling:{case_id}:"  # a closed case cancels its pending ones (programmes.CASE_TIMERS)


def court_and_number(case: Row) -> tuple[str, str]:
    """The court and order number of a corrections case (its source, `court-order:<court>:<no>`)."""
    kind, _, rest = str(case.get("source_ref") or "").partition(":")
    court, _, number = rest.partition(":")
    if case.get("kind") != "community_correction" or kind != "court-order" or not court or not number:
        raise Conflict("a revocation proposal applies to a community-correction case ordered by a court")
    return court, number


async def send_to_court(
    store: SupervisionStore,
    policy: SupervisionPolicy,
    county: County,
    case: Row,
    proposal_id: uuid.UUID,
    reason: str,
    decided_by: str,
    at: datetime,
) -> RevocationProposed:
    """The decided proposal, for the court (exchange.outbound.v1), and the court's deadline."""
    court, order_no = court_and_number(case)
    data = RevocationProposed(
        proposal_id=proposal_id,
        person_id=case["person_id"],
        case_id=case["case_id"],
        court=court,
        order_no=order_no,
        person=MaskedPerson.model_validate(case["person_masked"]),
        reason=reason,
        decided_by=decided_by,
        decided_at=at,
        ruling_due=within_days(county, at, policy.revocation.court_days).due,  # docs/rules.md
    )
    store.uow.publish(data, subject=case["person_id"], time=at)
    await store.schedule(
        RULING_TIMER.format(case_id=case["case_id"]) + str(proposal_id),
        "revocation.ruling",
        data.ruling_due,
        {"proposal_id": str(proposal_id), "case_id": str(case["case_id"]), "court": court},
    )
    return data


def revocation_timers(ctx: SupervisionContext) -> dict[str, Any]:
    return {"revocation.ruling": partial(on_ruling_due, ctx)}


async def on_revocation_ruling(
    ctx: SupervisionContext, event: IncomingEvent, ruling: RevocationRuling, uow: UnitOfWork
) -> None:
    """The court ruled: on the person's file; revoked ends the case as 收监执行. A repeat of a
    ruling already recorded changes nothing."""
    store = ctx.store(uow)
    proposal = await store.sanction(ruling.proposal_id)
    if proposal is None or proposal["kind"] != "revocation_proposal" or proposal["person_id"] != ruling.person_id:
        raise RejectedRecord(f"no revocation proposal {ruling.proposal_id} for person {ruling.person_id}")
    if proposal["ruling"] is not None:
        return
    await store.rule(ruling.proposal_id, ruling.ruling, ruling.ruled_at, ruling.ruling_no)
    await store.cancel_prefix(RULING_TIMER.format(case_id=proposal["case_id"]) + str(ruling.proposal_id))
    await store.record(ruling.person_id, event.id, event.type, ruling.ruled_at, ruling.model_dump(mode="json"))
    if ruling.ruling == "revoked":
        reason = f"法院裁定撤销，收监执行（{ruling.ruling_no}）"
        await programmes.close_case(ctx, uow, proposal["case_id"], "revoked", reason, ruling.court, ruling.ruled_at)


async def on_ruling_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    store = ctx.store(uow)
    proposal = await store.sanction(uuid.UUID(timer.payload["proposal_id"]))
    if proposal is None or proposal["ruling"] is not None:
        return
    case = await store.case(proposal["case_id"])
    if case is None or case["status"] not in ACTIVE:
        return
    data = RevocationRulingOverdue(
        person_id=proposal["person_id"],
        jurisdiction=case["jurisdiction"],
        case_id=proposal["case_id"],
        cause=f"revocation:{proposal['sanction_id']}",
        observed_at=timer.due_at,
        evidence=[str(proposal["sanction_id"])],
        proposal_id=proposal["sanction_id"],
        court=timer.payload["court"],
    )
    await ctx.publish(uow, data, proposal["person_id"], None, timer.due_at)
