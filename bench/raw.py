"""The ceiling: raw aiokafka produce → consume of the same location events (JSON-decoded, no work),
with the producer settings our services use (idempotent, acks=all, linger 5 ms)."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterable

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.load import Record
from shared.kafka.admin import ensure_topics
from shared.kafka.connection import client_options


def producer(bootstrap: str, linger_ms: int = 5) -> AIOKafkaProducer:
    """The bench's load producer (batches of background fixes); `linger_ms=0` as the gateway's
    producer sends (shared/settings.py `kafka_linger_ms`), for a probe timed from its send."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **client_options(),
        client_id="sps-bench",
        enable_idempotence=True,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )


async def produce(p: AIOKafkaProducer, topic: str, records: Iterable[Record], window: int = 20_000) -> float:
    """Send every record (awaiting in windows, as our producer does); returns the seconds taken.
    Records may come from a generator: a backlog of millions is never held in memory at once."""
    started = time.perf_counter()
    it = iter(records)
    while chunk := list(itertools.islice(it, window)):
        futures = [await p.send(topic, value=v, key=k, headers=h) for k, v, h in chunk]
        await asyncio.gather(*futures)
    return time.perf_counter() - started


async def run(bootstrap: str, records: list[Record], partitions: int) -> dict:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=partitions)
    p = producer(bootstrap)
    await p.start()
    try:
        produce_s = await produce(p, topic, records)
    finally:
        await p.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        **client_options(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < len(records) and time.perf_counter() - started < 120:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for recs in batches.values():
                for r in recs:
                    orjson.loads(r.value)
                seen += len(recs)
        consume_s = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {
        "records": len(records),
        "produce_per_s": round(len(records) / produce_s),
        "consume_per_s": round(seen / consume_s),
        "consumed": seen,
        "topic": topic,
    }
