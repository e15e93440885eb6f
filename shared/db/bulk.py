"""Many rows in one statement: `INSERT … SELECT … FROM json_array_elements(:rows)`.

A batch of rows goes to PostgreSQL as one JSON document, each row an array in `columns` order
(orjson writes UUIDs, datetimes, tuples and dicts natively): one statement, one round trip,
parsed and planned once, and no per-row parameter processing in SQLAlchemy (`executemany`) or
per-element type checks in asyncpg's array encoder. On supervision's fix path those cost more
CPU than judging the fixes (docs/performance.md, section 4; measured there against both). Rows
as arrays rather than objects: no dictionary built per row, and half the document to parse.
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


def _element(index: int, kind: sa.types.TypeEngine[Any]) -> str:
    """Element `index` of the row array `r` as a value of the column's type; JSON null is NULL."""
    sql_type = kind.compile(dialect=_DIALECT)
    if isinstance(kind, sa.ARRAY):
        return (
            f"CASE WHEN json_typeof(r->{index}) = 'array' THEN CAST(ARRAY(SELECT e FROM "
            f"json_array_elements_text(r->{index}) WITH ORDINALITY AS a(e, n) ORDER BY n) AS {sql_type}) END"
        )
    if isinstance(kind, sa.JSON):
        return f"CASE WHEN json_typeof(r->{index}) <> 'null' THEN CAST(r->{index} AS {sql_type}) END"
    return f"CAST(r->>{index} AS {sql_type})"


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
        utc_datetimes: bool = False,
    ) -> None:
        """`utc_datetimes`: every datetime in the rows is on UTC already (supervision's fixes are
        made so as they are decoded), so orjson writes them itself; otherwise each goes through
        `_json_default` (about 0.8 µs a row of supervision's zone state). Either way a UUID of
        asyncpg's own subclass goes through it too."""
        self.columns = tuple(columns)
        self.utc_datetimes = utc_datetimes
        names = ", ".join(self.columns)
        values = ", ".join(_element(i, table.c[c].type) for i, c in enumerate(self.columns))
        sql = f"INSERT INTO {table.name} ({names}) SELECT {values} FROM json_array_elements(CAST(:rows AS json)) AS r"
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
        if self.utc_datetimes:  # orjson writes the datetimes; the hook sees only what it cannot write
            return {"rows": orjson.dumps(rows, default=_json_default).decode()}
        return {"rows": orjson.dumps(rows, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()}

    async def execute(self, conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await conn.execute(self.statement, self.parameters(rows))

    async def returned(self, conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Execute, and answer the `returning` columns of the rows written."""
        if not rows:
            return []
        return list(await conn.execute(self.statement, self.parameters(rows)))
