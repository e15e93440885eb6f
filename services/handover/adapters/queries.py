"""Handover's reads for staff: the board, one handover, and the month's counts per office."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.handover.adapters.tables import handovers, new_orders

View = Literal["all", "upcoming", "unplanned", "receipts_due", "not_arrived", "unlinked"]


async def board(
    conn: AsyncConnection,
    view: View,
    *,
    today: date,
    office: str | None,
    days: int,
    limit: int,
    notice_prefix: str | None,
    person_id: uuid.UUID | None = None,
) -> list[Any]:
    """Releases in the next `days`, key persons without a pick-up plan, receipts due, persons not
    yet arrived, the unlinked list (未衔接人员)."""
    q = sa.select(handovers).order_by(handovers.c.release_date).limit(min(limit, 10_000))
    if notice_prefix:
        q = q.where(handovers.c.notice_no.startswith(notice_prefix, autoescape=True))
    if office:
        q = q.where(handovers.c.justice_office == office)
    if person_id:
        q = q.where(handovers.c.person_id == person_id)
    q = {
        "all": q,
        "upcoming": q.where(handovers.c.release_date.between(today, today + timedelta(days=days))),
        "unplanned": q.where(
            handovers.c.key_person,
            handovers.c.pickup_plan.is_(None),
            handovers.c.kind == "release",
            handovers.c.release_date >= today,
        ),
        "receipts_due": q.where(handovers.c.receipt_at.is_(None), handovers.c.kind == "release"),
        "not_arrived": q.where(handovers.c.arrived_at.is_(None), handovers.c.release_date <= today, handovers.c.linked),
        "unlinked": q.where(sa.not_(handovers.c.linked)),
    }[view]
    return list(await conn.execute(q))


async def handover(conn: AsyncConnection, handover_id: uuid.UUID) -> Any:
    return (await conn.execute(sa.select(handovers).where(handovers.c.handover_id == handover_id))).first()


async def releases(conn: AsyncConnection, since: date, until: date) -> list[Any]:
    """Linked release handovers with release dates in [since, until), with their later orders."""
    h, o = handovers.c, new_orders.c
    orders = (
        sa.select(sa.func.coalesce(sa.func.array_agg(o.effective_on), sa.text("'{}'::date[]")))
        .where(o.person_id == h.person_id)
        .scalar_subquery()
    )
    query = sa.select(
        h.person_id,
        h.justice_office,
        h.release_date,
        h.key_person,
        h.verified_at,
        h.receipt_at,
        h.pickup_outcome,
        h.police_ack_at,
        h.agreement,
        h.arrived_at,
        h.services,
        h.assistance,
        orders.label("new_orders"),
    ).where(
        h.kind == "release", h.linked, h.justice_office.isnot(None), h.release_date >= since, h.release_date < until
    )
    return list((await conn.execute(query)).all())
