"""Async engines, the per-service database, and readiness."""

from __future__ import annotations

from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pool_pre_ping so a PostgreSQL restart costs one failed checkout, not a dead pool.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)


def asyncpg_params(url: str, **overrides: Any) -> dict[str, Any]:
    """`asyncpg.connect`'s keywords for a SQLAlchemy URL, read as SQLAlchemy's own engine reads it:
    one host, or several (`?host=a:5432&host=b:5432&target_session_attrs=read-write`), so the
    outbox's listener and the console's feed find the same primary as the pool does after a
    failover (docs/operations.md, "PostgreSQL with a standby")."""
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    _, params = PGDialect_asyncpg().create_connect_args(parsed)  # type: ignore[no-untyped-call]
    params.setdefault("database", "postgres")
    return {**params, **overrides}


async def _maintenance(maintenance_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**asyncpg_params(maintenance_url, timeout=10))


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
