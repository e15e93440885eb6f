"""The live alert feed: every committed alert change, fanned out to SSE subscribers.

Rows come from `alert_changes` (seq = SSE event id); the feed wakes on LISTEN/NOTIFY with a
polling fallback, so every replica of the command centre sees every change in seq order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter

from shared.db.engine import asyncpg_params
from shared.logging import get_logger

log = get_logger(__name__)
FELL_BEHIND = Counter("sps_alert_feed_resyncs_total", "Live-feed subscribers that fell behind and were told to resync")
CHANNEL = "sps_alert_changes"


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    event_type: str
    jurisdiction: str
    data: str  # JSON text, sent as is


# What a subscriber that fell behind finds in its queue instead of the changes it could not hold:
# the stream then says `resync` and ends, and the console reloads the board (never a silent stall).
RESYNC = Change(-1, "resync", "", "{}")


class AlertFeed:
    def __init__(self, database_url: str, poll_interval_s: float = 1.0, buffer: int = 10_000) -> None:
        self._connect = asyncpg_params(database_url, timeout=10)
        self._poll = poll_interval_s
        self._buffer = buffer
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self._wake = asyncio.Event()
        self.head = 0
        self.ready = False

    def subscribe(self) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=self._buffer)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._subscribers.discard(queue)

    def deliver(self, change: Change) -> None:
        """Fan one change out. A subscriber whose buffer is full fell behind: its queue is emptied
        and given `RESYNC` alone, and it is dropped from the feed."""
        self.head = change.seq
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(change)
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(RESYNC)
                self._subscribers.discard(queue)
                FELL_BEHIND.inc()

    async def changes_after(self, seq: int, limit: int = 5000) -> list[Change]:
        conn = await asyncpg.connect(**self._connect)
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
        conn = await asyncpg.connect(**self._connect)
        try:
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
            if not self.ready:
                self.head = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alert_changes")
                self.ready = True
            while True:
                self._wake.clear()
                for change in await _fetch(conn, self.head, 1000):
                    self.deliver(change)
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
