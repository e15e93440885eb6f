"""Single-writer work with many replicas: two outbox relays of one service race on one database.
A PostgreSQL advisory lock lets one lead; every row is published once; when the leader stops,
the other takes over and publishes the rest. (Timers: tests/integration/test_alerting.py races
two timer loops; the monthly cycles are timers with one key per month.)"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import orjson
import sqlalchemy as sa

from shared.db import plumbing
from shared.envelope import encode, new_event
from shared.kafka.producer import EventProducer
from shared.outbox import OutboxRelay
from tests.kafka_helpers import fresh_topic, read_topic
from tests.scratch_db import scratch_database

ROWS = 3000


async def test_two_outbox_relays_racing_publish_each_row_once_and_the_survivor_takes_over(stack):
    engine = await scratch_database(stack, "sps_test_relays")
    url = engine.url.render_as_string(hide_password=False)
    topic = await fresh_topic(stack.bootstrap, f"test.relays.{uuid.uuid4().hex[:8]}")
    ids = []
    rows = []
    for i in range(ROWS):
        pid = str(uuid.uuid4())
        event = new_event(
            "sps.ingest.checkin",
            "/sps/test",
            {"person_id": pid, "channel": "app", "recorded_at": "2026-11-26T08:00:00+00:00"},
            subject=pid,
        )
        ids.append(str(event.id))
        rows.append({"event_id": event.id, "topic": topic, "key": pid, "value": encode(event), "headers": []})
    producer = EventProducer(stack.bootstrap, "test-relays")
    await producer.start()
    service = f"relays-{uuid.uuid4().hex[:6]}"  # one lock per service name: both replicas share it
    relays = [
        OutboxRelay(service, url, producer, channel="outbox_relays", batch_size=100, poll_interval_s=0.2)
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        deadline = time.monotonic() + 20
        while not any(r.is_leader for r in relays):
            assert time.monotonic() < deadline, "no relay took the lead"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert sum(r.is_leader for r in relays) == 1, "two relays lead at once"
        async with engine.begin() as conn:
            await conn.execute(plumbing.outbox.insert(), rows[: ROWS // 2])
        deadline = time.monotonic() + 30
        while sum(r.published for r in relays) < ROWS // 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        leader = next(r for r in relays if r.is_leader)
        leader.stop()  # the leading replica goes away
        async with engine.begin() as conn:
            await conn.execute(plumbing.outbox.insert(), rows[ROWS // 2 :])
        deadline = time.monotonic() + 30
        async with engine.connect() as conn:
            while await conn.scalar(
                sa.select(sa.func.count()).select_from(plumbing.outbox).where(plumbing.outbox.c.sent_at.is_(None))
            ):
                assert time.monotonic() < deadline, "the other relay never took over"
                await asyncio.sleep(0.2)
                await conn.rollback()
        survivor = next(r for r in relays if r is not leader)
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)
        await producer.stop()
        await engine.dispose()
    published = Counter(orjson.loads(r.value)["id"] for r in await read_topic(stack.bootstrap, topic, min_count=ROWS))
    assert set(published) == set(ids), f"{len(set(ids) - set(published))} rows never published"
    assert set(published.values()) == {1}, published.most_common(3)
    assert leader.published > 0 and survivor.published > 0 and leader.published + survivor.published == ROWS
