"""The command centre's reads of its alert projection (the board, a person's alerts, counts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.command_centre.adapters.tables import alert_changes, alert_view


async def alert_board(
    engine: AsyncEngine,
    *,
    office: str | None,
    status: str | None,
    colour: str | None,
    jurisdiction: str | None,
    rule_id: str | None,
    limit: int,
) -> tuple[int, list[Any]]:
    """The feed position and the alerts it reflects, newest first (`office` None: every office)."""
    query = sa.select(alert_view.c.data).order_by(alert_view.c.raised_at.desc()).limit(limit)
    for column, value in (
        (alert_view.c.jurisdiction, office),
        (alert_view.c.status, status),
        (alert_view.c.colour, colour),
        (alert_view.c.jurisdiction, jurisdiction),
        (alert_view.c.rule_id, rule_id),
    ):
        if value:
            query = query.where(column == value)
    async with engine.connect() as conn, conn.begin():
        # One snapshot for the list and its feed position, so list + stream have no gap.
        await conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        seq = await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(alert_changes.c.seq), 0)))
        rows = list((await conn.execute(query)).scalars())
    return int(seq or 0), rows


async def alert_office(conn: AsyncConnection, alert_id: uuid.UUID) -> str | None:
    office: str | None = await conn.scalar(
        sa.select(alert_view.c.jurisdiction).where(alert_view.c.alert_id == alert_id)
    )
    return office


async def alerts_of_person(conn: AsyncConnection, person_id: uuid.UUID, limit: int = 500) -> list[Any]:
    query = (
        sa.select(alert_view.c.data)
        .where(alert_view.c.person_id == person_id)
        .order_by(alert_view.c.raised_at.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def alert_counts(conn: AsyncConnection, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    """Alerts raised in [start, end) by office and colour."""
    query = (
        sa.select(alert_view.c.jurisdiction, alert_view.c.colour, sa.func.count())
        .where(alert_view.c.raised_at >= start, alert_view.c.raised_at < end)
        .group_by(alert_view.c.jurisdiction, alert_view.c.colour)
    )
    return [(j, c, n) for j, c, n in (await conn.execute(query))]


OPEN_STATUSES = ("open", "acknowledged", "escalated")


async def open_alert_counts(
    engine: AsyncEngine, office: str | None, persons: list[str] | None = None
) -> dict[str, int]:
    """Open alerts per person (person id as text), in one office or the county's; only of
    `persons` when they are named."""
    query = (
        sa.select(alert_view.c.person_id, sa.func.count())
        .where(alert_view.c.status.in_(OPEN_STATUSES), alert_view.c.person_id.is_not(None))
        .group_by(alert_view.c.person_id)
    )
    if office is not None:
        query = query.where(alert_view.c.jurisdiction == office)
    if persons is not None:
        query = query.where(alert_view.c.person_id.in_([uuid.UUID(p) for p in persons]))
    async with engine.connect() as conn:
        return {str(person): int(n) for person, n in await conn.execute(query)}
