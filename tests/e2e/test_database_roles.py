"""M2 (docs/security.md): no service connects as a superuser. Each runs as a role that only reads
and writes the rows of its own database; the schema belongs to a migration role apart, and every
connection gives its role's password."""

from __future__ import annotations

import asyncpg
import pytest

from tools.devstack.pg_roles import SERVICES, database, migrator_role, runtime_role


async def _connect(stack, role: str, db: str, password: str | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1",
        port=stack.pg.port,
        user=role,
        password=stack.pg.passwords[role] if password is None else password,
        database=db,
        timeout=10,
    )


async def test_each_service_runs_as_a_role_of_its_own_that_cannot_change_the_schema(platform):
    for service in SERVICES:
        conn = await _connect(platform, runtime_role(service), database(service))
        try:
            row = await conn.fetchrow(
                "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
            )
            assert tuple(row) == (False, False, False), service
            # It reads and writes its rows: the service's own outbox is there and readable.
            assert await conn.fetchval("SELECT count(*) FROM outbox") >= 0
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE sneaked_in (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DROP TABLE outbox")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("ALTER TABLE outbox ADD COLUMN sneaked_in int")
        finally:
            await conn.close()
        owner = await _connect(platform, migrator_role(service), database(service))
        try:
            assert not await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            tables = await owner.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user"
            )
            assert tables == 0, f"{service}: every table belongs to the migration role"
        finally:
            await owner.close()


async def test_a_service_role_cannot_reach_another_services_database_or_connect_without_its_password(platform):
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _connect(platform, runtime_role("supervision"), database("exchange"))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await _connect(platform, runtime_role("supervision"), database("supervision"), password="guess")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await _connect(platform, "postgres", "postgres", password="")
