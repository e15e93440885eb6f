"""The procuratorate's legal supervision (检察监督), docs/domain.md §1: a 检察建议 or 纠正违法通知
arrives through the gateway as a task for the justice office it names, with its reply deadline
(the notice's own, or policy `procuratorate`); a notice about a person not answered by then
raises `procuratorate_reply_overdue`; the office's reply goes back (`GET /v1/procuratorate/replies`).

Functions over the service's context (context.py): the event and timer handlers, and the staff steps.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any

from services.supervision.adapters.store import Row
from services.supervision.context import SupervisionContext
from services.supervision.domain.policy import SupervisionPolicy
from shared import staff_steps as steps
from shared.authority import Actor
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import Conflict, NotFound
from shared.events import ProcuratorateNotice, ProcuratorateReply, ProcuratorateReplyOverdue
from shared.logging import get_logger
from shared.periods import ending_on, within_days, within_months
from shared.timers import Timer

log = get_logger(__name__)
REPLY_TIMER = "procuratorate-reply:{notice_id}"


def reply_due(notice: ProcuratorateNotice, received_on: date, policy: SupervisionPolicy, county: County) -> date:
    """The notice's own date, or the last day of the policy's period from the county's day it
    arrived (the one period rule, docs/rules.md)."""
    if notice.reply_due is not None:
        return notice.reply_due
    if notice.kind == "procuratorial_suggestion":
        return within_months(county, received_on, policy.procuratorate.suggestion_reply_months).last_day
    return within_days(county, received_on, policy.procuratorate.rectification_reply_days).last_day


async def reply_to_notice(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, notice_id: uuid.UUID, step: steps.NoticeReply
) -> ProcuratorateReply:
    """The office's reply, once; it goes back to the procuratorate and stops the deadline."""
    store = ctx.store(uow)
    notice = await store.notice(notice_id, for_update=True)
    if notice is None:
        raise NotFound(f"no procuratorate notice {notice_id}")
    actor.require("procuratorate.reply", notice["office"])
    if notice["replied_at"] is not None:
        raise Conflict(f"notice {notice['notice_no']} was answered already ({notice['replied_at'].isoformat()})")
    now = ctx.clock()
    await store.reply_notice(notice_id, step.reply, now, actor.name)
    await store.cancel_prefix(REPLY_TIMER.format(notice_id=notice_id))
    data = ProcuratorateReply(
        notice_id=notice_id,
        notice_no=notice["notice_no"],
        procuratorate=notice["procuratorate"],
        kind=notice["kind"],
        office=notice["office"],
        person_id=notice["person_id"],
        reply=step.reply,
        replied_by=actor.name,
        replied_at=now,
    )
    out = store.uow.publish(data, subject=notice["person_id"] or notice_id, time=now)
    if notice["person_id"] is not None:
        await store.record(notice["person_id"], out.id, out.type, now, data.model_dump(mode="json"))
    return data


async def notices(ctx: SupervisionContext, uow: UnitOfWork, office: str | None) -> list[Row]:
    """The offices' notices, newest first (every office's for the county)."""
    return await ctx.store(uow).notices(office)


def procuratorate_timers(ctx: SupervisionContext) -> dict[str, Any]:
    return {"procuratorate.reply": partial(on_reply_due, ctx)}


async def on_procuratorate_notice(
    ctx: SupervisionContext, event: IncomingEvent, notice: ProcuratorateNotice, uow: UnitOfWork
) -> None:
    """A notice becomes the office's task with its deadline, and goes on the person's file."""
    store = ctx.store(uow)
    due = reply_due(notice, ctx.county.day_of(notice.received_at), ctx.policy, ctx.county)
    row = notice.model_dump(exclude={"reply_due"}) | {"reply_due": due}
    if not await store.add_notice(row):
        return
    # The deadline's last day is the office's in full.
    await store.schedule(
        REPLY_TIMER.format(notice_id=notice.notice_id),
        "procuratorate.reply",
        ending_on(ctx.county, due).due,
        {"notice_id": str(notice.notice_id)},
    )
    if notice.person_id is not None:
        summary = notice.model_dump(mode="json") | {"reply_due": due.isoformat()}
        await store.record(notice.person_id, event.id, event.type, notice.received_at, summary)


async def on_reply_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    store = ctx.store(uow)
    notice = await store.notice(uuid.UUID(timer.payload["notice_id"]))
    if notice is None or notice["replied_at"] is not None:
        return
    if notice["person_id"] is None:
        # An alert is about a person (contract §3); an office-wide notice shows overdue on the
        # console's notice list instead.
        log.warning("procuratorate notice overdue", notice_no=notice["notice_no"], office=notice["office"])
        return
    data = ProcuratorateReplyOverdue(
        person_id=notice["person_id"],
        jurisdiction=notice["office"],
        cause=f"procuratorate:{notice['notice_id']}",
        observed_at=timer.due_at,
        evidence=[notice["notice_no"]],
        notice_id=notice["notice_id"],
        notice_no=notice["notice_no"],
        reply_due=notice["reply_due"],
    )
    await ctx.publish(uow, data, notice["person_id"], None, timer.due_at)
