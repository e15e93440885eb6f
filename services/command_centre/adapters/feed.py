"""The live alert feed: every committed alert change, fanned out to SSE subscribers.

Rows come from `alert_changes` (seq = SSE event id); the feed wakes on LISTEN/NOTIFY with a
polling fallback, so every replica of the command centre sees every change in seq order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from shared.logging import get_logger
from shared.outbox import asyncpg_dsn

log = get_logger(__name__)
CHANNEL = "sps_alert_changes"


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    event_type: str
    jurisdiction: str
    data: str  # JSON text, sent as is


class AlertFeed:
    def __init__(self, database_url: str, poll_interval_s: float = 1.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._poll = poll_interval_s
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self._wake = asyncio.Event()
        self.head = 0
        self.ready = False

    def subscribe(self) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=10_000)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._subscribers.discard(queue)

    async def changes_after(self, seq: int, limit: int = 5000) -> list[Change]:
        conn = await asyncpg.connect(self._dsn, timeout=10)
        try:
            return await _fetch(conn, seq, limit)
        finally:
            await conn.close()

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready = False
                log.warning("alert feed interrupted", error=str(exc))
                await asyncio.sleep(1.0)

    async def _follow(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=10)
        try:
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
            if not self.ready:
                self.head = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alert_changes")
                self.ready = True
            while True:
                self._wake.clear()
                for change in await _fetch(conn, self.head, 1000):
                    self.head = change.seq
                    for queue in list(self._subscribers):
                        try:
                            queue.put_nowait(change)
                        except asyncio.QueueFull:  # a stuck client: drop it; it resumes by Last-Event-ID
                            self._subscribers.discard(queue)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
                except TimeoutError:
                    pass
        finally:
            await conn.close()


async def _fetch(conn: asyncpg.Connection, after: int, limit: int) -> list[Change]:
    rows = await conn.fetch(
        "SELECT seq, event_type, jurisdiction, data::text AS data FROM alert_changes WHERE seq > $1 "
        "ORDER BY seq LIMIT $2",
        after,
        limit,
    )
    return [Change(r["seq"], r["event_type"], r["jurisdiction"], r["data"]) for r in rows]
