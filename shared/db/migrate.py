"""Run a service's Alembic migrations at start, on the service's own async engine.

Replicas starting together serialise on an advisory lock, so a migration runs once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import ensure_database, make_engine

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

_MIGRATION_LOCK = 0x5350_0001  # "SP" + 1: one lock id for schema changes in any service database
_ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


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


async def prepare_database(settings: ServiceSettings, migrations_dir: Path, engine: AsyncEngine) -> None:
    """The service's database, at the head of its migrations, before the service uses it.

    With SPS_MIGRATION_DATABASE_URL the migrations run as that role (the owner), which then grants
    the service's own role (DATABASE_URL's) the rows of every table and nothing more: the running
    service cannot change its schema (docs/security.md, M2).
    """
    database = make_url(settings.service_database_url).database or settings.service_name
    await ensure_database(settings.migration_maintenance_url, database)
    owner_url = settings.service_migration_database_url
    if owner_url is None:
        await upgrade_to_head(engine, migrations_dir)
        return
    owner = make_engine(owner_url, pool_size=1)
    try:
        await upgrade_to_head(owner, migrations_dir)
        runtime = make_url(settings.database_url).username
        if runtime and runtime != make_url(owner_url).username:
            await grant_rows(owner, runtime)
    finally:
        await owner.dispose()


# What the runtime role lacks, object by object: a GRANT changes the catalogue row of each object
# it names, and waits behind every transaction that has the object open, so a replica starting
# beside running ones grants only what is new (usually nothing) instead of re-granting it all.
_LACKING = sa.text(
    """
    SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND (
        (c.relkind IN ('r', 'p', 'v', 'm') AND NOT (
            has_table_privilege(:role, c.oid, 'SELECT') AND has_table_privilege(:role, c.oid, 'INSERT')
            AND has_table_privilege(:role, c.oid, 'UPDATE') AND has_table_privilege(:role, c.oid, 'DELETE')))
        OR (c.relkind = 'S' AND NOT (
            has_sequence_privilege(:role, c.oid, 'USAGE') AND has_sequence_privilege(:role, c.oid, 'UPDATE'))))
    """
)


async def grant_rows(owner: AsyncEngine, role: str) -> None:
    """Let `role` read and write the rows of every table (and use the sequences) in the schema."""
    if not _ROLE.fullmatch(role):
        raise ValueError(f"not a plain role name: {role!r}")
    async with owner.begin() as conn:
        # Under the migrations' lock: two replicas starting at once would otherwise both find the
        # same grants lacking, and the second GRANT on an object fails ("tuple concurrently updated").
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        if not await conn.scalar(sa.text("SELECT has_schema_privilege(:role, 'public', 'USAGE')"), {"role": role}):
            await conn.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        for kind, name in (await conn.execute(_LACKING, {"role": role})).all():
            quoted = '"' + name.replace('"', '""') + '"'
            if kind == "S":
                await conn.execute(sa.text(f'GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.{quoted} TO "{role}"'))
            else:
                await conn.execute(
                    sa.text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.{quoted} TO "{role}"')
                )
