"""Database roles per service (docs/security.md, M2): no service connects as a superuser.

Each service has two roles on its own database `sps_<service>`:
- `sps_<service>_migrator` owns the database and its schema and runs the migrations;
- `sps_<service>` is what the running service connects as: it reads and writes rows, and the
  migrator grants it exactly that after each migration (shared/db/migrate.py). It cannot change
  the schema, and it cannot connect to another service's database.

`postgres_script` and `schema_script` are the SQL (psql scripts, idempotent), run by the
devstack on the embedded server and by docker-compose's database init script
(deploy/postgres/compose_roles.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from shared.platform import SERVICES
from tools.devstack.private_files import kept_secrets


def database(service: str) -> str:
    return f"sps_{service}"


def runtime_role(service: str) -> str:
    return f"sps_{service}"


def migrator_role(service: str) -> str:
    return f"sps_{service}_migrator"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def role_statements(service: str, runtime_password: str, migrator_password: str) -> list[str]:
    """On the `postgres` database, as a superuser: the two roles, with these passwords."""
    out = []
    for role, password in ((migrator_role(service), migrator_password), (runtime_role(service), runtime_password)):
        out.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) "
            f'THEN CREATE ROLE "{role}" LOGIN; END IF; END $$'
        )
        out.append(
            f'ALTER ROLE "{role}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
            f"PASSWORD {_literal(password)}"
        )
    return out


def database_statements(service: str) -> list[str]:
    """On the `postgres` database: the database unless it exists (psql's `\\gexec` runs the
    statement the query makes), who owns it and who may connect."""
    db, migrator, runtime = database(service), migrator_role(service), runtime_role(service)
    return [
        f"SELECT format('CREATE DATABASE %I OWNER %I', {_literal(db)}, {_literal(migrator)}) "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {_literal(db)}) \\gexec",
        f'ALTER DATABASE "{db}" OWNER TO "{migrator}"',
        f'REVOKE ALL ON DATABASE "{db}" FROM PUBLIC',
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{db}" TO "{runtime}"',
    ]


def schema_statements(service: str) -> list[str]:
    """On the service's database: the migrator owns the schema and every object in it (objects a
    superuser made before the roles existed are handed over)."""
    migrator = migrator_role(service)
    return [
        f'ALTER SCHEMA public OWNER TO "{migrator}"',
        f"""DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
             AND pg_get_userbyid(c.relowner) <> {_literal(migrator)} LOOP
    EXECUTE format(CASE r.relkind WHEN 'v' THEN 'ALTER VIEW public.%I OWNER TO %I'
                                  WHEN 'm' THEN 'ALTER MATERIALIZED VIEW public.%I OWNER TO %I'
                                  ELSE 'ALTER TABLE public.%I OWNER TO %I' END, r.relname, {_literal(migrator)});
  END LOOP;
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'S'
             AND pg_get_userbyid(c.relowner) <> {_literal(migrator)}
             AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
    EXECUTE format('ALTER SEQUENCE public.%I OWNER TO %I', r.relname, {_literal(migrator)});
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
             AND pg_get_userbyid(t.typowner) <> {_literal(migrator)} LOOP
    EXECUTE format('ALTER TYPE public.%I OWNER TO %I', r.typname, {_literal(migrator)});
  END LOOP;
END $$""",
    ]


def _script(statements: list[str]) -> str:
    """Statements as psql reads them: each ends with `;`, or is a line of its own before `\\gexec`."""
    return "".join(s + ("\n" if s.endswith("\\gexec") else ";\n") for s in statements)


def postgres_script(service: str, runtime_password: str, migrator_password: str) -> str:
    """The service's two roles and its database, run on the `postgres` database as a superuser."""
    return _script(role_statements(service, runtime_password, migrator_password) + database_statements(service))


def schema_script(service: str) -> str:
    """Run on the service's own database, as a superuser."""
    return _script(schema_statements(service))


@dataclass
class RolePasswords:
    """The roles' passwords, made at random once and kept beside the data (mode 0600)."""

    path: Path

    def __post_init__(self) -> None:
        wanted = ["postgres", *(r for s in SERVICES for r in (runtime_role(s), migrator_role(s)))]
        self.passwords = kept_secrets(self.path, wanted, lambda: secrets.token_urlsafe(24))

    def __getitem__(self, role: str) -> str:
        return self.passwords[role]
