"""Dead-letter topics: see what is in them, and replay them after a fix.

`show` counts a DLQ's records by reason; `replay` puts them back on the topic they came from,
once (the command line is `python -m tools.dlq`). Replay reads `<topic>.dlq` with a consumer
group of its own and commits after each batch is acknowledged, so a second run replays only
what arrived since. It stops at the end offsets it saw when it started, so records that fail
again (dead-lettered anew, with their new reason) are not chased in a loop. A crash between the
publish and the commit replays a batch again: its records keep their CloudEvent ids, and
consumers' inboxes drop the copies.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.kafka.connection import client_options
from shared.kafka.producer import EventProducer
from shared.topics import dlq

REPLAY_GROUP = "sps-dlq-replay"
# Headers the consumer runner adds when it dead-letters; a replayed record goes back without them.
_DLQ_HEADERS = {
    "sps-error",
    "sps-original-topic",
    "sps-original-partition",
    "sps-original-offset",
    "sps-consumer-group",
}


@dataclass
class ReplayResult:
    topic: str
    group: str
    replayed: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


def header(record: Record, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace")
    return None


def reason_kind(reason: str | None) -> str:
    """The reason without its details ("not JSON: unexpected character…" → "not JSON")."""
    return (reason or "(no reason)").split(":", 1)[0][:80]


Record: TypeAlias = ConsumerRecord[bytes, bytes]
OnBatch = Callable[[TopicPartition, list[Record]], Awaitable[None]]


async def _read_until_end(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], ends: dict[TopicPartition, int], on_batch: OnBatch
) -> None:
    while True:
        positions = {tp: await consumer.position(tp) for tp in tps}
        if all(positions[tp] >= ends[tp] for tp in tps):
            return
        batches = await consumer.getmany(*tps, timeout_ms=1000, max_records=1000)
        for tp, records in batches.items():
            records = [r for r in records if r.offset < ends[tp]]
            if records:
                await on_batch(tp, records)


async def _partitions(consumer: AIOKafkaConsumer, topic: str, bootstrap: str) -> list[TopicPartition]:
    await asyncio.sleep(0)  # let aiokafka's background task start, or stop() raises CancelledError
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise ValueError(f"no topic {topic!r} on {bootstrap}")
    return [TopicPartition(topic, p) for p in sorted(parts)]


async def show(bootstrap: str, topic: str) -> Counter[str]:
    """Count the records in `<topic>.dlq` by reason (from the beginning, no group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options())
    await consumer.start()
    try:
        tps = await _partitions(consumer, dlq(topic), bootstrap)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        counts: Counter[str] = Counter()

        async def count(_tp: TopicPartition, records: list[Record]) -> None:
            counts.update(reason_kind(header(r, "sps-error")) for r in records)

        await _read_until_end(consumer, tps, ends, count)
        return counts
    finally:
        await consumer.stop()


async def replay(
    bootstrap: str, topic: str, *, group: str = REPLAY_GROUP, progress: Callable[[int], None] | None = None
) -> ReplayResult:
    """Put every record of `<topic>.dlq` not replayed before back on its original topic."""
    source = dlq(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(),
    )
    producer = EventProducer(bootstrap, "dlq-replay")
    await consumer.start()
    await producer.start()
    result = ReplayResult(topic, group)
    try:
        tps = await _partitions(consumer, source, bootstrap)
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)

        async def republish(tp: TopicPartition, records: list[Record]) -> None:
            out = []
            for r in records:
                headers = [(k, v) for k, v in (r.headers or ()) if k not in _DLQ_HEADERS]
                headers.append(("sps-replayed-from", f"{tp.topic}/{tp.partition}/{r.offset}".encode()))
                out.append((header(r, "sps-original-topic") or topic, r.key, r.value or b"", headers))
                result.by_reason[reason_kind(header(r, "sps-error"))] += 1
            await producer.publish_raw(out)  # acknowledged by all in-sync replicas…
            await consumer.commit({tp: records[-1].offset + 1})  # …before the DLQ offset moves on
            result.replayed += len(records)
            if progress is not None:
                progress(result.replayed)

        await _read_until_end(consumer, tps, ends, republish)
        return result
    finally:
        await producer.stop()
        await consumer.stop()
