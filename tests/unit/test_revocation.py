"""Revocation (提请撤销) on a fake unit of work and store, with a fixed clock: a proposal decided by
the county goes to the order's court with its deadline; the ruling ends the case or not, once;
the deadline passing with no ruling raises `revocation-ruling-overdue`."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from services.supervision import commands as sv_commands
from services.supervision import revocation as sv_revocation
from services.supervision.adapters.store import SupervisionStore
from shared.authority import Actor
from shared.errors import Conflict, Forbidden
from shared.events import RevocationRuling
from shared.timers import Timer
from tests.unit.test_supervision_handlers import NOW, incoming, opened
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

SUPERVISOR = Actor("supervisor-demo", "supervisor", "county")
OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")


@pytest.fixture
def world(handlers_world):  # noqa: F811
    handlers, uow, store = handlers_world
    commands = replace(handlers, clock=lambda: NOW, store=lambda _uow: cast(SupervisionStore, store))
    return commands, handlers, uow, store


async def proposed(world) -> tuple[uuid.UUID, Any]:
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    async with uow:
        _, proposal_id = await sv_commands.record_sanction(
            commands, cast(Any, uow), SUPERVISOR, person, "revocation_proposal", "脱管超过一个月"
        )
    return person, proposal_id


async def test_a_decided_proposal_goes_to_the_orders_court_with_its_deadline(world):
    commands, handlers, uow, store = world
    person, proposal_id = await proposed(world)
    sent = next(e for topic, e in uow.published if e.type == "sps.exchange.revocation-proposal")
    assert sent.data["proposal_id"] == str(proposal_id) and sent.data["court"] == "江阴市人民法院"
    assert sent.data["person"]["name_masked"] == "王*" and sent.data["decided_by"] == "supervisor-demo"
    key = next(k for k in store.timers if k.startswith("revocation-ruling:"))
    # decided Thursday 10 December: the thirtieth day is Saturday 9 January, so the court has all of
    # Monday 11 January (docs/rules.md); overdue from 00:00 on the 12th in the county
    assert store.timers[key][1] == datetime(2027, 1, 11, 16, tzinfo=UTC)
    with pytest.raises(Forbidden):  # the county bureau decides; the office does not
        await sv_commands.record_sanction(commands, cast(Any, uow), OFFICER, person, "revocation_proposal", "x")


async def test_only_a_courts_corrections_case_can_be_proposed_for_revocation(world):
    commands, handlers, uow, store = world
    case = store.add_case(kind="resettlement", source_ref="handover:1")
    with pytest.raises(Conflict, match="community-correction"):
        await sv_commands.record_sanction(
            commands, cast(Any, uow), SUPERVISOR, case["person_id"], "revocation_proposal", "x"
        )
    assert store.sanctions == []  # refused before anything is kept


async def test_a_ruling_of_revoked_ends_the_case_once_and_stops_the_deadline(world):
    commands, handlers, uow, store = world
    person, proposal_id = await proposed(world)
    ruling = RevocationRuling(
        proposal_id=proposal_id,
        person_id=person,
        court="江阴市人民法院",
        ruling="revoked",
        ruled_at=NOW,
        ruling_no="R1",
    )
    for _ in range(2):  # delivered twice: one effect
        async with uow:
            await sv_revocation.on_revocation_ruling(
                handlers, incoming(ruling, "sps.ingest.revocation-ruling"), ruling, cast(Any, uow)
            )
    closed = [e for _, e in uow.published if e.type == "sps.supervision.case-closed"]
    assert len(closed) == 1 and closed[0].data["outcome"] == "revoked"
    assert not any(k.startswith("revocation-ruling:") for k in store.timers)
    assert (await store.sanction(proposal_id))["ruling_no"] == "R1"


async def test_no_ruling_in_the_courts_days_raises_overdue_and_a_ruled_one_does_not(world):
    commands, handlers, uow, store = world
    person, proposal_id = await proposed(world)
    key = next(k for k in store.timers if k.startswith("revocation-ruling:"))
    kind, due, payload = store.timers[key]
    timer = Timer(key=key, kind=kind, due_at=due, payload=payload)
    async with uow:
        await sv_revocation.on_ruling_due(handlers, timer, cast(Any, uow))
    overdue = [e for _, e in uow.published if e.type == "sps.supervision.revocation-ruling-overdue"]
    assert len(overdue) == 1 and overdue[0].data["proposal_id"] == str(proposal_id)
    assert overdue[0].data["observed_at"].startswith("2027-01-12T00:00:00+08:00")
    await store.rule(proposal_id, "rejected", NOW, "R2")
    async with uow:
        await sv_revocation.on_ruling_due(handlers, timer, cast(Any, uow))
    assert len([e for _, e in uow.published if e.type == "sps.supervision.revocation-ruling-overdue"]) == 1
