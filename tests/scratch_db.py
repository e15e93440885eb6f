"""A database of a test's own on the stack's PostgreSQL server."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import plumbing
from shared.db.engine import ensure_database, make_engine


async def scratch_database(stack, name: str, *metadatas) -> AsyncEngine:
    """A database of the test's own on the stack's server, with the platform's plumbing tables
    (outbox, inbox) and the test's own tables."""
    await ensure_database(stack.database_url, name)
    engine = make_engine(make_url(stack.database_url).set(database=name).render_as_string(hide_password=False))
    async with engine.begin() as conn:
        for md in (plumbing.metadata, *metadatas):
            await conn.run_sync(md.create_all)
    return engine
