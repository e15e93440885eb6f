"""A three-node KRaft cluster on loopback (replication factor 3, min.insync.replicas 2). One broker
is killed with SIGKILL under load: the platform's producer (acks=all, idempotent) and consumer
runner go on with the other two; every record is applied once, each person's in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaError
from sqlalchemy.dialects import postgresql as pg

from shared.db.uow import UnitOfWork
from shared.envelope import encode, new_event
from shared.kafka.admin import ensure_topics
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.topics import dlq
from tests.conftest import TEST_ROOT
from tests.faults.conftest import Figure
from tests.faults.helpers import replica_counts
from tests.scratch_db import scratch_database
from tools.devstack.kafka import KafkaCluster

pytestmark = pytest.mark.faults

PERSONS, EACH, BATCH = 200, 100, 500  # 20,000 check-ins, keyed by person
KILL_AFTER = 0.4  # the share of the stream sent before the kill

effects_md = sa.MetaData()
cluster_effects = sa.Table(
    "cluster_effects",
    effects_md,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),  # the order effects were applied in
    sa.Column("event_id", pg.UUID(as_uuid=True)),
    sa.Column("person", sa.Integer),
    sa.Column("seq", sa.Integer),
)


def records(topic: str) -> list:
    out, start = [], datetime.now(UTC)
    for seq in range(EACH):
        for person in range(PERSONS):
            pid = str(uuid.UUID(int=person + 1))
            data = {"person_id": pid, "channel": "app", "recorded_at": (start + timedelta(seconds=seq)).isoformat()}
            event = new_event("sps.ingest.checkin", "/sps/test", data, subject=pid)
            out.append((topic, pid, encode(event), []))
    return out


async def test_one_of_three_brokers_killed_under_load_nothing_lost_consumers_go_on(stack, figures):
    cluster = KafkaCluster(TEST_ROOT / "cluster")
    cluster.start()
    engine = await scratch_database(stack, "sps_test_faults_cluster", effects_md)
    producer = EventProducer(cluster.bootstrap, "test", request_timeout_ms=10_000)
    tasks: list[asyncio.Task] = []
    try:
        await cluster.wait_ready_async()
        topic = f"test.cluster.{uuid.uuid4().hex[:8]}"
        await ensure_topics(
            cluster.bootstrap,
            [topic, dlq(topic)],
            partitions=6,
            replication_factor=3,
            configs={"min.insync.replicas": "2"},
        )
        await producer.start()
        replicas = await replica_counts(cluster.bootstrap, topic)
        assert replicas == {3}, f"replicas per partition: {replicas}"

        async def apply(event, data, uow: UnitOfWork) -> None:
            await uow.conn.execute(
                cluster_effects.insert().values(
                    event_id=event.id,
                    person=int(uuid.UUID(str(data.person_id)).int) - 1,
                    seq=int((data.recorded_at - first_at).total_seconds()),
                )
            )

        all_records = records(topic)
        first_at = datetime.fromisoformat(orjson.loads(all_records[0][2])["data"]["recorded_at"])
        runners = [
            ConsumerRunner(
                service="test",
                group_id=f"test-cluster-{uuid.uuid4().hex[:6]}",
                topics=[topic],
                handlers={"sps.ingest.checkin": apply},
                engine=engine,
                producer=producer,
                bootstrap_servers=cluster.bootstrap,
                notify_channel="outbox_test",
                max_records=500,
            )
            for _ in range(2)
        ]
        group = runners[0].group_id
        for r in runners[1:]:
            r.group_id = group
        tasks = [asyncio.create_task(r.run()) for r in runners]

        retries, killed_at = 0, None
        victim = cluster.nodes[1]
        started = time.monotonic()
        for i in range(0, len(all_records), BATCH):
            if killed_at is None and i >= KILL_AFTER * len(all_records):
                assert victim.stop(kill=True)
                killed_at = time.monotonic()
            while True:  # as the outbox relay does: resend until acknowledged
                try:
                    await producer.publish_raw(all_records[i : i + BATCH])
                    break
                except KafkaError:
                    retries += 1
                    await asyncio.sleep(0.5)
        sent_s = time.monotonic() - started
        isr_after = await replica_counts(",".join(n.bootstrap for n in cluster.nodes if n.running()), topic, "isr")

        total = PERSONS * EACH
        deadline = time.monotonic() + 180
        while True:
            async with engine.connect() as conn:
                n = await conn.scalar(sa.select(sa.func.count(sa.distinct(cluster_effects.c.event_id))))
            if n >= total or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        recovery = time.monotonic() - killed_at
        await asyncio.sleep(2.0)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(cluster_effects.c.event_id, cluster_effects.c.person, cluster_effects.c.seq).order_by(
                        cluster_effects.c.id
                    )
                )
            ).all()
    finally:
        for r in locals().get("runners", []):
            r.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await engine.dispose()
        cluster.stop()
    distinct = {r.event_id for r in rows}
    lost, doubled = total - len(distinct), len(rows) - len(distinct)
    last_seq: dict[int, int] = {}
    out_of_order = 0
    for r in rows:
        if r.seq <= last_seq.get(r.person, -1):
            out_of_order += 1
        last_seq[r.person] = r.seq
    assert lost == 0 and doubled == 0, (lost, doubled)
    assert out_of_order == 0, f"{out_of_order} records applied out of their person's order"
    figures.add(
        Figure(
            fault="one of three brokers killed under load",
            how=(
                f"a three-node KRaft cluster (each node broker and controller) on loopback; a topic of 6 partitions, "
                f"replication factor 3, min.insync.replicas 2. {total:,} check-ins of {PERSONS} persons are sent "
                f"by the "
                f"platform's producer (acks=all, idempotent) in batches of {BATCH}, and read by two instances of the "
                f"platform's consumer runner in one group; node 2 is killed with SIGKILL after {KILL_AFTER:.0%} of the "
                "stream and stays down."
            ),
            events_sent=total,
            faults_injected=1,
            expected=total,
            delivered_once=len(distinct),
            lost=lost,
            doubled=doubled,
            recovery_s=round(recovery, 1),
            notes=[
                f"every partition had 3 replicas before the kill; in-sync replicas after it: {sorted(isr_after)}",
                f"sending took {sent_s:.1f} s; {retries} batch sends failed and were sent again",
                "each person's check-ins were applied in the order they were sent (0 out of order)",
                "recovery: from the kill until every record had its one effect",
            ],
        )
    )
