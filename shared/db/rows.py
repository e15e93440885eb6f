"""One row by its key: insert it once, read it locked, update it; and a row as plain JSON-ready
values. The shape most staff steps share, in every service's store."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection


def key_of(table: sa.Table) -> sa.Column[Any]:
    """The table's one key column (these helpers are for tables with one)."""
    (column,) = table.primary_key.columns
    return column


async def insert_once(conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless its key is taken; True if this call inserted it (a redelivery of the
    same step keeps nothing twice)."""
    done = await conn.execute(_inserting_once(table), dict(values))
    return done.first() is not None


@functools.cache
def _inserting_once(table: sa.Table) -> Any:
    return insert(table).on_conflict_do_nothing().returning(key_of(table))


async def locked(conn: AsyncConnection, table: sa.Table, key: Any) -> dict[str, Any] | None:
    """One row by its key, locked for the step that reads it and then decides."""
    row = (await conn.execute(_locking(table), {"key": key})).mappings().first()
    return None if row is None else dict(row)


@functools.cache
def _locking(table: sa.Table) -> sa.Select[Any]:
    """Built once per table and executed with each key (shared/timers.py says why)."""
    return sa.select(table).where(key_of(table) == sa.bindparam("key")).with_for_update()


async def update_row(conn: AsyncConnection, table: sa.Table, key: Any, **values: Any) -> None:
    await conn.execute(sa.update(table).where(key_of(table) == key).values(**values))


def plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row with its UUIDs as strings, for an answer."""
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dict(row).items()}
