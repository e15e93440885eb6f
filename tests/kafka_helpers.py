"""Reading topics back in tests: no consumer group, from the beginning to the end offsets."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.kafka.admin import ensure_topics
from shared.kafka.connection import client_options
from shared.kafka.dlq import header
from shared.topics import dlq

__all__ = [
    "TopicTail",
    "applied_by",
    "decoded",
    "end_offsets",
    "fresh_topic",
    "header",
    "published_by",
    "read_topic",
    "start_groups_at_end",
]


async def read_topic(bootstrap: str, topic: str, *, min_count: int = 0, timeout_s: float = 30.0) -> list:
    """All records on `topic`; waits until at least `min_count` are there (or the timeout)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options())
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + timeout_s
        while not parts and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
            parts = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list = []
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
            ends = await consumer.end_offsets(tps)
            positions = [await consumer.position(tp) for tp in tps]
            at_end = all(pos >= ends[tp] for pos, tp in zip(positions, tps))
            if at_end and len(records) >= min_count:
                return records
            if time.monotonic() > deadline:
                return records
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topics: list[str]) -> dict:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **client_options())
    await consumer.start()
    await asyncio.sleep(0)  # let aiokafka's no-group task start, or stop() raises CancelledError
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or [])]
        consumer.assign(tps)
        return {f"{tp.topic}/{tp.partition}": o for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def fresh_topic(bootstrap: str, name: str, partitions: int = 3) -> str:
    await ensure_topics(bootstrap, [name, dlq(name)], partitions=partitions)
    return name


async def published_by(engine, bootstrap: str, topic: str) -> list[dict]:
    """Events on `topic` that this service instance published (its outbox holds their ids):
    another instance of the same service may share the test broker."""
    import sqlalchemy as sa

    from shared.db.plumbing import outbox

    async with engine.connect() as conn:
        ours = {str(i) for i in (await conn.execute(sa.select(outbox.c.event_id))).scalars()}
    records = await read_topic(bootstrap, topic, min_count=0, timeout_s=5)
    return [event for _, event in decoded(records) if event.get("id") in ours]


def decoded(records) -> list[tuple[object, dict]]:
    """(record, event) for every record whose value is a JSON object; other tests put poison
    records on the shared topics on purpose, and those are skipped."""
    import orjson

    out = []
    for r in records:
        try:
            event = orjson.loads(r.value)
        except (orjson.JSONDecodeError, TypeError):
            continue
        if isinstance(event, dict):
            out.append((r, event))
    return out


def scratch_broker(home, port: int):
    """A broker of a test's own (to stop and start at will), secured as `make up`'s is."""
    from tools.devstack.kafka import KafkaNode
    from tools.devstack.kafka_security import Credentials

    return KafkaNode(home, port=port, controller_port=port + 1, credentials=Credentials(home / "credentials.json"))


async def start_scratch_broker(node) -> None:
    """Start `node` and give it the platform's principals and ACLs, the demo ones included."""
    from tools.devstack.kafka import ensure_jars
    from tools.devstack.kafka_security import provision

    node.start()
    await node.wait_ready_async()
    await asyncio.to_thread(provision, node.bootstrap, node.credentials, ensure_jars(), demo=True)


async def start_groups_at_end(bootstrap: str, groups: dict[str, list[str]]) -> None:
    """Commit each group's offsets at the topics' ends, for groups that have none yet: an
    in-process service of the integration tests then judges what its test sends, not the backlog
    the end-to-end suite left on the shared topics (its size, not the test, would set the pace)."""
    for group, topics_ in groups.items():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, **client_options()
        )
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()
            tps = [TopicPartition(t, p) for t in topics_ for p in sorted(consumer.partitions_for_topic(t) or [])]
            if not tps:
                continue
            consumer.assign(tps)
            if any([await consumer.committed(tp) is not None for tp in tps]):
                continue  # the group ran before (a restart in the same test): it goes on from there
            ends = await consumer.end_offsets(tps)
            await consumer.commit({tp: offset for tp, offset in ends.items()})
        finally:
            await consumer.stop()


class TopicTail:
    """One consumer that follows a topic from its beginning for the whole session, its records kept
    by key: a test asks for a key's records up to the end offsets as they are when it asks (what
    a fresh read to the end would return), without a new consumer, login and re-read each time."""

    _tails: dict[tuple[str, str], TopicTail] = {}

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.by_key: dict[bytes | None, list] = {}
        self.positions: dict[int, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None
        self._started = asyncio.Lock()

    @classmethod
    def of(cls, bootstrap: str, topic: str) -> TopicTail:
        tail = cls._tails.get((bootstrap, topic))
        if tail is None or (tail._task is not None and tail._task.done()):
            tail = cls._tails[(bootstrap, topic)] = cls(bootstrap, topic)
        return tail

    @classmethod
    async def close_all(cls) -> None:
        for tail in cls._tails.values():
            if tail._task is not None:
                tail._task.cancel()
                await asyncio.gather(tail._task, return_exceptions=True)
            if tail._consumer is not None:
                await tail._consumer.stop()
        cls._tails.clear()

    async def _start(self) -> None:
        async with self._started:
            if self._consumer is not None:
                return
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, **client_options())
            await consumer.start()
            await consumer._client.force_metadata_update()
            tps = [TopicPartition(self.topic, p) for p in sorted(consumer.partitions_for_topic(self.topic) or [])]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            self._consumer, self._tps = consumer, tps
            self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for tp, recs in batch.items():
                for r in recs:
                    self.by_key.setdefault(r.key, []).append(r)
                if recs:
                    self.positions[tp.partition] = recs[-1].offset + 1

    async def caught_up(self, timeout_s: float = 30.0) -> dict[bytes | None, list]:
        """Every record up to the topic's end offsets now, by key."""
        await self._start()
        assert self._consumer is not None
        deadline = time.monotonic() + timeout_s
        ends = await self._consumer.end_offsets(self._tps)
        while any(self.positions.get(tp.partition, 0) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, f"{self.topic} not read to its end in {timeout_s}s"
            await asyncio.sleep(0.05)
        return self.by_key

    async def records(self, key: str, *, min_count: int = 0, timeout_s: float = 30.0) -> list:
        """`key`'s records up to the topic's end offsets now; then, while fewer than `min_count`,
        up to the newer ends, until the timeout (then what there is)."""
        await self._start()
        assert self._consumer is not None
        deadline = time.monotonic() + timeout_s
        wanted = key.encode()
        while True:
            ends = await self._consumer.end_offsets(self._tps)
            while any(self.positions.get(tp.partition, 0) < end for tp, end in ends.items()):
                if time.monotonic() > deadline:
                    return list(self.by_key.get(wanted, []))
                await asyncio.sleep(0.05)
            mine = list(self.by_key.get(wanted, []))
            if len(mine) >= min_count or time.monotonic() > deadline:
                return mine
            await asyncio.sleep(0.2)


async def applied_by(bootstrap: str, group: str, topic: str, key: str, event_type: str, timeout_s: float = 30.0):
    """Wait until consumer group `group` has committed past `key`'s record of `event_type` on
    `topic`: the service has applied it (its offsets are committed after its handlers ran).
    For a view fed by an event that nothing outside the service shows, such as a leave in the
    judging replica's case view."""
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = time.monotonic() + timeout_s
    tail = TopicTail.of(bootstrap, topic)
    wanted = event_type.encode()
    while True:
        found = [r for r in await tail.records(key, timeout_s=timeout_s) if wanted in (r.value or b"")]
        if found:
            record = found[-1]
            break
        assert time.monotonic() < deadline, f"no {event_type} for {key} on {topic}"
        await asyncio.sleep(0.1)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
    await admin.start()
    try:
        tp = TopicPartition(topic, record.partition)
        while True:
            committed = (await admin.list_consumer_group_offsets(group, partitions=[tp])).get(tp)
            if committed is not None and committed.offset > record.offset:
                return record
            assert time.monotonic() < deadline, f"{group} has not applied {event_type} for {key} ({committed})"
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
