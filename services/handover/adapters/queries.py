"""Handover's reads for staff: the board, one handover, and the month's counts per office."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.handover.adapters.tables import handovers

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
) -> list[Any]:
    """Releases in the next `days`, key persons without a pick-up plan, receipts due, persons not
    yet arrived, the unlinked list (未衔接人员)."""
    q = sa.select(handovers).order_by(handovers.c.release_date).limit(min(limit, 10_000))
    if notice_prefix:
        q = q.where(handovers.c.notice_no.startswith(notice_prefix, autoescape=True))
    if office:
        q = q.where(handovers.c.justice_office == office)
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


async def monthly_counts(conn: AsyncConnection, start: datetime, end: datetime) -> list[Any]:
    """Per office, notices received in [start, end) and how far each step got."""
    h = handovers.c
    rel = h.kind == "release"
    key = sa.and_(rel, h.key_person)
    ordinary = sa.and_(rel, sa.not_(h.key_person))
    picked = h.pickup_outcome == "picked_up"
    count = sa.func.count
    q = (
        sa.select(
            sa.func.coalesce(h.justice_office, "unlinked").label("office"),
            count().filter(rel).label("notices"),
            count().filter(sa.and_(rel, h.linked)).label("verified"),
            count().filter(sa.and_(rel, h.receipt_at.isnot(None))).label("receipted"),
            count().filter(key).label("key"),
            count().filter(sa.and_(key, picked)).label("key_picked"),
            count().filter(ordinary).label("ordinary"),
            count().filter(sa.and_(ordinary, picked)).label("ordinary_picked"),
            count().filter(sa.and_(key, h.police_handover_at.isnot(None))).label("police"),
            count().filter(sa.and_(key, h.agreement.isnot(None))).label("key_agreements"),
            count().filter(h.released_at.isnot(None)).label("released"),
            count().filter(h.arrived_at.isnot(None)).label("arrived"),
        )
        .where(h.received_at >= start, h.received_at < end)
        .group_by("office")
        .order_by("office")
    )
    return list((await conn.execute(q)).all())
