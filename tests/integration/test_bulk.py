"""Many rows in one statement (shared/db/bulk.py) against the real PostgreSQL: every column kind
the services use round-trips, upserts update, and watchdog deadlines only move on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.db.bulk import BulkInsert
from shared.db.uow import UnitOfWork
from shared.timers import metadata as timer_md
from shared.timers import push_back_many, timers
from tests.scratch_db import scratch_database

md = sa.MetaData()
things = sa.Table(
    "bulk_things",
    md,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("tags", pg.ARRAY(sa.Text), nullable=False),
    sa.Column("doc", pg.JSONB, nullable=False),
    sa.Column("x", sa.Float),
    sa.Column("note", sa.Text),
)
UPSERT = BulkInsert(
    things,
    ("id", "at", "flag", "tags", "doc", "x", "note"),
    conflict=("id",),
    update=("at", "flag", "tags", "doc", "x"),
)


@pytest.fixture(scope="module")
async def engine(stack):
    e = await scratch_database(stack, "sps_test_bulk", md, timer_md)
    yield e
    await e.dispose()


async def test_every_column_kind_round_trips_and_upserts_update(engine):
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        (
            uuid.uuid4(),
            now + timedelta(seconds=i),
            i % 2 == 0,
            () if i == 0 else ("学校", "a,b", 'quote"d', "{brace}")[:i],
            {"n": i, "名": "测试"},
            None if i == 1 else i / 3,
            "kept",
        )
        for i in range(5)
    ]
    async with engine.begin() as conn:
        await UPSERT.execute(conn, rows)
        got = {r.id: r for r in (await conn.execute(sa.select(things).where(things.c.id.in_([r[0] for r in rows]))))}
    assert len(got) == 5
    for row in rows:
        stored = got[row[0]]
        assert (stored.at, stored.flag, tuple(stored.tags), stored.doc, stored.x, stored.note) == row[1:]
    changed = [(rows[0][0], now, False, ("after",), {"n": -1}, 9.5, "ignored")]
    async with engine.begin() as conn:
        await UPSERT.execute(conn, changed)
        await UPSERT.execute(conn, [])  # nothing to write is no statement, not an error
        stored = (await conn.execute(sa.select(things).where(things.c.id == rows[0][0]))).one()
    assert (stored.flag, stored.tags, stored.doc, stored.x, stored.note) == (False, ["after"], {"n": -1}, 9.5, "kept")


async def test_any_utc_offset_python_allows_is_written_as_its_instant(engine):
    """A device may stamp -18:59 (Python allows ±23:59, PostgreSQL's text input only ±15:59)."""
    from datetime import timezone

    odd = [
        datetime(137, 6, 29, 20, 42, 20, 585849, tzinfo=timezone(-timedelta(hours=18, minutes=59))),
        datetime(9248, 2, 2, 2, 3, 29, 32400, tzinfo=timezone(timedelta(hours=18, minutes=3))),
        datetime(2026, 11, 27, 8, 0, tzinfo=timezone(timedelta(hours=8))),
    ]
    rows = [(uuid.uuid4(), at, True, (), {}, None, None) for at in odd]
    async with engine.begin() as conn:
        await UPSERT.execute(conn, rows)
        stored = dict(
            (await conn.execute(sa.select(things.c.id, things.c.at).where(things.c.id.in_([r[0] for r in rows])))).all()
        )
    assert [stored[r[0]] for r in rows] == odd  # the same instants


async def test_nulls_and_utc_rows_written_by_orjson_itself_round_trip(engine):
    utc = BulkInsert(things, ("id", "at", "flag", "tags", "doc", "x", "note"), utc_datetimes=True)
    at = datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=UTC)
    rows = [(uuid.uuid4(), at, True, (), {}, None, None), (uuid.uuid4(), None, False, ["一", "二"], [1], 0.5, "n")]
    assert "_json_default" not in str(utc.parameters(rows)) and '"2026-11-28T01:02:03.456789+00:00"' in str(
        utc.parameters(rows)
    )
    async with engine.begin() as conn:
        await utc.execute(conn, rows)
        got = {r.id: r for r in await conn.execute(sa.select(things).where(things.c.id.in_([r[0] for r in rows])))}
    first, second = got[rows[0][0]], got[rows[1][0]]
    assert (first.at, first.tags, first.doc, first.x, first.note) == (at, [], {}, None, None)
    assert (second.at, second.tags, second.doc, second.x, second.note) == (None, ["一", "二"], [1], 0.5, "n")


async def test_a_uuid_read_back_from_postgresql_is_written_again(engine):
    """asyncpg reads a uuid column as its own subclass of uuid.UUID, which orjson refuses; the
    case directory holds such values (an outside episode) and a checkpoint writes them back."""
    first = (uuid.uuid4(), None, True, (), {}, None, None)
    async with engine.begin() as conn:
        await UPSERT.execute(conn, [first])
        read = (await conn.execute(sa.select(things.c.id).where(things.c.id == first[0]))).scalar_one()
        assert type(read) is not uuid.UUID  # else this test shows nothing
        await UPSERT.execute(conn, [(read, None, False, ("again",), {}, None, None)])
        stored = (await conn.execute(sa.select(things.c.flag, things.c.tags).where(things.c.id == read))).one()
    assert (stored.flag, stored.tags) == (False, ["again"])


def test_rows_of_the_wrong_width_are_refused_with_the_columns_named():
    with pytest.raises(ValueError, match=r"rows have 2 values, expected 7: id, at, flag"):
        UPSERT.parameters([(uuid.uuid4(), None)])
    with pytest.raises(ValueError, match=r"rows have 7 or 8 values, expected 7"):
        UPSERT.parameters([(1,) * 7, (1,) * 8])


async def test_watchdog_deadlines_move_on_never_back_and_rearm_after_firing(engine, stack):
    key, base = f"offline:{uuid.uuid4()}", datetime(2026, 1, 1, tzinfo=UTC)

    async def push(*dues: datetime) -> None:
        async with UnitOfWork(engine, "test_bulk") as uow:
            await push_back_many(
                uow, [{"key": key, "kind": "device.offline", "due_at": d, "payload": {"at": str(d)}} for d in dues]
            )

    async def stored():
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    sa.select(timers.c.due_at, timers.c.payload, timers.c.fired_at).where(timers.c.key == key)
                )
            ).one()

    await push(base + timedelta(hours=3), base + timedelta(hours=4), base + timedelta(hours=2))  # one key, thrice
    assert (await stored())[:2] == (base + timedelta(hours=4), {"at": str(base + timedelta(hours=4))})
    await push(base + timedelta(hours=1))  # earlier: ignored
    assert (await stored()).due_at == base + timedelta(hours=4)
    async with engine.begin() as conn:
        await conn.execute(sa.update(timers).where(timers.c.key == key).values(fired_at=base, attempts=2))
    await push(base + timedelta(hours=5))  # later than the one that fired: armed again
    assert tuple(await stored()) == (base + timedelta(hours=5), {"at": str(base + timedelta(hours=5))}, None)
