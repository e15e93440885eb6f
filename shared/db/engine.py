"""Async engines, the per-service database, and readiness."""

from __future__ import annotations

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pool_pre_ping so a PostgreSQL restart costs one failed checkout, not a dead pool.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)


async def _maintenance(maintenance_url: str) -> asyncpg.Connection:
    url = make_url(maintenance_url)
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=10,
    )


async def drop_database(maintenance_url: str, database: str) -> None:
    """Drop `database` if it exists, whoever is still connected (scratch databases)."""
    conn = await _maintenance(maintenance_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_database(maintenance_url: str, database: str) -> bool:
    """Create `database` on the server if missing; return True if it was created."""
    conn = await _maintenance(maintenance_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # a replica created it at the same moment
        return True
    finally:
        await conn.close()


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False
