"""A handler that stalls past `max_poll_interval_ms`: the group takes the partition away and
gives it to the other instance, which re-reads the stalled batch. When the stalled handler
wakes up its transaction still commits: the inbox lets exactly one of the two apply each
record, so nothing of the batch is lost or doubled after the rebalance."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.dialects import postgresql as pg

from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import encode, new_event
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from tests.faults.conftest import Figure, scaled
from tests.kafka_helpers import fresh_topic
from tests.scratch_db import scratch_database

pytestmark = pytest.mark.faults

RECORDS = scaled(2000, 500)
MAX_POLL_MS = 4000
STALL_S = 10.0

effects_md = sa.MetaData()
# No unique key on purpose: a record applied twice leaves two rows.
slow_effects = sa.Table(
    "slow_effects", effects_md, sa.Column("event_id", pg.UUID(as_uuid=True)), sa.Column("instance", sa.Text)
)


async def test_a_handler_stalled_past_max_poll_interval_neither_loses_nor_doubles_its_batch(platform, figures):
    engine = await scratch_database(platform, "sps_test_faults_slow", effects_md)
    topic = await fresh_topic(platform.bootstrap, f"test.slow.{uuid.uuid4().hex[:8]}", partitions=1)
    group = f"test-slow-{uuid.uuid4().hex[:6]}"
    stalled = asyncio.Event()
    who: list[str] = []

    def handler(instance: str):
        async def record(event, data, uow: UnitOfWork) -> None:
            if not stalled.is_set():  # whoever owns the partition stalls, once
                stalled.set()
                who.append(instance)
                await asyncio.sleep(STALL_S)  # holds the batch's transaction, and its inbox claims
            await uow.conn.execute(slow_effects.insert().values(event_id=event.id, instance=instance))

        return record

    producer = EventProducer(platform.bootstrap, "test")
    await producer.start()
    options = {
        "max_poll_interval_ms": MAX_POLL_MS,
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 500,
        "rebalance_timeout_ms": 6000,
    }

    def runner(instance: str) -> ConsumerRunner:
        return ConsumerRunner(
            service="test",
            group_id=group,
            topics=[topic],
            handlers={"sps.ingest.checkin": handler(instance)},
            registered_as={topic: topics.CHECKINS},
            engine=engine,
            producer=producer,
            bootstrap_servers=platform.bootstrap,
            notify_channel="outbox_test",
            max_records=200,
            consumer_options=options,
        )

    a, b = runner("A"), runner("B")
    tasks = [asyncio.create_task(a.run())]
    try:
        deadline = time.monotonic() + 30
        while not a.running:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        tasks.append(asyncio.create_task(b.run()))
        await asyncio.sleep(2.0)
        values = []
        for _ in range(RECORDS):
            pid = str(uuid.uuid4())
            data = {"person_id": pid, "channel": "app", "recorded_at": datetime.now(UTC).isoformat()}
            values.append((topic, pid, encode(new_event("sps.ingest.checkin", "/sps/test", data, subject=pid)), []))
        await producer.publish_raw(values)
        await asyncio.wait_for(stalled.wait(), 30)
        stalled_at = time.monotonic()
        deadline = time.monotonic() + 90
        while True:
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(slow_effects.c.event_id, slow_effects.c.instance))).all()
            if len({r.event_id for r in rows}) >= RECORDS or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        recovery = time.monotonic() - stalled_at - STALL_S
        await asyncio.sleep(3.0)  # a late double would show by now
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(slow_effects.c.event_id, slow_effects.c.instance))).all()
    finally:
        a.stop()
        b.stop()
        await asyncio.gather(*tasks)
        await producer.stop()
        await engine.dispose()
    ids = [r.event_id for r in rows]
    slow = who[0]
    by_other = sum(1 for r in rows if r.instance != slow)
    redelivered = REGISTRY.get_sample_value("sps_events_duplicate_total", {"service": "test", "topic": topic}) or 0
    lost, doubled = RECORDS - len(set(ids)), len(ids) - len(set(ids))
    # The stalled batch was read again after the rebalance (and its records dropped by the inbox):
    # without the rebalance nobody would have seen a record twice.
    assert redelivered > 0, "the stalled batch was never redelivered: the stall did not outlast max_poll_interval_ms"
    assert lost == 0 and doubled == 0, (lost, doubled)
    figures.add(
        Figure(
            fault="a handler stalled past max_poll_interval_ms",
            how=(
                f"two instances of the platform's consumer runner in one group on a one-partition topic, "
                f"max_poll_interval_ms {MAX_POLL_MS}; the owner's handler stalls {STALL_S:.0f} s inside its first "
                f"batch's transaction while {RECORDS:,} check-ins wait. The group moves the partition to the other "
                "instance, which re-reads the stalled batch from the last committed offset."
            ),
            events_sent=RECORDS,
            faults_injected=1,
            expected=RECORDS,
            delivered_once=len(set(ids)) - doubled,
            lost=lost,
            doubled=doubled,
            recovery_s=round(max(0.0, recovery), 1),
            notes=[
                f"{redelivered:.0f} records of the stalled batch were delivered again after the rebalance and "
                "dropped by the inbox",
                f"the other instance applied {by_other:,} records and the stalled one {len(ids) - by_other:,} (its "
                "batch committed when it woke; the other's inbox claims waited for it, then dropped those records)",
                "recovery: from the end of the stall until every record had its one effect",
            ],
        )
    )
