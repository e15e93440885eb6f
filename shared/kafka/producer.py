"""The one Kafka producer of a service: idempotent, acks=all, keyed by person id."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from shared.envelope import Header, OutgoingEvent, encode, event_headers
from shared.kafka.connection import KafkaAuth, client_options
from shared.kafka.partitions import CachedPartitioner
from shared.metrics import PRODUCED


class EventProducer:
    def __init__(
        self,
        bootstrap_servers: str,
        service: str,
        *,
        request_timeout_ms: int = 30_000,
        auth: KafkaAuth | None = None,
        linger_ms: int = 0,
    ) -> None:
        self.service = service
        self._options = dict(
            bootstrap_servers=bootstrap_servers,
            client_id=f"sps-{service}",
            enable_idempotence=True,
            acks="all",
            linger_ms=linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=request_timeout_ms,
            partitioner=CachedPartitioner(),  # the same partitions as aiokafka's own, remembered per key
            **client_options(auth),
        )
        self._producer: AIOKafkaProducer | None = None
        self._started = False

    @property
    def raw(self) -> AIOKafkaProducer:
        assert self._producer is not None, "producer not started"
        return self._producer

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the client is made here, not in __init__.
        self._producer = AIOKafkaProducer(**self._options)
        try:
            await self._producer.start()
        except BaseException:
            await self._producer.stop()
            self._producer = None
            raise
        self._started = True

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        self._producer = None
        self._started = False

    async def ping(self) -> bool:
        """A real metadata round trip to the cluster."""
        if not self._started:
            return False
        try:
            await asyncio.wait_for(self.raw.client.fetch_all_metadata(), timeout=3)
        except Exception:
            return False
        return True

    async def publish(self, topic: str, event: OutgoingEvent, key: str | None = None) -> None:
        await self.publish_raw([(topic, key or event.subject, encode(event), event_headers(event))])

    async def publish_many(self, items: Iterable[tuple[str, OutgoingEvent]]) -> None:
        await self.publish_raw([(t, e.subject, encode(e), event_headers(e)) for t, e in items])

    async def publish_batched(self, records: Sequence[tuple[str, str | bytes, bytes, list[Header]]]) -> None:
        """As `publish_raw`, for many keyed records of few topics (the gateway's batches): each
        partition's records go into batches built here, one future a batch instead of one a record
        (aiokafka's `send` costs several µs a record; docs/performance.md). A key's records keep
        their order: one partition's records are appended in the order given."""
        if self._producer is None:
            raise KafkaConnectionError("producer not started")
        producer = self._producer
        by_partition: dict[tuple[str, int], list[tuple[bytes, bytes, list[Header]]]] = {}
        partitions_of: dict[str, list[int]] = {}
        choose = self._options["partitioner"]
        for topic, key, value, headers in records:
            partitions = partitions_of.get(topic)
            if partitions is None:
                partitions = partitions_of[topic] = sorted(await producer.partitions_for(topic))
            raw = key.encode() if isinstance(key, str) else key
            by_partition.setdefault((topic, choose(raw, partitions, partitions)), []).append((raw, value, headers))
        futures = []
        for (topic, partition), items in by_partition.items():
            batch = producer.create_batch()
            for raw, value, headers in items:
                while batch.append(key=raw, value=value, timestamp=None, headers=headers) is None:
                    if batch.record_count() == 0:  # alone over the batch size: the one-record way
                        futures.append(await producer.send(topic, value=value, key=raw, headers=headers))
                        break
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
            if batch.record_count():
                futures.append(await producer.send_batch(batch, topic, partition=partition))
        if futures:
            await asyncio.gather(*futures)
        self._count(records)

    async def publish_raw(self, records: Sequence[tuple[str, str | bytes | None, bytes, list[Header]]]) -> None:
        """Send records and wait until every one is acknowledged by all in-sync replicas.

        Sends are queued first and awaited together, so a batch rides in few requests while
        the idempotent producer keeps per-partition order.
        """
        if self._producer is None:
            raise KafkaConnectionError("producer not started")
        futures = [
            await self._producer.send(
                topic, value=value, key=key.encode() if isinstance(key, str) else key, headers=headers
            )
            for topic, key, value, headers in records
        ]
        if futures:
            await asyncio.gather(*futures)
        self._count(records)

    def _count(self, records: Sequence[tuple[str, Any, Any, Any]]) -> None:
        per_topic: dict[str, int] = {}
        for topic, *_ in records:
            per_topic[topic] = per_topic.get(topic, 0) + 1
        for topic, n in per_topic.items():
            PRODUCED.labels(self.service, topic).inc(n)
