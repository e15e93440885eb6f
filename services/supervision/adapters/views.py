"""Supervision's read models for the map and the monthly figures: last known positions, areas
and zones, one person's day track, and what the positioning and aftercare indicators count."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.supervision.adapters.tables import (
    cases,
    correction_plans,
    followups,
    help_requests,
    hours_judgements,
    positioning_orders,
    social_forces,
    timeline,
    track_points,
    zone_state,
)
from services.supervision.domain.aftercare import Followup
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.indicators import MonthCounts


async def positions(conn: AsyncConnection, jurisdiction: str | None, limit: int) -> list[dict[str, Any]]:
    """The last known position of every active case with one, newest first."""
    q = (
        sa.select(
            zone_state.c.person_id,
            cases.c.jurisdiction,
            cases.c.kind,
            cases.c.person_masked,
            zone_state.c.lon,
            zone_state.c.lat,
            zone_state.c.accuracy_m,
            zone_state.c.last_fix_at,
            zone_state.c.last_outside,
            zone_state.c.tampered,
            zone_state.c.in_zones,
        )
        .join(cases, cases.c.person_id == zone_state.c.person_id)
        .where(cases.c.status.in_(ACTIVE), zone_state.c.lon.isnot(None))
        .order_by(zone_state.c.last_fix_at.desc())
        .limit(limit)
    )
    if jurisdiction:
        q = q.where(cases.c.jurisdiction == jurisdiction)
    rows = (await conn.execute(q)).mappings().all()
    return [
        {
            "person_id": str(r["person_id"]),
            "jurisdiction": r["jurisdiction"],
            "kind": r["kind"],
            "name_masked": r["person_masked"].get("name_masked"),
            "lon": r["lon"],
            "lat": r["lat"],
            "accuracy_m": r["accuracy_m"],
            "last_fix_at": r["last_fix_at"],
            "outside": r["last_outside"],
            "tampered": r["tampered"],
            "in_zones": r["in_zones"],
        }
        for r in rows
    ]


async def zones(conn: AsyncConnection, jurisdiction: str | None) -> dict[str, Any]:
    """Exclusion zones and non-default permitted areas of active cases (the county comes from policy)."""
    q = sa.select(cases.c.person_id, cases.c.jurisdiction, cases.c.permitted_area, cases.c.exclusion_zones).where(
        cases.c.status.in_(ACTIVE),
        sa.or_(cases.c.permitted_area.isnot(None), sa.func.jsonb_array_length(cases.c.exclusion_zones) > 0),
    )
    if jurisdiction:
        q = q.where(cases.c.jurisdiction == jurisdiction)
    rows = (await conn.execute(q)).mappings().all()
    return {
        "exclusion_zones": [
            {
                "person_id": str(r["person_id"]),
                "jurisdiction": r["jurisdiction"],
                "name": z["name"],
                "polygon": z["polygon"]["coordinates"][0],
            }
            for r in rows
            for z in r["exclusion_zones"]
        ],
        "permitted_areas": [
            {
                "person_id": str(r["person_id"]),
                "jurisdiction": r["jurisdiction"],
                "polygon": r["permitted_area"]["coordinates"][0],
            }
            for r in rows
            if r["permitted_area"]
        ],
    }


async def track(conn: AsyncConnection, person_id: uuid.UUID, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The kept fixes of the person in [start, end)."""
    tp = track_points.c
    query = (
        sa.select(tp.recorded_at, tp.lon, tp.lat, tp.accuracy_m, tp.outside)
        .where(tp.person_id == person_id, tp.recorded_at >= start, tp.recorded_at < end)
        .order_by(tp.recorded_at)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def month_counts(
    conn: AsyncConnection, start: datetime, end: datetime, month: str, tested_since: datetime | None = None
) -> MonthCounts:
    """The month's counts; 操守保持率 weighs the follow-ups from `tested_since` (the quarter's start)."""
    c, po, fu = cases.c, positioning_orders.c, followups.c
    # Under supervision for some of the month (docs/indicators.md): opened before its end, and
    # closed (ended, revoked, transferred) not before its start; a case not closed counts while
    # active or in its term. A closed case leaves the counts the month after it closed (D4).
    was_active = sa.and_(
        c.opened_at < end,
        sa.or_(
            c.closed_at >= start,
            sa.and_(c.closed_at.is_(None), sa.or_(c.status.in_(ACTIVE), c.term_end >= start.date())),
        ),
    )
    corrections = await conn.execute(
        sa.select(c.jurisdiction, sa.func.count())
        .where(was_active, c.kind == "community_correction")
        .group_by(c.jurisdiction)
    )
    # 电子定位率's numerator: the bureau's positioning term in force for some of the month (its
    # `ends_on` is the first day after the term), or the court's order of electronic monitoring (D5).
    bureau_term = (
        sa.exists()
        .where(po.case_id == c.case_id, po.starts_on < end.date(), po.ends_on > start.date())
        .correlate(cases)
    )
    positioned = await conn.execute(
        sa.select(c.jurisdiction, sa.func.count())
        .where(was_active, c.kind == "community_correction", sa.or_(c.electronic_monitoring, bureau_term))
        .group_by(c.jurisdiction)
    )
    cp = correction_plans.c
    planned = await conn.execute(
        sa.select(c.jurisdiction, sa.func.count(sa.distinct(cp.case_id)))
        .join(correction_plans, cp.case_id == c.case_id)
        .where(was_active, c.kind == "community_correction", cp.approved_at < end)
        .group_by(c.jurisdiction)
    )
    help_planned = await conn.execute(
        sa.select(c.jurisdiction, sa.func.count(sa.distinct(cp.case_id)))
        .join(correction_plans, cp.case_id == c.case_id)
        .where(was_active, c.kind == "resettlement", cp.approved_at < end)
        .group_by(c.jurisdiction)
    )
    aftercare = await conn.execute(sa.select(c.case_id, c.jurisdiction).where(was_active, c.kind == "aftercare"))
    by_case: dict[uuid.UUID, list[Followup]] = {}
    tested: dict[uuid.UUID, list[Followup]] = {}
    for r in await conn.execute(
        sa.select(fu.case_id, fu.kind, fu.at, fu.drug_test, fu.police_record).where(
            fu.at >= min(start, tested_since or start), fu.at < end
        )
    ):
        followup = Followup(r.kind, r.at, r.drug_test, r.police_record)
        tested.setdefault(r.case_id, []).append(followup)
        if r.at >= start:
            by_case.setdefault(r.case_id, []).append(followup)
    opened: dict[str, dict[str, int]] = {}
    for office, kind, n in await conn.execute(
        sa.select(c.jurisdiction, c.sentence_kind, sa.func.count())
        .where(c.kind == "community_correction", c.opened_at >= start, c.opened_at < end)
        .group_by(c.jurisdiction, c.sentence_kind)
    ):
        opened.setdefault(office, {})[kind or "unknown"] = n
    closed: dict[str, dict[str, int]] = {}
    for office, kind, n in await conn.execute(
        sa.select(c.jurisdiction, c.sentence_kind, sa.func.count())
        .where(c.kind == "community_correction", c.closed_at >= start, c.closed_at < end)
        .group_by(c.jurisdiction, c.sentence_kind)
    ):
        closed.setdefault(office, {})[kind or "unknown"] = n
    hj, hr = hours_judgements.c, help_requests.c
    hours: dict[str, dict[str, tuple[int, int]]] = {}
    for office, level, met, judged in await conn.execute(
        sa.select(hj.office, hj.level, sa.func.count().filter(hj.met), sa.func.count())
        .where(hj.month == month)
        .group_by(hj.office, hj.level)
    ):
        hours.setdefault(office, {})[level] = (met, judged)
    # 求助答复率 is the community-corrections figure the plan names: requests on other cases are
    # answered the same way but not counted in it (docs/indicators.md)
    helped = await conn.execute(
        sa.select(hr.office, sa.func.count().filter(hr.outcome.isnot(None)), sa.func.count())
        .join(cases, c.case_id == hr.case_id)
        .where(hr.requested_at >= start, hr.requested_at < end, c.kind == "community_correction")
        .group_by(hr.office)
    )
    released = await conn.execute(
        sa.select(c.jurisdiction, sa.func.count()).where(was_active, c.kind == "resettlement").group_by(c.jurisdiction)
    )
    sf = social_forces.c
    social_workers = await conn.execute(
        sa.select(sf.office, sa.func.count())
        .where(
            sf.kind == "social_worker", sf.registered_at < end, sa.or_(sf.left_on.is_(None), sf.left_on >= start.date())
        )
        .group_by(sf.office)
    )
    return MonthCounts(
        released={j: n for j, n in released},
        help_planned={j: n for j, n in help_planned},
        social_workers={j: n for j, n in social_workers},
        hours=hours,
        help={office: (answered, asked) for office, answered, asked in helped},
        corrections={j: n for j, n in corrections},
        positioned={j: n for j, n in positioned},
        planned={j: n for j, n in planned},
        aftercare=[(case_id, office) for case_id, office in aftercare],
        followups=by_case,
        tested=tested,
        opened=opened,
        closed=closed,
        intake_missed=await _signalled(conn, "sps.supervision.intake-missed", start, end),
        contact_lost=await _signalled(conn, "sps.supervision.contact-lost", start, end),
    )


async def _signalled(conn: AsyncConnection, event_type: str, start: datetime, end: datetime) -> dict[str, int]:
    """Per office, the persons on whose file this signal was recorded in [start, end)."""
    t = timeline.c
    office = t.summary["jurisdiction"].astext
    query = (
        sa.select(office, sa.func.count(sa.distinct(t.person_id)))
        .where(t.event_type == event_type, t.occurred_at >= start, t.occurred_at < end)
        .group_by(office)
    )
    return {o: n for o, n in await conn.execute(query)}
