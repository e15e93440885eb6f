"""Two steps for a sanction the office may not decide (docs/domain.md §1): the office proposes,
whoever policy lets decide that kind approves (then it is the sanction, with who proposed it) or
refuses, once; a role without the authority gets 403 at each step."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest

from services.supervision import proposals as sv_proposals
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden
from tests.unit.test_revocation import (
    SUPERVISOR,
    world,  # noqa: F401 (a fixture)
)
from tests.unit.test_supervision_handlers import opened
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
ELSEWHERE = Actor("officer-2", "justice_officer", "南闸街道")


async def test_the_office_proposes_a_warning_and_the_county_decides_it(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    warning = steps.SanctionProposal(kind="warning", reason="脱管12天")
    with pytest.raises(Conflict, match="yourself"):  # an admonition is the office's own to record
        await sv_proposals.propose_sanction(
            commands, cast(Any, uow), OFFICER, person, warning.model_copy(update={"kind": "admonition"})
        )
    with pytest.raises(Forbidden):
        await sv_proposals.propose_sanction(commands, cast(Any, uow), ELSEWHERE, person, warning)
    async with uow:
        proposed = await sv_proposals.propose_sanction(commands, cast(Any, uow), OFFICER, person, warning)
    assert uow.types()[-1] == "sps.supervision.sanction-proposed" and store.sanctions == []  # nothing decided yet

    approve = steps.ProposalDecision(decision="approved", note="情况属实")
    with pytest.raises(Forbidden):  # a warning is the county bureau's
        await sv_proposals.decide_proposal(commands, cast(Any, uow), OFFICER, person, proposed.proposal_id, approve)
    async with uow:
        decided = await sv_proposals.decide_proposal(
            commands, cast(Any, uow), SUPERVISOR, person, proposed.proposal_id, approve
        )
    (sanction,) = store.sanctions
    assert sanction["kind"] == "warning" and sanction["recorded_by"] == "supervisor-demo"
    assert "officer-demo提请" in sanction["reason"] and decided.sanction_id == sanction["sanction_id"]
    assert uow.types()[-1] == "sps.supervision.sanction-proposal-decided"
    with pytest.raises(Conflict, match="approved already"):
        await sv_proposals.decide_proposal(commands, cast(Any, uow), SUPERVISOR, person, proposed.proposal_id, approve)


async def test_a_refused_proposal_records_no_sanction(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    async with uow:
        proposed = await sv_proposals.propose_sanction(
            commands,
            cast(Any, uow),
            OFFICER,
            person,
            steps.SanctionProposal(kind="revocation_proposal", reason="脱管超过一个月"),
        )
        refused = await sv_proposals.decide_proposal(
            commands,
            cast(Any, uow),
            SUPERVISOR,
            person,
            proposed.proposal_id,
            steps.ProposalDecision(decision="refused", note="已找回，先予警告"),
        )
    assert refused.decision == "refused" and refused.sanction_id is None and store.sanctions == []
    assert store.proposals[proposed.proposal_id]["decided_by"] == "supervisor-demo"
