"""The shared plumbing against the real broker and database: DLQ, inbox, crash between the
database commit and the offset commit, and the outbox while Kafka is down."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from sqlalchemy.dialects import postgresql as pg

from shared import topics
from shared.db import plumbing
from shared.db.engine import ensure_database, make_engine
from shared.db.uow import UnitOfWork
from shared.envelope import encode, new_event
from shared.events import Checkin
from shared.kafka.admin import ensure_topics
from shared.kafka.consumer import ConsumerRunner, RejectedRecord
from shared.kafka.producer import EventProducer
from shared.outbox import OutboxRelay
from shared.topics import dlq
from tests.kafka_helpers import fresh_topic, header, read_topic, scratch_broker, start_scratch_broker

effects_md = sa.MetaData()
# No unique key on purpose: a handler applied twice would leave two rows.
effects = sa.Table("effects", effects_md, sa.Column("event_id", pg.UUID(as_uuid=True)), sa.Column("note", sa.Text))


@pytest.fixture(scope="module")
async def db(stack):
    name = "sps_test_plumbing"
    await ensure_database(stack.database_url, name)
    from sqlalchemy.engine import make_url

    url = make_url(stack.database_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(plumbing.metadata.create_all)
        await conn.run_sync(effects_md.create_all)
    yield engine, url
    await engine.dispose()


@pytest.fixture
async def producer(stack):
    p = EventProducer(stack.bootstrap, "test")
    await p.start()
    yield p
    await p.stop()


def checkin(channel: str = "app") -> bytes:
    data = {"person_id": str(uuid.uuid4()), "channel": channel, "recorded_at": datetime.now(UTC).isoformat()}
    return encode(new_event("sps.ingest.checkin", "/sps/test", data, subject=data["person_id"]))


def event_id(raw: bytes) -> uuid.UUID:
    import orjson

    return uuid.UUID(orjson.loads(raw)["id"])


async def record_effect(event, data: Checkin, uow: UnitOfWork) -> None:
    if data.channel == "video":  # the test's "bug": this record always fails in the handler
        raise RuntimeError("handler cannot handle video check-ins")
    if data.channel == "phone":  # the test's domain refusal: dead-lettered at once, never retried
        raise RejectedRecord("refused-phone: the test refuses phone check-ins")
    if data.channel == "in_person":  # values PostgreSQL refuses (SQLSTATE 22): no retry can cure it
        await uow.conn.execute(sa.text("SELECT 1 / 0"))
    await uow.conn.execute(sa.insert(effects).values(event_id=event.id, note=data.channel))


def runner(stack, engine, producer, topic: str, group: str) -> ConsumerRunner:
    return ConsumerRunner(
        service="test",
        group_id=group,
        topics=[topic],
        handlers={"sps.ingest.checkin": record_effect},
        registered_as={topic: topics.CHECKINS},
        engine=engine,
        producer=producer,
        bootstrap_servers=stack.bootstrap,
        notify_channel="outbox_test",
        max_attempts=2,
        backoff_s=0.05,
    )


async def effects_for(engine, ids) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(effects.c.event_id).where(effects.c.event_id.in_(list(ids))))
        return [r.event_id for r in rows]


async def wait_for(predicate, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def send(producer: EventProducer, topic: str, values: list[bytes], key: str = "k") -> None:
    await producer.publish_raw([(topic, key, v, []) for v in values])


async def test_poison_records_go_to_the_dlq_with_reason_and_the_next_is_handled(stack, db, producer):
    engine, _ = db
    topic = await fresh_topic(stack.bootstrap, f"test.poison.{uuid.uuid4().hex[:8]}")
    good1, good2 = checkin(), checkin()
    wrong_data = checkin(channel="carrier-pigeon")
    failing = checkin(channel="video")
    refused = checkin(channel="phone")
    unstorable = checkin(channel="in_person")
    nul = orjson.loads(checkin())
    nul["subject"] = "a\u0000b"
    pid, now = str(uuid.uuid4()), datetime.now(UTC).isoformat()
    leave = {"person_id": pid, "case_id": pid, "leave_id": pid, "starts_at": now, "ends_at": now}
    leave |= {"destination": "上海市", "approval_level": "county", "approved_by": "forged"}
    forged = encode(new_event("sps.supervision.leave-approved", "/sps/test", leave, subject=pid))
    await send(
        producer,
        topic,
        [
            b"\xffnot json",
            good1,
            wrong_data,
            b'{"specversion": "1.0"}',
            failing,
            refused,
            unstorable,
            orjson.dumps(nul),
            forged,  # a valid event of another topic: whoever may write this one may not raise it
            good2,
        ],
    )
    r = runner(stack, engine, producer, topic, f"g-{uuid.uuid4().hex[:6]}")
    task = asyncio.create_task(r.run())
    try:
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(good1), event_id(good2)]), 2))
        dead = await read_topic(stack.bootstrap, dlq(topic), min_count=8)
    finally:
        r.stop()
        await task
    reasons = sorted(header(rec, "sps-error") for rec in dead)
    assert len(dead) == 8, reasons
    assert (
        f"type-not-on-topic: sps.supervision.leave-approved is an event of {topics.SUPERVISION_EVENTS}, not of {topic}"
        in reasons
    )
    assert any(x.startswith("the database cannot store the record") and "division" in x for x in reasons)
    assert "subject: text may not contain the NUL character (\\u0000)" in reasons
    assert "refused-phone: the test refuses phone check-ins" in reasons
    assert any(x.startswith("not JSON") for x in reasons)
    assert any(x.startswith("not a CloudEvent") for x in reasons)
    assert any("invalid data for sps.ingest.checkin" in x and "channel" in x for x in reasons)
    assert any(x.startswith("handler failed after 2 attempts") and "video" in x for x in reasons)
    assert all(header(rec, "sps-original-topic") == topic for rec in dead)
    kept = {b"\xffnot json", wrong_data, failing, refused, forged}
    assert {rec.value for rec in dead} >= kept  # the original bytes, kept


async def test_a_batch_handler_gets_the_polls_run_and_a_record_it_refuses_is_isolated(stack, db, producer):
    """A type with a BatchHandler is handled a run per call; a run with a record the handler
    refuses or fails on is handled record by record, so the good ones are applied once each."""
    engine, _ = db
    topic = await fresh_topic(stack.bootstrap, f"test.batch.{uuid.uuid4().hex[:8]}")
    good = [checkin() for _ in range(8)]
    refused, failing = checkin(channel="phone"), checkin(channel="video")
    await send(producer, topic, [*good[:5], refused, failing, *good[5:]])
    runs: list[int] = []

    async def run_of(items, uow: UnitOfWork) -> None:
        runs.append(len(items))
        for event, data in items:
            await record_effect(event, data, uow)

    r = runner(stack, engine, producer, topic, f"g-{uuid.uuid4().hex[:6]}")
    r.batch_handlers = {"sps.ingest.checkin": run_of}
    task = asyncio.create_task(r.run())
    try:
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(g) for g in good]), len(good)))
        dead = await read_topic(stack.bootstrap, dlq(topic), min_count=2)
    finally:
        r.stop()
        await task
    assert sorted(await effects_for(engine, [event_id(g) for g in good])) == sorted(event_id(g) for g in good)
    assert {rec.value for rec in dead} == {refused, failing}
    assert max(runs) > 1  # runs, not records, went to the handler


async def _len_is(coro, n: int) -> bool:
    return len(await coro) == n


async def _true(value: bool) -> bool:
    return value


async def test_an_event_delivered_twice_has_one_effect(stack, db, producer):
    engine, _ = db
    topic = await fresh_topic(stack.bootstrap, f"test.dup.{uuid.uuid4().hex[:8]}")
    twice, other, marker = checkin(), checkin(), checkin()
    await send(producer, topic, [twice, twice, other])  # twice in one batch
    r = runner(stack, engine, producer, topic, f"g-{uuid.uuid4().hex[:6]}")
    task = asyncio.create_task(r.run())
    try:
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(other)]), 1))
        await send(producer, topic, [twice, marker])  # and again once the first copy was handled
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(marker)]), 1))
    finally:
        r.stop()
        await task
    assert await effects_for(engine, [event_id(twice)]) == [event_id(twice)]


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it on the way out."""


async def test_crash_between_db_commit_and_offset_commit_loses_and_doubles_nothing(stack, db, producer, monkeypatch):
    engine, _ = db
    topic = await fresh_topic(stack.bootstrap, f"test.crash.{uuid.uuid4().hex[:8]}", partitions=1)
    values = [checkin() for _ in range(50)]
    ids = [event_id(v) for v in values]
    await send(producer, topic, values)
    group = f"g-{uuid.uuid4().hex[:6]}"

    async def die(self, offsets=None):
        raise Crash()

    monkeypatch.setattr(AIOKafkaConsumer, "commit", die)
    first = runner(stack, engine, producer, topic, group)
    with pytest.raises(Crash):
        await asyncio.wait_for(first.run(), timeout=60)
    applied_before_crash = await effects_for(engine, ids)
    assert applied_before_crash, "the first batch was committed to the database before the crash"
    monkeypatch.undo()

    second = runner(stack, engine, producer, topic, group)
    task = asyncio.create_task(second.run())
    try:
        await wait_for(lambda: _len_is(effects_for(engine, ids), 50))
        marker = checkin()  # the canary: once it is applied, a second copy of any before it would be
        await send(producer, topic, [marker])
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(marker)]), 1))
    finally:
        second.stop()
        await task
    applied = await effects_for(engine, ids)
    assert sorted(applied) == sorted(ids)  # every event once: nothing lost, nothing doubled


def _dying_parts():
    """Where aiokafka's client dies (aio-libs/aiokafka#1038: with uvloop, a write to a connection
    the broker closed raises RuntimeError, seen here after a broker restart), and how it shows:
    - its group coordination ends on the error, and every later poll of the consumer raises it;
    - its background fetch task ends on it, and nothing in aiokafka looks at that task again:
      every later poll returns nothing (handover stopped consuming for good this way)."""
    from aiokafka.consumer.fetcher import Fetcher
    from aiokafka.errors import KafkaError

    closed = "unable to perform operation on <TCPTransport closed=True>; the handler is closed"
    return {
        "coordination": (AIOKafkaConsumer, "getmany", KafkaError(f"Unexpected error during coordination {closed}")),
        "fetcher": (Fetcher, "_proc_fetch_request", RuntimeError(closed)),
    }


@pytest.mark.parametrize("where", ["coordination", "fetcher"])
async def test_a_consumer_whose_client_dies_is_started_again_and_loses_and_doubles_nothing(
    stack, db, producer, monkeypatch, where
):
    """The runner must see the dead client and start a new consumer, not end, nor wait for ever."""
    from shared.metrics import CONSUMER_RESTARTS

    owner, method, error = _dying_parts()[where]
    engine, _ = db
    topic = await fresh_topic(stack.bootstrap, f"test.dead.{uuid.uuid4().hex[:8]}", partitions=1)
    first_half, second_half = [checkin() for _ in range(20)], [checkin() for _ in range(20)]
    ids = [event_id(v) for v in first_half + second_half]
    real = getattr(owner, method)
    doomed: list[object] = []
    died = asyncio.Event()

    async def dying(self, *args, **kwargs):
        if not doomed:
            doomed.append(self)
        if self is doomed[0] and await effects_for(engine, [event_id(first_half[-1])]):
            died.set()
            raise error
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, dying)
    restarts_before = CONSUMER_RESTARTS.labels("test")._value.get()
    await send(producer, topic, first_half)
    r = runner(stack, engine, producer, topic, f"g-{uuid.uuid4().hex[:6]}")
    task = asyncio.create_task(r.run())
    try:
        await wait_for(lambda: _len_is(effects_for(engine, [event_id(first_half[-1])]), 1))
        # Dead before the second half is sent: a fetch the doomed client began before the first
        # half's effect was visible would otherwise long-poll and bring the second half itself.
        await asyncio.wait_for(died.wait(), 30)
        await send(producer, topic, second_half)  # only a new consumer can read these
        await wait_for(lambda: _len_is(effects_for(engine, ids), 40))
        assert not task.done()
    finally:
        r.stop()
        await task
    assert sorted(await effects_for(engine, ids)) == sorted(ids)
    assert CONSUMER_RESTARTS.labels("test")._value.get() >= restarts_before + 1


class Watched(EventProducer):
    """The platform's producer (to the real broker), counting the records handed to it by event id."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.handed: dict[str, int] = {}

    async def publish_raw(self, records, *args, **kwargs):
        for _, _, value, _ in records:
            handed = event_id(value)
            self.handed[handed] = self.handed.get(handed, 0) + 1
        return await super().publish_raw(records, *args, **kwargs)


async def test_outbox_publishes_what_was_committed_while_kafka_was_down(db, tmp_path: Path):
    engine, url = db
    node = scratch_broker(tmp_path / "kafka", 29092)
    try:
        await start_scratch_broker(node)
        topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
        await ensure_topics(node.bootstrap, [topic], partitions=3)
        producer = Watched(node.bootstrap, "test-outbox", request_timeout_ms=5000)
        await producer.start()
        relay = OutboxRelay("test-outbox", url, producer, channel="outbox_test_outbox", poll_interval_s=0.2)
        relay_task = asyncio.create_task(relay.run())

        await asyncio.to_thread(node.stop)  # the broker goes away
        events = [
            new_event(
                "sps.ingest.checkin",
                "/sps/test",
                {"person_id": str(uuid.uuid4()), "channel": "app", "recorded_at": datetime.now(UTC).isoformat()},
                subject=str(i),
            )
            for i in range(20)
        ]
        async with UnitOfWork(engine, "outbox_test_outbox") as uow:
            for e in events:
                uow.emit(topic, e)
        # Until the relay has handed all of them to the producer, which cannot deliver them.
        await wait_for(lambda: _true(sum(producer.handed.get(e.id, 0) for e in events) >= 20))
        async with engine.connect() as conn:
            unsent = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(plumbing.outbox)
                .where(plumbing.outbox.c.topic == topic, plumbing.outbox.c.sent_at.is_(None))
            )
        assert unsent == 20, "nothing can be marked sent while the broker is down"

        node.start()  # the broker comes back, with its data
        await node.wait_ready_async()

        async def all_sent() -> bool:
            async with engine.connect() as conn:
                return (
                    await conn.scalar(
                        sa.select(sa.func.count())
                        .select_from(plumbing.outbox)
                        .where(plumbing.outbox.c.topic == topic, plumbing.outbox.c.sent_at.is_(None))
                    )
                    == 0
                )

        await wait_for(all_sent, timeout_s=120)
        relay.stop()
        await relay_task
        await producer.stop()
        records = await read_topic(node.bootstrap, topic, min_count=20)
        on_kafka = {event_id(r.value) for r in records}
        assert on_kafka == {e.id for e in events}  # every committed event, none lost
    finally:
        await asyncio.to_thread(node.stop)


async def test_a_unit_of_work_frees_what_its_hooks_held_without_the_cyclic_gc(db):
    """Hooks close over their unit of work (a cycle); after the commit nothing may keep a poll's
    objects alive until a garbage collection: reference counting alone must free them."""
    import gc
    import weakref

    class Held:
        pass

    engine, _ = db
    gc.disable()
    try:
        for outcome in ("commit", "rollback"):
            uow = UnitOfWork(engine, "test_plumbing")
            held = Held()
            alive = weakref.ref(held)
            try:
                async with uow:
                    uow.scratch["poll"] = [held]
                    flush, after = _hooks(uow)
                    uow.before_commit("flush", flush)
                    uow.after_commit(after)
                    uow.after_rollback(after)
                    if outcome == "rollback":
                        raise RuntimeError("handler failed")
            except RuntimeError:
                pass
            del held, uow, flush, after
            assert alive() is None, f"after {outcome}, the scratch outlived its unit of work"
    finally:
        gc.enable()


def _hooks(uow: UnitOfWork):
    """Hooks closing over their unit of work, as handlers' hooks do."""

    async def flush() -> None:
        assert uow is not None

    def after() -> None:
        assert uow is not None

    return flush, after


async def test_batched_publishing_puts_each_keys_records_on_its_partition_in_order(stack, producer):
    """The gateway's path (EventProducer.publish_batched): batches built per partition, one future
    a batch; every record arrives once, on its key's partition, each key's in the order sent, and a
    record larger than a batch still goes (the one-record way)."""
    from shared.kafka.partitions import partition_of

    partitions = 6
    topic = await fresh_topic(stack.bootstrap, f"test.batched.{uuid.uuid4().hex[:8]}", partitions)
    keys = [str(uuid.uuid4()) for _ in range(50)]
    records = [(topic, keys[i % 50], f"{keys[i % 50]}:{i // 50}".encode(), []) for i in range(5000)]
    big = (topic, keys[0], b"x" * (300 * 1024), [])
    await producer.publish_batched([*records, big])
    got = await read_topic(stack.bootstrap, topic, min_count=len(records) + 1)
    assert len(got) == len(records) + 1
    seen: dict[str, list[int]] = {}
    for r in got:
        if r.value == big[2]:
            assert r.partition == partition_of(keys[0], partitions)
            continue
        key, n = r.value.decode().split(":")
        assert r.key.decode() == key and r.partition == partition_of(key, partitions)
        seen.setdefault(key, []).append(int(n))
    assert all(ns == list(range(100)) for ns in seen.values()) and len(seen) == 50
