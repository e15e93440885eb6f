"""What the console's map draws: last known positions, areas and zones, and one person's day track."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from services.supervision.adapters.tables import cases, followups, positioning_orders, track_points, zone_state
from services.supervision.deps import Parts
from services.supervision.domain.aftercare import Followup, abstinent
from services.supervision.programmes import ACTIVE
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


@router.get("/positions")
async def positions(
    parts: Parts, jurisdiction: str | None = None, limit: int = Query(5000, ge=1, le=100_000)
) -> list[dict]:
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
    async with parts.runtime.engine.connect() as conn:
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


@router.get("/zones")
async def zones(parts: Parts, jurisdiction: str | None = None) -> dict:
    """Exclusion zones and non-default permitted areas of active cases (the county comes from policy)."""
    q = sa.select(cases.c.person_id, cases.c.jurisdiction, cases.c.permitted_area, cases.c.exclusion_zones).where(
        cases.c.status.in_(ACTIVE),
        sa.or_(cases.c.permitted_area.isnot(None), sa.func.jsonb_array_length(cases.c.exclusion_zones) > 0),
    )
    if jurisdiction:
        q = q.where(cases.c.jurisdiction == jurisdiction)
    async with parts.runtime.engine.connect() as conn:
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


@router.get("/persons/{person_id}/track")
async def track(person_id: uuid.UUID, parts: Parts, day: date | None = None) -> list[dict]:
    """The kept fixes of one day (UTC+8, the bureau's day)."""
    day = day or datetime.now(UTC).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=8)
    async with parts.runtime.engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    sa.select(
                        track_points.c.recorded_at,
                        track_points.c.lon,
                        track_points.c.lat,
                        track_points.c.accuracy_m,
                        track_points.c.outside,
                    )
                    .where(
                        track_points.c.person_id == person_id,
                        track_points.c.recorded_at >= start,
                        track_points.c.recorded_at < start + timedelta(days=1),
                    )
                    .order_by(track_points.c.recorded_at)
                )
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


@router.get("/indicators")
async def indicators(parts: Parts, month: str | None = None) -> dict:
    """Per justice office for a month: electronic positioning rate, aftercare rate, abstinence rate."""
    month = month or datetime.now(UTC).strftime("%Y-%m")
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    policy = parts.policy
    c = cases.c
    was_active = sa.and_(c.opened_at < end, sa.or_(c.status.in_(ACTIVE), c.term_end >= start.date()))
    async with parts.runtime.engine.connect() as conn:
        corrections: dict[str, int] = dict(
            (
                await conn.execute(
                    sa.select(c.jurisdiction, sa.func.count())
                    .where(was_active, c.kind == "community_correction")
                    .group_by(c.jurisdiction)
                )
            ).all()
        )
        positioned: dict[str, int] = dict(
            (
                await conn.execute(
                    sa.select(c.jurisdiction, sa.func.count(sa.distinct(positioning_orders.c.case_id)))
                    .join(positioning_orders, positioning_orders.c.case_id == c.case_id)
                    .where(positioning_orders.c.starts_on < end.date(), positioning_orders.c.ends_on >= start.date())
                    .group_by(c.jurisdiction)
                )
            ).all()
        )
        aftercare = (
            await conn.execute(sa.select(c.case_id, c.jurisdiction).where(was_active, c.kind == "aftercare"))
        ).all()
        fu = (
            await conn.execute(
                sa.select(
                    followups.c.case_id,
                    followups.c.kind,
                    followups.c.at,
                    followups.c.drug_test,
                    followups.c.police_record,
                ).where(followups.c.at >= start, followups.c.at < end)
            )
        ).all()
    by_case: dict[uuid.UUID, list[Followup]] = {}
    for r in fu:
        by_case.setdefault(r.case_id, []).append(Followup(r.kind, r.at, r.drug_test, r.police_record))
    offices: dict[str, dict] = {}
    for office in sorted(set(corrections) | {a.jurisdiction for a in aftercare}):
        mine = [a.case_id for a in aftercare if a.jurisdiction == office]
        followed = sum(1 for cid in mine if by_case.get(cid))
        clean = sum(1 for cid in mine if abstinent(by_case.get(cid, [])))

        def rate(n, d):
            return round(n / d, 3) if d else None

        offices[office] = {
            "office": office,
            "corrections": corrections.get(office, 0),
            "positioning_rate": rate(positioned.get(office, 0), corrections.get(office, 0)),
            "aftercare_cases": len(mine),
            "aftercare_rate": rate(followed, len(mine)),
            "abstinence_rate": rate(clean, len(mine)),
        }
    return {"month": month, "targets": policy.targets.model_dump(), "offices": list(offices.values())}
