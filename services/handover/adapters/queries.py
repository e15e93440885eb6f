"""Handover's reads for staff: the board, one handover, and the month's counts per office."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.handover.adapters.tables import (
    handovers,
    new_orders,
    prison_visits,
    resettlement_bases,
    visit_bookings,
    visit_slots,
)
from shared.db.rows import plain

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
    """Release handovers with release dates in [since, until), linked or still on the county's
    unlinked list (not those the county confirmed belong elsewhere), with their later orders."""
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
        h.applied_at,
        h.arrived_at,
        h.services,
        h.assistance,
        orders.label("new_orders"),
    ).where(
        h.kind == "release", sa.or_(h.linked, h.receipt_at.is_(None)), h.release_date >= since, h.release_date < until
    )
    return list((await conn.execute(query)).all())


async def rehab_releases(conn: AsyncConnection, since: date, until: date) -> list[Any]:
    """Linked rehab handovers (后续照管 to come) with release dates in [since, until): their office,
    release date and arrival, if any."""
    h = handovers.c
    query = sa.select(h.justice_office, h.release_date, h.arrived_at).where(
        h.kind == "rehab", h.linked, h.release_date >= since, h.release_date < until
    )
    return list((await conn.execute(query)).all())


def placements_in(base_id: Any) -> Any:
    """How many placements name the base (安置基地), counted from the handovers' services: a scalar
    query for one base id (a literal, or a base table's column)."""
    elements = sa.func.jsonb_array_elements(handovers.c.services)
    entry = elements.table_valued(sa.column("value", JSONB)).alias("entry")
    return (
        sa.select(sa.func.count())
        .select_from(handovers)
        .join(entry, sa.true())
        .where(entry.c.value["base_id"].astext == base_id)
        .scalar_subquery()
    )


async def visit_slots_from(conn: AsyncConnection, start: datetime, limit: int) -> list[dict[str, Any]]:
    """Prisons' slots starting from `start`, soonest first, each with whether it is booked."""
    s = visit_slots.c
    query = sa.select(visit_slots).where(s.start >= start).order_by(s.start, s.prison).limit(limit)
    return [plain(r) for r in (await conn.execute(query)).mappings()]


async def visit_bookings_of(conn: AsyncConnection, office: str | None, limit: int) -> list[dict[str, Any]]:
    """An office's bookings (every office's with None), the latest visit first."""
    b = visit_bookings.c
    query = sa.select(visit_bookings).order_by(b.start.desc()).limit(limit)
    if office is not None:
        query = query.where(b.office == office)
    return [plain(r) for r in (await conn.execute(query)).mappings()]


async def visit_figures(conn: AsyncConnection, start: datetime, end: datetime, by: str) -> list[dict[str, Any]]:
    """Per office or prison (`by`), for visits due in [start, end): held, no-shows, and the mean
    days from booking to the visit (held and missed visits)."""
    b = visit_bookings.c
    group = b.office if by == "office" else b.prison
    done = b.status.in_(("held", "no_show"))
    query = (
        sa.select(
            group.label(by),
            sa.func.count().filter(b.status == "held").label("visits_held"),
            sa.func.count().filter(b.status == "no_show").label("visit_no_shows"),
            sa.func.avg(sa.extract("epoch", b.start - b.booked_at) / 86400).filter(done).label("visit_wait_days"),
        )
        .where(b.start >= start, b.start < end)
        .group_by(group)
    )
    return [
        {**dict(r), "visit_wait_days": None if r.visit_wait_days is None else round(float(r.visit_wait_days), 1)}
        for r in (await conn.execute(query)).mappings()
    ]


async def prison_schedule(conn: AsyncConnection, today: date, always: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per prison on the schedule (the policy's, and any that sent a notice within a year): its last
    visit, and the county's persons there whose release is still ahead."""
    h, v = handovers.c, prison_visits.c
    recent = sa.select(sa.distinct(h.source)).where(h.kind == "release", h.received_at >= today - timedelta(days=365))
    prisons = set(always) | {p for (p,) in await conn.execute(recent)}
    firsts = sa.select(h.source, sa.func.min(h.received_at)).where(h.kind == "release").group_by(h.source)
    first: dict[str, datetime] = dict((await conn.execute(firsts)).all())  # type: ignore[arg-type]
    last: dict[str, date] = dict(
        (await conn.execute(sa.select(v.prison, sa.func.max(v.visited_on)).group_by(v.prison))).all()  # type: ignore[arg-type]
    )
    waiting: dict[str, int] = dict(
        (
            await conn.execute(
                sa.select(h.source, sa.func.count())
                .where(h.kind == "release", h.release_date >= today, h.released_at.is_(None))
                .group_by(h.source)
            )
        ).all()
    )
    return [
        {"prison": p, "last_visit": last.get(p), "first_notice_at": first.get(p), "awaiting_release": waiting.get(p, 0)}
        for p in sorted(prisons)
    ]


async def prison_visits_recent(conn: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    query = sa.select(prison_visits).order_by(prison_visits.c.visited_on.desc()).limit(limit)
    return [plain(r) for r in (await conn.execute(query)).mappings()]


async def bases_of(conn: AsyncConnection, office: str | None) -> list[dict[str, Any]]:
    """安置基地 of one office or all, each with its places taken (placements into it so far)."""
    b = resettlement_bases.c
    taken = placements_in(sa.cast(b.base_id, sa.Text))
    query = sa.select(resettlement_bases, taken.label("taken")).order_by(b.office, b.name)
    if office is not None:
        query = query.where(b.office == office)
    return [plain(r) for r in (await conn.execute(query)).mappings()]
