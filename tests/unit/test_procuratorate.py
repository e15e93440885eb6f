"""The procuratorate's notices (检察建议, 纠正违法通知; docs/domain.md §1) on a fake unit of work and
store, with a fixed clock: each becomes the named office's task with its deadline (its own, or
the policy's); a notice about a person not answered by then raises the overdue signal; the
office replies once, the reply goes back, and the deadline stops."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, cast

import pytest

from services.supervision import procuratorate as sv_procuratorate
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden
from shared.events import ProcuratorateNotice
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW, incoming, timer_of
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
ELSEWHERE = Actor("officer-2", "justice_officer", "南闸街道")
DUTY = Actor("duty-demo", "duty_officer", "county")


def notice(kind: str = "procuratorial_suggestion", person: uuid.UUID | None = None, **over: Any) -> ProcuratorateNotice:
    return ProcuratorateNotice(
        notice_id=uuid.uuid4(),
        notice_no=f"澄检建〔2026〕{uuid.uuid4().hex[:4]}号",
        procuratorate="江阴市人民检察院",
        kind=kind,  # type: ignore[arg-type]
        office="澄江街道",
        person_id=person,
        content="对社区矫正对象外出审批不严，建议整改",
        received_at=NOW,
        **over,
    )


async def received(handlers, uow, data: ProcuratorateNotice) -> None:
    for _ in range(2):  # delivered twice: kept once
        async with uow:
            await sv_procuratorate.on_procuratorate_notice(
                handlers, incoming(data, "sps.ingest.procuratorate-notice"), data, cast(Any, uow)
            )


async def test_a_notice_is_the_offices_task_with_its_deadline_from_policy_or_its_own(world):  # noqa: F811
    commands, handlers, uow, store = world
    suggestion, rectification = notice(), notice("rectification_notice")
    dated = notice(reply_due=date(2027, 1, 5))
    for n in (suggestion, rectification, dated):
        await received(handlers, uow, n)
    assert len(store.notice_rows) == 3
    assert store.notice_rows[suggestion.notice_id]["reply_due"] == date(2027, 2, 10)  # two months
    assert store.notice_rows[rectification.notice_id]["reply_due"] == NOW.date() + timedelta(days=15)
    assert store.notice_rows[dated.notice_id]["reply_due"] == date(2027, 1, 5)
    due = timer_of(store, f"procuratorate-reply:{rectification.notice_id}").due_at
    assert handlers.county.day_of(due) == NOW.date() + timedelta(days=16)  # the last day is the office's


async def test_an_unanswered_notice_about_a_person_raises_the_overdue_signal(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    about, office_wide = notice(person=person), notice()
    for n in (about, office_wide):
        await received(handlers, uow, n)
    for n in (about, office_wide):
        async with uow:
            await sv_procuratorate.on_reply_due(
                handlers, timer_of(store, f"procuratorate-reply:{n.notice_id}"), cast(Any, uow)
            )
    overdue = [e for _, e in uow.published if e.type == "sps.supervision.procuratorate-reply-overdue"]
    assert [e.data["notice_id"] for e in overdue] == [str(about.notice_id)]  # alerts are about a person
    assert overdue[0].data["jurisdiction"] == "澄江街道" and overdue[0].subject == str(person)
    assert any(t["event_type"] == "sps.ingest.procuratorate-notice" for t in store.timeline)  # on the file


async def test_the_office_replies_once_and_the_reply_goes_back(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    n = notice(person=person)
    await received(handlers, uow, n)
    reply = steps.NoticeReply(reply="已整改：外出审批改由所长签批，并组织全所学习")
    with pytest.raises(Forbidden):
        await sv_procuratorate.reply_to_notice(
            commands, cast(Any, uow), ELSEWHERE, n.notice_id, reply
        )  # another office's
    with pytest.raises(Forbidden):
        await sv_procuratorate.reply_to_notice(
            commands, cast(Any, uow), DUTY, n.notice_id, reply
        )  # not the duty desk's
    async with uow:
        data = await sv_procuratorate.reply_to_notice(commands, cast(Any, uow), OFFICER, n.notice_id, reply)
    assert data.replied_by == "officer-demo" and data.notice_no == n.notice_no
    assert uow.types()[-1] == "sps.exchange.procuratorate-reply"
    assert not any(k.startswith(f"procuratorate-reply:{n.notice_id}") for k in store.timers)
    with pytest.raises(Conflict, match="answered already"):
        await sv_procuratorate.reply_to_notice(commands, cast(Any, uow), OFFICER, n.notice_id, reply)
    async with uow:  # the deadline's timer, had it fired anyway, finds the reply
        await sv_procuratorate.on_reply_due(
            handlers, type("T", (), {"payload": {"notice_id": str(n.notice_id)}, "due_at": NOW})(), cast(Any, uow)
        )
    assert "sps.supervision.procuratorate-reply-overdue" not in uow.types()
