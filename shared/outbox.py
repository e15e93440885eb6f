"""The outbox relay: publishes committed outbox rows to Kafka, in order, then marks them sent.

One relay per service publishes at a time: it holds a session-level PostgreSQL advisory lock
on its own connection, and extra replicas wait for it. It wakes on LISTEN/NOTIFY (the unit of
work notifies on commit) with a polling fallback, so a missed notification only costs latency.
Publishing is at-least-once: a crash between the Kafka ack and the `sent_at` update republishes
the same event id, which consumers drop in their inbox.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import asyncpg
import orjson

from shared.db.engine import asyncpg_params
from shared.kafka.producer import EventProducer
from shared.logging import get_logger
from shared.metrics import OUTBOX_PENDING

log = get_logger(__name__)


def lock_key(service: str) -> int:
    return int.from_bytes(hashlib.sha256(f"outbox:{service}".encode()).digest()[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        service: str,
        database_url: str,
        producer: EventProducer,
        *,
        channel: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        retention_hours: int = 24,
    ) -> None:
        self.service = service
        self._connect = asyncpg_params(database_url, timeout=10)
        self._producer = producer
        self._channel = channel
        self._batch = batch_size
        self._poll = poll_interval_s
        self._retention_hours = retention_hours
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.is_leader = False
        self.published = 0

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or Kafka away: wait and start over
                self.is_leader = False
                log.warning("outbox relay interrupted", error=str(exc))
                await self._sleep(min(5.0, self._poll * 2))

    async def _lead(self) -> None:
        conn = await asyncpg.connect(**self._connect)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(self.service)):
                self.is_leader = False
                if await self._sleep(self._poll):
                    return
            self.is_leader = True
            await conn.add_listener(self._channel, lambda *_: self._wake.set())
            log.info("outbox relay leading", channel=self._channel)
            cleaned_at = 0.0
            while not self._stopping.is_set():
                self._wake.clear()  # before reading, so a commit during the batch wakes the next round
                sent = await self._publish_batch(conn)
                loop = asyncio.get_running_loop()
                if loop.time() - cleaned_at > 300:
                    await conn.execute(
                        "DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)", self._retention_hours
                    )
                    cleaned_at = loop.time()
                if sent < self._batch:
                    await self._sleep(self._poll)
        finally:
            self.is_leader = False
            await conn.close(timeout=5)

    async def _publish_batch(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1", self._batch
        )
        if not rows:
            OUTBOX_PENDING.labels(self.service).set(0)
            return 0
        records = [
            (r["topic"], r["key"], bytes(r["value"]), [(k, v.encode()) for k, v in _json(r["headers"])]) for r in rows
        ]
        await self._producer.publish_raw(records)
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        self.published += len(rows)
        # A short batch drained what was there; only a full one leaves a backlog worth counting.
        pending = (
            0 if len(rows) < self._batch else await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        )
        OUTBOX_PENDING.labels(self.service).set(pending)
        return len(rows)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep until woken or `seconds` pass; True if stopping."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        return self._stopping.is_set()


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value
