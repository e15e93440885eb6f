"""Two replicas of a service start at once (`make up CLUSTER=3` starts two of supervision and
alerting): both find the runtime role's grants lacking. Granting them must not fail in one of
them (PostgreSQL refuses a second concurrent GRANT on an object: "tuple concurrently updated"),
which stalled that replica's start for good."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from shared.db.migrate import grant_rows
from tests.scratch_db import scratch_database

TABLES = 40


async def test_replicas_granting_the_same_role_at_once_all_succeed(stack):
    engine = await scratch_database(stack, "sps_test_grants_race")
    role = f"grants_race_{uuid.uuid4().hex[:8]}"
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE ROLE "{role}"'))
            for i in range(TABLES):
                await conn.execute(sa.text(f"CREATE TABLE race_{i} (id serial primary key)"))
        results = await asyncio.gather(*(grant_rows(engine, role) for _ in range(4)), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        async with engine.connect() as conn:
            lacking = await conn.scalar(
                sa.text(
                    "select count(*) from pg_tables where schemaname = 'public' and tablename like 'race_%' "
                    "and not has_table_privilege(:r, 'public.' || tablename, 'INSERT')"
                ),
                {"r": role},
            )
        assert lacking == 0
    finally:
        async with engine.begin() as conn:
            for i in range(TABLES):
                await conn.execute(sa.text(f"DROP TABLE IF EXISTS race_{i}"))
            await conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            await conn.execute(sa.text(f'DROP ROLE "{role}"'))
        await engine.dispose()
