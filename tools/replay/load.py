"""Reading a period back from Kafka: every record of the topics whose event time falls in
[since, until), found from the broker's time index and read up to the end offsets seen at the start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import topics
from shared.envelope import EnvelopeError, IncomingEvent, decode
from shared.kafka.connection import client_options
from tools.replay.engine import Period, actual_alerts

SIGNAL_TOPICS = (topics.SUPERVISION_EVENTS, topics.HANDOVER_EVENTS, topics.RISK_EVENTS)
# Records are written a little after the events they carry: start the broker's time index this
# much earlier, then keep only the events of the period.
SLACK = timedelta(hours=1)


async def read_events(
    bootstrap: str,
    names: tuple[str, ...],
    since: datetime,
    until: datetime,
    progress: Callable[[int], None] | None = None,
) -> list[IncomingEvent]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options())
    await consumer.start()
    await asyncio.sleep(0)  # let aiokafka's no-group task start, or stop() raises CancelledError
    try:
        tps = await _partitions(consumer, names)
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.offsets_for_times({tp: int((since - SLACK).timestamp() * 1000) for tp in tps})
        todo = []
        for tp in tps:
            found = starts.get(tp)
            if found is None or found.offset >= ends[tp]:
                continue
            consumer.seek(tp, found.offset)
            todo.append(tp)
        events: list[IncomingEvent] = []
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    try:
                        event = decode(record.value)
                    except EnvelopeError:
                        continue  # such a record went to the dead-letter topic when it was live
                    if since <= event.time < until:
                        events.append(event)
            todo = [tp for tp in todo if await consumer.position(tp) < ends[tp]]
            if progress:
                progress(len(events))
        events.sort(key=lambda e: e.time)
        return events
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, names: tuple[str, ...], tries: int = 20) -> list[TopicPartition]:
    """Every partition of the topics that exist (the client learns a topic's partitions from a
    metadata update, which may take a moment after the topic was made)."""
    found: list[TopicPartition] = []
    for _ in range(tries):
        await consumer._client.force_metadata_update()
        found = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
        if {tp.topic for tp in found} == set(names):
            break
        await asyncio.sleep(0.1)
    return found


async def read_period(
    bootstrap: str,
    since: datetime,
    until: datetime,
    *,
    signal_topics: tuple[str, ...] = SIGNAL_TOPICS,
    alert_topic: str = topics.ALERTS,
    progress: Callable[[int], None] | None = None,
) -> Period:
    signals = await read_events(bootstrap, signal_topics, since, until, progress)
    alert_events = await read_events(bootstrap, (alert_topic,), since, until, progress)
    actual, steps = actual_alerts(alert_events)
    return Period(signals=signals, steps=steps, actual=actual)
