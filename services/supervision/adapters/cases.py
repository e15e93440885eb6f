"""The in-memory view of active cases the fix path reads, backed by the database.

Fix handling must not cost a database read per fix, so each case's prepared areas and zone
state live here. The database stays the truth: the view is loaded at start and again when
partitions are assigned, and changed only after a commit succeeds.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.supervision.adapters.tables import cases, zone_state
from services.supervision.domain.geo import Area, LocalProjection
from services.supervision.domain.zones import ZoneState


@dataclass
class CaseView:
    case_id: uuid.UUID
    person_id: uuid.UUID
    jurisdiction: str
    permitted: Area
    exclusions: list[Area]
    zone: ZoneState = field(default_factory=ZoneState)


class CaseDirectory:
    def __init__(self, county: Area, projection: LocalProjection) -> None:
        self.county = county
        self.projection = projection
        self._by_person: dict[uuid.UUID, CaseView] = {}

    def __len__(self) -> int:
        return len(self._by_person)

    def get(self, person_id: uuid.UUID) -> CaseView | None:
        return self._by_person.get(person_id)

    def put(self, view: CaseView) -> None:
        self._by_person[view.person_id] = view

    def build(self, case_id: uuid.UUID, person_id: uuid.UUID, jurisdiction: str,
              permitted_area: dict | None, exclusion_zones: list[dict], zone: ZoneState | None = None) -> CaseView:
        permitted = self.county if permitted_area is None else Area(
            "permitted", permitted_area["coordinates"][0], self.projection)
        exclusions = [Area(z["name"], z["polygon"]["coordinates"][0], self.projection) for z in exclusion_zones]
        return CaseView(case_id, person_id, jurisdiction, permitted, exclusions, zone or ZoneState())

    async def load(self, engine: AsyncEngine) -> int:
        query = (
            sa.select(cases.c.case_id, cases.c.person_id, cases.c.jurisdiction, cases.c.permitted_area,
                      cases.c.exclusion_zones, zone_state.c.outside_episode, zone_state.c.last_fix_at)
            .select_from(cases.outerjoin(zone_state, zone_state.c.person_id == cases.c.person_id))
            .where(cases.c.status.in_(("awaiting_intake", "under_supervision")))
            .order_by(cases.c.opened_at)
        )
        fresh: dict[uuid.UUID, CaseView] = {}
        async with engine.connect() as conn:
            for row in await conn.execute(query):
                fresh[row.person_id] = self.build(
                    row.case_id, row.person_id, row.jurisdiction, row.permitted_area, row.exclusion_zones,
                    ZoneState(row.outside_episode, row.last_fix_at),
                )
        self._by_person = fresh
        return len(fresh)
