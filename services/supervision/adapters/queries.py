"""Supervision's reads for staff: the person's cases, case file and programmes, and the monthly
key-person list. Plain queries, no rules: what they return is shown as it is."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.supervision.adapters.tables import (
    cases,
    conversions,
    correction_plans,
    followups,
    help_requests,
    key_person_lists,
    leaves,
    positioning_orders,
    programme_hours,
    sanction_proposals,
    sanctions,
    social_force_hours,
    social_forces,
    team_members,
    timeline,
    trips,
    zone_state,
)
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.conversions import summary
from shared.db.rows import plain


async def person(conn: AsyncConnection, person_id: uuid.UUID) -> dict[str, Any] | None:
    """The case as staff see it: identity masked, level of approval, leaves, last position state."""
    rows = (
        (await conn.execute(sa.select(cases).where(cases.c.person_id == person_id).order_by(cases.c.opened_at)))
        .mappings()
        .all()
    )
    if not rows:
        return None
    leave_rows = (
        (await conn.execute(sa.select(leaves).where(leaves.c.person_id == person_id).order_by(leaves.c.starts_at)))
        .mappings()
        .all()
    )
    position = (await conn.execute(sa.select(zone_state).where(zone_state.c.person_id == person_id))).mappings().first()
    current = rows[-1]
    accounts = sa.select(team_members.c.account).where(
        team_members.c.case_id == current["case_id"], team_members.c.account.isnot(None)
    )
    return {
        "person_id": str(person_id),
        "jurisdiction": current["jurisdiction"],
        # 协矫通: the accounts that see this person (shared/authority.py `sees_person`)
        "team_accounts": [r.account for r in await conn.execute(accounts)],
        "identity": current["person_masked"],
        "cases": [plain(r) for r in rows],
        "leaves": [plain(r) for r in leave_rows],
        "position": plain(position) if position else None,
    }


async def timeline_of(conn: AsyncConnection, person_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        (
            await conn.execute(
                sa.select(timeline)
                .where(timeline.c.person_id == person_id)
                .order_by(timeline.c.occurred_at, timeline.c.id)
            )
        )
        .mappings()
        .all()
    )
    return [plain(r) for r in rows]


async def programmes(conn: AsyncConnection, person_id: uuid.UUID) -> dict[str, Any]:
    """Level, electronic positioning, follow-ups, trips, team and sanctions of the person's cases."""
    case_rows = (
        (
            await conn.execute(
                sa.select(
                    cases.c.case_id, cases.c.kind, cases.c.level, cases.c.risk_level, cases.c.community_rehabilitation
                ).where(cases.c.person_id == person_id)
            )
        )
        .mappings()
        .all()
    )
    ids = [c["case_id"] for c in case_rows]

    async def rows(table: sa.Table, order: sa.ColumnElement[Any]) -> list[dict[str, Any]]:
        return [
            plain(r)
            for r in (await conn.execute(sa.select(table).where(table.c.case_id.in_(ids)).order_by(order)))
            .mappings()
            .all()
        ]

    return {
        "cases": [plain(c) for c in case_rows],
        "positioning": await rows(positioning_orders, positioning_orders.c.starts_on),
        "followups": await rows(followups, followups.c.at),
        "trips": await rows(trips, trips.c.leaves_on),
        "team": await rows(team_members, team_members.c.name),
        "sanctions": await rows(sanctions, sanctions.c.recorded_at),
        "sanction_proposals": await rows(sanction_proposals, sanction_proposals.c.proposed_at),
        "hours": await rows(programme_hours, programme_hours.c.on),
        "plans": await rows(correction_plans, correction_plans.c.made_at),
        "help_requests": await rows(help_requests, help_requests.c.requested_at),
    }


async def conversions_of(
    conn: AsyncConnection, office: str | None, level: str | None, *, closed: bool = False
) -> list[dict[str, Any]]:
    """挂牌转化: the conversions of an office (or every office's), of one level or both, open ones
    (or all), the longest open first, each with its person's masked name."""
    c = conversions.c
    query = (
        sa.select(conversions, cases.c.person_masked)
        .join(cases, cases.c.case_id == c.case_id)
        .order_by(c.opened_at, c.conversion_id)
    )
    if office is not None:
        query = query.where(c.office == office)
    if level is not None:
        query = query.where(c.level == level)
    if not closed:
        query = query.where(c.closed_at.is_(None))
    return [{**plain(r), **summary(dict(r))} for r in (await conn.execute(query)).mappings()]


async def confirmed_list(conn: AsyncConnection, office: str, month: str) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                sa.select(key_person_lists).where(
                    key_person_lists.c.office == office, key_person_lists.c.month == month
                )
            )
        )
        .mappings()
        .first()
    )
    return plain(row) if row else None


GROUPS = {"corrections": "community_correction", "resettlement": "resettlement", "aftercare": "aftercare"}


async def caseload(
    conn: AsyncConnection,
    *,
    jurisdiction: str | None,
    month: str,
    today: date,
    group: str | None = None,
    level: str | None = None,
    positioning: bool | None = None,
    statuses: tuple[str, ...],
    key_person: bool | None = None,
    term_ending_within_days: int | None = None,
    persons: list[uuid.UUID] | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """A caseload (one office's, or the county's), filtered and searched: by masked name, the last
    four of the masked identity number, or the order or notice number (docs/domain.md §1)."""
    c = cases.c
    listed = sa.exists(
        sa.select(1).where(
            key_person_lists.c.office == c.jurisdiction,
            key_person_lists.c.month == month,
            key_person_lists.c.persons.contains(
                sa.func.jsonb_build_array(sa.func.jsonb_build_object("person_id", sa.cast(c.person_id, sa.Text)))
            ),
        )
    )
    where: list[sa.ColumnElement[bool]] = [c.status.in_(statuses)]
    if jurisdiction is not None:
        where.append(c.jurisdiction == jurisdiction)
    if group is not None:
        where.append(c.kind == GROUPS[group])
    if level is not None:
        where.append(c.level == level)
    if positioning is not None:
        where.append(c.electronic_monitoring.is_(positioning))
    if key_person is not None:
        where.append(listed if key_person else ~listed)
    if term_ending_within_days is not None:
        where.append(c.term_end.between(today, today + timedelta(days=term_ending_within_days)))
    if persons is not None:
        where.append(c.person_id.in_(persons))
    text = (q or "").strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        matches = [c.person_masked["name_masked"].astext.like(like), c.source_ref.like(like)]
        if text.isdigit() or text[-1:] in "Xx":
            matches.append(c.person_masked["id_number_masked"].astext.like(f"%{text[-4:]}"))
        where.append(sa.or_(*matches))
    total = await conn.scalar(sa.select(sa.func.count()).select_from(cases).where(*where))
    query = (
        sa.select(
            c.person_id,
            c.case_id,
            c.kind,
            c.status,
            c.jurisdiction,
            c.level,
            c.risk_level,
            c.electronic_monitoring,
            c.term_end,
            c.source_ref,
            c.person_masked,
            listed.label("key_person"),
        )
        .where(*where)
        .order_by(c.opened_at.desc(), c.case_id)
        .limit(limit)
        .offset(offset)
    )
    rows = [plain(r) for r in (await conn.execute(query)).mappings()]
    return {"total": total, "persons": rows}


async def social_forces_of(conn: AsyncConnection, office: str | None, year_from: date) -> list[dict[str, Any]]:
    """The registry (社会力量) of one office or all: each helper with the time served since
    `year_from` and the active cases whose correction teams name their account."""
    sf, sh, tm, c = social_forces.c, social_force_hours.c, team_members.c, cases.c
    minutes = (
        sa.select(sa.func.coalesce(sa.func.sum(sh.minutes), 0))
        .where(sh.force_id == sf.force_id, sh.on >= year_from)
        .scalar_subquery()
    )
    served = (
        sa.select(sa.func.count(sa.distinct(c.person_id)))
        .select_from(team_members.join(cases, c.case_id == tm.case_id))
        .where(tm.account == sf.account, c.status.in_(ACTIVE))
        .scalar_subquery()
    )
    query = sa.select(social_forces, minutes.label("minutes_this_year"), served.label("persons_served")).order_by(
        sf.office, sf.kind, sf.name
    )
    if office is not None:
        query = query.where(sf.office == office)
    return [plain(r) for r in (await conn.execute(query)).mappings()]
