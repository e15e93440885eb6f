"""The migrations, run from nothing on the real PostgreSQL, build exactly the tables the code
declares (each service's `adapters/tables.py`, the outbox and inbox, the timers): a migration
that drifts from the code, or code that drifts from the migrations, fails here."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from shared.db.engine import ensure_database, make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.plumbing import metadata as plumbing
from shared.paths import REPO_ROOT
from shared.timers import metadata as timer_tables

SERVICES = ["alerting", "command_centre", "exchange", "handover", "risk", "supervision"]


def declared(service: str, with_timers: bool) -> sa.MetaData:
    tables = importlib.import_module(f"services.{service}.adapters.tables")
    combined = sa.MetaData()
    for source in (tables.metadata, plumbing, *([timer_tables] if with_timers else [])):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migration_head_builds_the_declared_tables(stack, service):
    name = f"schema_{service}_{uuid.uuid4().hex[:6]}"
    await ensure_database(stack.database_url, name)
    engine = make_engine(make_url(stack.database_url).set(database=name).render_as_string(hide_password=False))
    try:
        await upgrade_to_head(engine, Path(REPO_ROOT, "services", service, "adapters", "migrations"))
        async with engine.connect() as conn:
            has_timers = await conn.scalar(sa.text("SELECT to_regclass('timers') IS NOT NULL"))
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), declared(service, has_timers)
                )
            )
        assert diffs == [], f"{service}: the migrations and adapters/tables.py differ: {diffs}"
    finally:
        await engine.dispose()
