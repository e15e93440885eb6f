"""Run a service's Alembic migrations at start, on the service's own async engine.

Replicas starting together serialise on an advisory lock, so a migration runs once.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_MIGRATION_LOCK = 0x5350_0001  # "SP" + 1: one lock id for schema changes in any service database


def alembic_config(migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    return cfg


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path) -> None:
    cfg = alembic_config(migrations_dir)

    def _run(sync_conn: Connection) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        await conn.run_sync(_run)
