"""Supervision's in-memory case directory against the real PostgreSQL: a reload takes the
database's truth (state, leaves, closed and new cases) while keeping the views it holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.supervision.adapters import cases as directory_module
from services.supervision.adapters.cases import NO_ZONE_STATE, CaseDirectory
from services.supervision.adapters.tables import cases, leaves, metadata, zone_state
from services.supervision.domain.geo import county_area, projection_for
from shared.geography import load_geography
from shared.paths import POLICY_DIR
from tests.scratch_db import scratch_database

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.2, 31.8], [120.3, 31.8], [120.3, 31.9], [120.2, 31.9], [120.2, 31.8]]],
}


@pytest.fixture(scope="module")
async def engine(stack):
    e = await scratch_database(stack, "sps_test_case_directory", metadata)
    yield e
    await e.dispose()


def directory() -> CaseDirectory:
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    return CaseDirectory(county_area(geography, projection), projection)


def case_row(person: uuid.UUID, office: str, **extra) -> dict:
    return {
        "case_id": uuid.uuid4(),
        "person_id": person,
        "kind": "community_correction",
        "status": "under_supervision",
        "jurisdiction": office,
        "source_ref": f"test:{uuid.uuid4()}",
        "person_masked": {},
        "permitted_area": None,
        "exclusion_zones": [],
        **extra,
    }


async def test_a_reload_takes_the_databases_truth_and_keeps_the_views_it_holds(engine, monkeypatch):
    monkeypatch.setattr(directory_module, "LOAD_CHUNK", 7)  # several chunks, and one part-filled
    persons = [uuid.uuid4() for _ in range(30)]
    rows = [case_row(p, "澄江街道" if i % 2 else "南闸街道") for i, p in enumerate(persons)]
    rows[0]["permitted_area"] = SQUARE
    rows[1]["exclusion_zones"] = [{"name": "学校", "polygon": SQUARE}]
    fixed_at = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(sa.delete(cases))
        await conn.execute(sa.delete(zone_state))
        await conn.execute(sa.insert(cases), rows)
        await conn.execute(
            sa.insert(zone_state).values(
                person_id=persons[2], last_fix_at=fixed_at, last_outside=True, in_zones=["学校"]
            )
        )
        episode = uuid.uuid4()
        await conn.execute(
            sa.insert(zone_state).values(
                person_id=persons[8], outside_episode=episode, last_fix_at=fixed_at, last_outside=True
            )
        )
    d = directory()
    assert await d.load(engine) == 30
    first = {p: d.get(p) for p in persons}
    assert first[persons[0]].permitted is not d.county and first[persons[3]].permitted is d.county
    assert [a.name for a in first[persons[1]].exclusions] == ["学校"]
    assert first[persons[2]].zone.last_fix_at == fixed_at and first[persons[2]].zone.in_zones == ("学校",)
    assert first[persons[2]].watchdogs_armed_at == fixed_at == first[persons[2]].track_at
    assert first[persons[3]].zone is NO_ZONE_STATE
    # A plain uuid.UUID, not asyncpg's subclass: the next checkpoint writes it back (orjson).
    assert type(first[persons[8]].zone.outside_episode) is uuid.UUID
    assert first[persons[8]].zone.outside_episode == episode
    assert first[persons[4]].jurisdiction is first[persons[6]].jurisdiction  # one string per office

    # Meanwhile (another replica, a staff step): a fix moved on, a leave, one case closed, one new.
    later, newcomer = fixed_at + timedelta(hours=1), uuid.uuid4()
    leave_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(zone_state)
            .where(zone_state.c.person_id == persons[2])
            .values(last_fix_at=later, last_outside=False, in_zones=[])
        )
        await conn.execute(sa.update(cases).where(cases.c.person_id == persons[5]).values(status="closed"))
        await conn.execute(sa.insert(cases).values(case_row(newcomer, "云亭街道")))
        await conn.execute(
            sa.insert(leaves).values(
                leave_id=leave_id,
                person_id=persons[7],
                case_id=rows[7]["case_id"],
                starts_at=datetime.now(UTC),
                ends_at=datetime.now(UTC) + timedelta(days=2),
                destination="苏州",
                reason="探亲",
                approved_by="t",
                approval_level="office",
            )
        )
    first[persons[9]].battery_low = True
    assert await d.load(engine) == 30
    assert all(d.get(p) is first[p] for p in persons if p != persons[5])  # the same objects, refreshed
    assert d.get(persons[5]) is None and d.get(newcomer) is not None
    assert d.get(persons[2]).zone.last_fix_at == later and d.get(persons[2]).zone.in_zones == ()
    assert [lv.leave_id for lv in d.get(persons[7]).leaves] == [leave_id]
    assert d.get(persons[9]).battery_low is False  # not persisted: the next fix tells again
    await d.load(engine)
    assert len(d.get(persons[7]).leaves) == 1  # a leave is not added twice by a second reload
