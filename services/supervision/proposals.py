"""Two steps for a sanction the office may not decide (docs/domain.md §1): the office proposes
(`sanction.propose`), and whoever policy/authority.yaml lets decide that kind approves (then it
is recorded as the sanction, with who proposed it) or refuses, with a note.
Functions over the service's context (context.py)."""

from __future__ import annotations

import uuid

from services.supervision import commands
from services.supervision.context import SupervisionContext
from shared import staff_steps as steps
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events import SanctionProposalDecided, SanctionProposed


async def propose_sanction(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.SanctionProposal
) -> SanctionProposed:
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "sanction.propose")
    if actor.may(f"sanction.{step.kind}", case["jurisdiction"]):
        raise Conflict(f"you may decide a {step.kind} yourself: record it rather than propose it")
    data = SanctionProposed(
        proposal_id=uuid.uuid4(),
        person_id=person_id,
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        kind=step.kind,
        reason=step.reason,
        proposed_by=actor.name,
    )
    now = ctx.clock()
    await store.add_proposal(
        **data.model_dump(include={"proposal_id", "person_id", "case_id", "kind", "reason", "proposed_by"}),
        proposed_at=now,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    return data


async def decide_proposal(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    proposal_id: uuid.UUID,
    step: steps.ProposalDecision,
) -> SanctionProposalDecided:
    """Approve (the sanction is recorded, by the one who decided) or refuse, once."""
    store = ctx.store(uow)
    proposal = await store.proposal(proposal_id)
    if proposal is None or proposal["person_id"] != person_id:
        raise NotFound(f"no sanction proposal {proposal_id} for person {person_id}")
    case = await ctx.case(store, person_id, actor, f"sanction.{proposal['kind']}")
    if proposal["decision"] is not None:
        raise Conflict(f"this proposal was {proposal['decision']} already by {proposal['decided_by']}")
    sanction_id = None
    if step.decision == "approved":
        reason = f"{proposal['reason']}（{proposal['proposed_by']}提请；{step.note}）"
        _, sanction_id = await commands.record_sanction(ctx, uow, actor, person_id, proposal["kind"], reason)
    now = ctx.clock()
    await store.decide_proposal(
        proposal_id,
        decision=step.decision,
        decided_by=actor.name,
        decided_at=now,
        note=step.note,
        sanction_id=sanction_id,
    )
    data = SanctionProposalDecided(
        proposal_id=proposal_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=proposal["kind"],
        decision=step.decision,
        decided_by=actor.name,
        note=step.note,
        sanction_id=sanction_id,
    )
    await ctx.publish_on_file(store, data, person_id, now)
    return data
