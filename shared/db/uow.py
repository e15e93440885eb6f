"""Unit of work: one database transaction, the events it emits (outbox) and what it consumed (inbox).

State change and outgoing events commit together or not at all; the outbox relay publishes
them afterwards. Hooks registered with `after_commit` run only once the commit succeeded,
so in-memory caches never run ahead of the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.plumbing import outbox
from shared.envelope import IncomingEvent, OutgoingEvent, encode, event_headers
from shared.events import EventData, build_event
from shared.topics import dlq

# One array parameter, so one cached statement whatever the batch size.
_CLAIM = sa.text(
    "INSERT INTO inbox (event_id, topic) SELECT unnest(CAST(:ids AS uuid[])), :topic "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
).columns(event_id=pg.UUID(as_uuid=True))


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, notify_channel: str, *, service: str | None = None) -> None:
        self._engine = engine
        self._channel = notify_channel
        # The CloudEvents `source` of everything this service publishes (`/sps/<service>`).
        self.service = service
        self.source = f"/sps/{service}" if service else None
        self._conn: AsyncConnection | None = None
        self._pending: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self._before_commit: dict[str, Callable[[], Awaitable[None]]] = {}
        # Per-transaction working state for handlers (e.g. state staged by an earlier event
        # of the same batch, not yet committed).
        self.scratch: dict[str, Any] = {}

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "use `async with uow:`"
        return self._conn

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self._pending, self._after_commit, self._after_rollback = [], [], []
        self._before_commit = {}
        self.scratch = {}
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn = self._conn
        assert conn is not None
        try:
            if exc_type is None:
                for flush in list(self._before_commit.values()):
                    await flush()  # handlers' batched writes, on this transaction
                await self._flush_outbox(conn)
                await conn.commit()
            else:
                await conn.rollback()
        except BaseException:
            await _safe_rollback(conn)
            try:
                self._run(self._after_rollback)
            finally:
                self._forget()
            raise
        finally:
            self._conn = None
            await conn.close()
        try:
            self._run(self._after_commit if exc_type is None else self._after_rollback)
        finally:
            self._forget()

    def _forget(self) -> None:
        # Handlers' hooks close over this unit of work (`before_commit(lambda: flush(uow))`), a
        # reference cycle that only the cyclic GC could free, together with everything the
        # scratch holds: a poll's worth of events. Dropping them lets reference counting free
        # it all at once (docs/performance.md, section 4).
        self._pending, self._after_commit, self._after_rollback = [], [], []
        self._before_commit, self.scratch = {}, {}

    def publish(
        self,
        data: EventData,
        *,
        subject: uuid.UUID | str | None,
        cause: IncomingEvent | None = None,
        time: datetime | None = None,
        type: str | None = None,
        key: str | None = None,
        id: uuid.UUID | None = None,
    ) -> OutgoingEvent:
        """Queue `data` as an event, written to the outbox in this transaction.

        The type and topic come from the event registry by the data's class (`type` picks one
        where a class has several); the source is this service; the key is the subject (a
        person's id keeps that person's events in order). `cause` carries the correlation on.
        """
        if self.source is None:
            raise RuntimeError("this unit of work has no service: make it with service=<name>")
        topic, event = build_event(data, self.source, subject=subject, type=type, id=id, cause=cause, time=time)
        self.emit(topic, event, key)
        return event

    def emit(self, topic: str, event: OutgoingEvent, key: str | None = None) -> None:
        """Queue an already built event for the outbox (the gateway's ingest, whose ids are the
        agencies' own numbers); everything else publishes with `publish`."""
        self._pending.append(
            {
                "event_id": event.id,
                "topic": topic,
                "key": key or event.subject,
                "value": encode(event),
                "headers": [[k, v.decode()] for k, v in event_headers(event)],
            }
        )

    def dead_letter(self, topic: str, event: IncomingEvent, reason: str) -> None:
        """Queue an incoming event for `topic`'s dead-letter topic with the reason (header
        `sps-error`, as the consumer runner writes it), for a record whose fate is decided later
        than its handling (a fix parked until its case opens)."""
        self._pending.append(
            {
                "event_id": event.id,
                "topic": dlq(topic),
                "key": event.subject,
                "value": encode(event),
                "headers": [[k, v.decode()] for k, v in event_headers(event)]
                + [["sps-error", reason], ["sps-original-topic", topic]],
            }
        )

    def before_commit(self, name: str, fn: Callable[[], Awaitable[None]]) -> None:
        """Run `fn` once just before the commit (registering the same name again keeps one).

        For work that batches over the whole transaction, such as one upsert for all the
        state a batch of events changed.
        """
        self._before_commit.setdefault(name, fn)

    def discard_outbox(self) -> None:
        """Forget events queued so far (their cause was rolled back to a savepoint)."""
        self._pending = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after_commit.append(fn)

    def after_rollback(self, fn: Callable[[], None]) -> None:
        self._after_rollback.append(fn)

    async def claim(self, topic: str, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Record these events as processed; return those not seen before (the inbox).

        A redelivered id is returned nowhere, so its handler never runs a second time.
        """
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return set()
        return set((await self.conn.execute(_CLAIM, {"ids": ids, "topic": topic})).scalars())

    async def _flush_outbox(self, conn: AsyncConnection) -> None:
        if not self._pending:
            return
        await conn.execute(insert(outbox).on_conflict_do_nothing(index_elements=["event_id"]), self._pending)
        await conn.execute(sa.select(sa.func.pg_notify(self._channel, "")))
        self._pending = []

    @staticmethod
    def _run(hooks: list[Callable[[], None]]) -> None:
        for hook in hooks:
            hook()


async def _safe_rollback(conn: AsyncConnection) -> None:
    try:
        await conn.rollback()
    except Exception:
        pass
