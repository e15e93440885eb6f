"""Help requests (求助; docs/domain.md §1) on a fake unit of work and store with a fixed clock: from
the app or the office, each the office's task with its deadline, answered once, referred to civil
affairs as an assistance request whose decision comes back onto it, and overdue only unanswered."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest

from services.supervision import handlers as sv_handlers
from services.supervision import help as sv_help
from services.supervision import hours as sv_hours
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden
from shared.events import AppReport, AssistanceOutcome
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW, incoming, opened, timer_of
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
DUTY = Actor("duty-demo", "duty_officer", "county")


async def test_the_apps_request_is_the_offices_task_referred_to_civil_affairs_and_answered_back(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    report = AppReport(person_id=person, kind="help_request", date=date(2026, 12, 10), note="孩子上学需要帮助")
    event = incoming(report, "sps.ingest.app-report")
    for _ in range(2):  # delivered twice: one task
        async with uow:
            await sv_hours.on_app_report(handlers, event, report, cast(Any, uow))
    (request,) = store.help.values()
    # asked Thursday 10 December: seven days to the end of Thursday the 17th (docs/rules.md)
    assert request["source"] == "app" and request["answer_due"] == datetime(2026, 12, 17, 16, tzinfo=UTC)
    assert uow.types().count("sps.supervision.help-requested") == 1

    answer = steps.HelpAnswer(outcome="referred", note="转民政部门临时救助")
    with pytest.raises(Forbidden):  # the duty desk records requests but does not answer them
        await sv_help.answer_help_request(commands, cast(Any, uow), DUTY, person, request["request_id"], answer)
    async with uow:
        await sv_help.answer_help_request(commands, cast(Any, uow), OFFICER, person, request["request_id"], answer)
    referral = [e.data for _, e in uow.published if e.type == "sps.exchange.assistance-request"]
    assert referral and referral[0]["request_id"] == str(request["request_id"]) and referral[0]["kind"] == "other"
    assert not any(k.startswith("help:") for k in store.timers)  # the deadline stops
    with pytest.raises(Conflict, match="answered already"):
        await sv_help.answer_help_request(commands, cast(Any, uow), OFFICER, person, request["request_id"], answer)

    decided = AssistanceOutcome(
        request_id=request["request_id"],
        person_id=person,
        civil_affairs="江阴市民政局",
        outcome="granted",
        programme="临时救助",
        decided_at=NOW,
        note="已发放",
    )
    async with uow:
        await sv_handlers.on_assistance_outcome(
            handlers, incoming(decided, "sps.ingest.assistance-outcome"), decided, cast(Any, uow)
        )
    assert store.help[request["request_id"]]["civil_affairs"]["programme"] == "临时救助"


async def test_a_request_unanswered_by_its_deadline_raises_the_overdue_signal_and_an_answered_one_not(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    async with uow:
        idle = await sv_help.record_help_request(
            commands, cast(Any, uow), DUTY, person, steps.HelpRequest(kind="legal_aid", note="需要法律援助")
        )
        done = await sv_help.record_help_request(
            commands, cast(Any, uow), DUTY, person, steps.HelpRequest(kind="employment", note="找工作")
        )
        await sv_help.answer_help_request(
            commands,
            cast(Any, uow),
            OFFICER,
            person,
            done.request_id,
            steps.HelpAnswer(outcome="helped", note="推荐就业岗位"),
        )
    for r in (idle, done):
        key = f"help:{r.request_id}"
        if key in store.timers:
            async with uow:
                await sv_help.on_help_due(handlers, timer_of(store, key), cast(Any, uow))
    overdue = [e.data for _, e in uow.published if e.type == "sps.supervision.help-request-overdue"]
    assert [o["request_id"] for o in overdue] == [str(idle.request_id)]
