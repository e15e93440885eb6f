"""Durable timers: deadlines that survive restarts, fire once, and catch up after downtime.

A timer is a row (unique `key`, `kind`, `due_at`, `payload`). The loop claims due rows with
`FOR UPDATE SKIP LOCKED`, runs the kind's handler in the same transaction as marking the row
fired, and commits: so a timer's effects (state, outbox events) happen exactly once, replicas
never take the same row, and a crash before the commit leaves the timer due for the next try.
Never a sleeping coroutine per deadline.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.bulk import BulkInsert
from shared.db.uow import UnitOfWork
from shared.kafka.consumer import is_transient
from shared.logging import get_logger

log = get_logger(__name__)
metadata = sa.MetaData()

timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", pg.JSONB, nullable=False, server_default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("fired_at", sa.DateTime(timezone=True)),
    sa.Column("fire_id", pg.UUID(as_uuid=True)),  # the run that fired it, for tracing
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
)
sa.Index("timers_due", timers.c.due_at, postgresql_where=timers.c.fired_at.is_(None))


@dataclass(frozen=True, slots=True)
class Timer:
    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Postpone:
    """A handler's answer: not due after all (a watchdog armed lazily); fire at `until` instead."""

    until: datetime


TimerHandler = Callable[[Timer, UnitOfWork], Awaitable["Postpone | None"]]


@dataclass(frozen=True, slots=True)
class Shards:
    """Timers that only the replica owning their partition may fire: their payload names the
    partition (`shard`), and `owned()` answers the partitions this replica owns and has caught up
    on. A watchdog reads the owner's in-memory state, so another replica must not fire it. A row of
    such a kind with no `shard` (armed before sharding) is fired by any replica."""

    kinds: frozenset[str]
    owned: Callable[[], Collection[int]]


# Built once, executed with each call's values: a statement built per call costs SQLAlchemy a new
# cache key each time (about 250 µs of CPU on a slow machine; docs/performance.md, "Ingest").
_SCHEDULE = insert(timers).on_conflict_do_nothing(index_elements=["key"]).returning(timers.c.id)
_CANCEL = sa.delete(timers).where(timers.c.key == sa.bindparam("key"), timers.c.fired_at.is_(None))


def _rearm(*, only_fired: bool) -> Any:
    stmt = insert(timers)
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"due_at": stmt.excluded.due_at, "payload": stmt.excluded.payload, "fired_at": None, "attempts": 0},
        where=timers.c.fired_at.isnot(None) if only_fired else None,
    )


_ARM, _MOVE = _rearm(only_fired=True), _rearm(only_fired=False)


async def schedule(
    uow: UnitOfWork, key: str, kind: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> bool:
    """Schedule once per key (a second schedule of the same key is a no-op). True if new."""
    values = {"key": key, "kind": kind, "due_at": due_at, "payload": payload or {}}
    return (await uow.conn.execute(_SCHEDULE, values)).scalar() is not None


# One statement, one round trip and one array per column, whatever the batch size
# (shared/db/bulk.py; docs/performance.md, sections 1 and 4).
_PUSH_BACK = BulkInsert(
    timers,
    ("key", "kind", "due_at", "payload"),
    conflict=("key",),
    update={"due_at": "excluded.due_at", "payload": "excluded.payload", "fired_at": "NULL", "attempts": "0"},
    where="timers.due_at < excluded.due_at",
)


async def push_back_many(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Watchdog deadlines (`key`, `kind`, `due_at`, `payload`): each moves on, never back, and one
    that already fired is armed again. For 'no sign of life for a window' rules."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # one statement may touch a row once: the latest deadline per key wins
        if (seen := latest.get(row["key"])) is None or seen["due_at"] < row["due_at"]:
            latest[row["key"]] = row
    await _PUSH_BACK.execute(uow.conn, [(r["key"], r["kind"], r["due_at"], r["payload"]) for r in latest.values()])


async def arm(uow: UnitOfWork, key: str, kind: str, due_at: datetime, payload: dict[str, Any] | None = None) -> None:
    """Arm `key` at `due_at` unless it is armed already; one that fired before is armed again.
    For deadlines that recur per key (an unarmed key is like a fresh one)."""
    await uow.conn.execute(_ARM, {"key": key, "kind": kind, "due_at": due_at, "payload": payload or {}})


async def move(uow: UnitOfWork, key: str, kind: str, due_at: datetime, payload: dict[str, Any] | None = None) -> None:
    """`key`'s one deadline, moved to `due_at` whatever it was (armed again if it had fired)."""
    await uow.conn.execute(_MOVE, {"key": key, "kind": kind, "due_at": due_at, "payload": payload or {}})


async def cancel(uow: UnitOfWork, key: str) -> bool:
    result = await uow.conn.execute(_CANCEL, {"key": key})
    return result.rowcount > 0


async def cancel_prefix(uow: UnitOfWork, prefix: str) -> int:
    """Cancel every unfired timer whose key starts with `prefix`."""
    result = await uow.conn.execute(
        sa.delete(timers).where(timers.c.key.startswith(prefix, autoescape=True), timers.c.fired_at.is_(None))
    )
    return result.rowcount


class TimerLoop:
    def __init__(
        self,
        engine: AsyncEngine,
        notify_channel: str,
        handlers: dict[str, TimerHandler],
        *,
        poll_interval_s: float = 1.0,
        batch: int = 100,
        service: str | None = None,
        shards: Shards | None = None,
    ) -> None:
        self._engine = engine
        self._shards = shards
        self._service = service
        self._channel = notify_channel
        self._handlers = handlers
        self._poll = poll_interval_s
        self._batch = batch
        self.fired = 0
        self.last_tick: datetime | None = None

    async def run(self) -> None:
        while True:
            try:
                fired = await self.fire_due()
                self.last_tick = datetime.now(UTC)
                if fired < self._batch:
                    await asyncio.sleep(self._poll)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: try again; due timers wait, they are not lost
                log.warning("timer loop interrupted", error=repr(exc))
                await asyncio.sleep(min(5.0, self._poll * 2))

    async def fire_due(self) -> int:
        """Fire what is due now, one timer per transaction; return how many fired."""
        fired = 0
        for _ in range(self._batch):
            outcome = await self._fire_one()
            if outcome is None:
                break
            fired += outcome
        self.fired += fired
        return fired

    def _mine(self) -> list[sa.ColumnElement[bool]]:
        """The claim's filter: a sharded kind only on the partitions this replica owns."""
        if self._shards is None:
            return []
        owned = sorted(self._shards.owned())
        return [
            sa.or_(
                timers.c.kind.not_in(sorted(self._shards.kinds)),
                sa.not_(timers.c.payload.has_key("shard")),
                timers.c.payload["shard"].as_integer().in_(owned),
            )
        ]

    async def _fire_one(self) -> int | None:
        """1 fired, 0 failed (retried later), None if nothing is due."""
        failed: tuple[int, str, int] | None = None
        try:
            async with UnitOfWork(self._engine, self._channel, service=self._service) as uow:
                row = (
                    await uow.conn.execute(
                        sa.select(
                            timers.c.id,
                            timers.c.key,
                            timers.c.kind,
                            timers.c.due_at,
                            timers.c.payload,
                            timers.c.attempts,
                        )
                        .where(timers.c.fired_at.is_(None), timers.c.due_at <= sa.func.now(), *self._mine())
                        .order_by(timers.c.due_at)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if row is None:
                    return None
                handler = self._handlers.get(row.kind)
                try:
                    if handler is None:
                        raise LookupError(f"no handler for timer kind {row.kind!r}")
                    async with uow.conn.begin_nested():  # the handler's work, undone alone on failure
                        outcome = await handler(Timer(row.key, row.kind, row.due_at, row.payload), uow)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    failed = (row.id, repr(exc), row.attempts)
                    uow.discard_outbox()
                    await uow.conn.execute(
                        sa.update(timers)
                        .where(timers.c.id == row.id)
                        .values(
                            attempts=timers.c.attempts + 1,
                            last_error=repr(exc)[:2000],
                            due_at=sa.func.now()
                            + sa.func.make_interval(0, 0, 0, 0, 0, 0, min(300, 2 ** min(row.attempts, 8))),
                        )
                    )
                    return 0
                if isinstance(outcome, Postpone):
                    await uow.conn.execute(sa.update(timers).where(timers.c.id == row.id).values(due_at=outcome.until))
                    return 1
                await uow.conn.execute(
                    sa.update(timers).where(timers.c.id == row.id).values(fired_at=sa.func.now(), fire_id=uuid.uuid4())
                )
                return 1
        finally:
            if failed:
                log.error(
                    "timer handler failed; retrying later", timer_id=failed[0], error=failed[1], attempts=failed[2] + 1
                )
