"""Many rows in one statement: `INSERT … SELECT FROM json_to_recordset(:rows)`.

A batch of rows goes to PostgreSQL as one JSON document (orjson writes UUIDs, datetimes,
tuples and dicts natively): one statement, one round trip, parsed and planned once, and no
per-row parameter processing in SQLAlchemy (`executemany`) or per-element type checks in
asyncpg's array encoder. On supervision's fix path those cost more CPU than judging the fixes
(docs/performance.md, section 4; measured there against both).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

_DIALECT = pg.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it untyped


def _json_default(value: Any) -> str:
    """Datetimes as UTC: PostgreSQL refuses a UTC offset beyond ±15:59 in text, which Python
    (and so a device's fix or check-in) allows up to ±23:59; asyncpg's binary encoding had sent
    the instant, and so does this. And the UUIDs orjson does not take by itself."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):  # asyncpg reads them back as a subclass, which orjson refuses
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class BulkInsert:
    """An INSERT (or upsert) of `columns` of `table`, for any number of rows, as one statement."""

    def __init__(
        self,
        table: sa.Table,
        columns: Sequence[str],
        *,
        conflict: Sequence[str] = (),
        update: Mapping[str, str] | Iterable[str] = (),
        where: str | None = None,
        returning: Sequence[str] = (),
    ) -> None:
        self.columns = tuple(columns)
        shape = ", ".join(f"{c} {table.c[c].type.compile(dialect=_DIALECT)}" for c in self.columns)
        names = ", ".join(self.columns)
        sql = (
            f"INSERT INTO {table.name} ({names}) SELECT {names} "
            f"FROM json_to_recordset(CAST(:rows AS json)) AS r({shape})"
        )
        if conflict:
            assignments = dict(update) if isinstance(update, Mapping) else {c: f"excluded.{c}" for c in update}
            action = (
                "DO UPDATE SET " + ", ".join(f"{c} = {expr}" for c, expr in assignments.items())
                if assignments
                else "DO NOTHING"
            )
            sql += f" ON CONFLICT ({', '.join(conflict)}) {action}"
            if where and assignments:
                sql += f" WHERE {where}"
        if returning:  # the rows written (an upsert's skipped rows are not among them)
            sql += f" RETURNING {', '.join(returning)}"
        self.statement = sa.text(sql)

    def parameters(self, rows: Sequence[Sequence[Any]]) -> dict[str, str]:
        """Rows (tuples in `columns` order) as the statement's one parameter."""
        width = len(self.columns)
        if any(len(r) != width for r in rows):
            widths = sorted({len(r) for r in rows})
            raise ValueError(
                f"rows have {' or '.join(map(str, widths))} values, expected {width}: {', '.join(self.columns)}"
            )
        return {
            "rows": orjson.dumps(
                [dict(zip(self.columns, r)) for r in rows],
                default=_json_default,
                option=orjson.OPT_PASSTHROUGH_DATETIME,
            ).decode()
        }

    async def execute(self, conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await conn.execute(self.statement, self.parameters(rows))

    async def returned(self, conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Execute, and answer the `returning` columns of the rows written."""
        if not rows:
            return []
        return list(await conn.execute(self.statement, self.parameters(rows)))
