"""Beyond one machine: the whole platform on a three-broker KRaft cluster (replication factor 3,
min.insync.replicas 2, SASL as on one node), PostgreSQL with a synchronous streaming standby,
two instances each of supervision and alerting (`make up CLUSTER=3`, docs/operations.md). One
cluster for the module, in two phases.

First, the brokers alone: one of the three is killed with SIGKILL under load; the platform's
producer (acks=all, idempotent) and consumer runner go on with the other two; every record is
applied once, each person's in order. The node is restarted before the second phase.

Then the platform: under a steady background of fixes, three faults in turn, each while agencies post through the
gateway: a broker killed with SIGKILL (not restarted until its round is counted), a supervision
replica killed with SIGKILL (likewise), and the PostgreSQL primary killed with SIGKILL and its
standby promoted by the operator's step (`make promote`). After each: every zone_exit alert
and every opened handover exists exactly once, counted by natural ids."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaError
from sqlalchemy.dialects import postgresql as pg

from bench import load
from bench.raw import producer
from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import encode, new_event
from shared.kafka.admin import ensure_topics
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.topics import dlq
from tests.e2e.test_thin_slice import gateway_token
from tests.faults.conftest import Figure, scaled
from tests.faults.helpers import Load, gateway_notice, open_cases, post_until_accepted, replica_counts, run_id, settle
from tests.scratch_db import scratch_database
from tests.session_stack import cli, cluster_env, describe_cluster
from tests.session_stack import cluster as cluster_start
from tools.devstack import procs
from tools.devstack.kafka import KafkaCluster
from tools.devstack.postgres import PostgresPair
from tools.devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.faults

PERSONS, NOTICES = scaled(60, 16), scaled(60, 16)
BACKGROUND_PER_S, BACKGROUND_PERSONS = scaled(200, 50), scaled(300, 60)
FIRST = {"broker": 940_000, "supervision": 941_000, "postgres": 942_000, "background": 943_000}
PROMOTE_AFTER_S = 2.0  # the operator's reaction time, as short as a script watching the primary makes it
PERSONS_CHECKIN, EACH, BATCH = scaled(200, 50), 100, 500  # the brokers' phase: 20,000 check-ins at full size
KILL_AFTER = 0.4  # the share of that stream sent before the kill


async def standby_is_synchronous(pair: PostgresPair) -> bool:
    sql = "select sync_state from pg_stat_replication"
    states = await asyncio.to_thread(pair.primary._psql, sql + ";", password=pair.passwords["postgres"])
    return states.split() == ["sync"]


@pytest.fixture(scope="module")
def cluster():
    """`make up CLUSTER=3` through its CLI, begun in the background when the session was collected
    (tests/conftest.py, tests/session_stack.py); this process talks to its brokers as the operator."""
    saved = dict(os.environ)
    try:
        cluster_start.wait()
        stack = describe_cluster()
        assert stack.credentials is not None
        os.environ.update(stack.credentials.operator_auth(demo=True).environ())
        yield stack
    finally:
        # Thrown away after the module: killed, not stopped gracefully (a graceful `down` after
        # these faults waited up to a minute on the brokers' and the services' shutdown), then
        # `down` to make sure nothing is left.
        if "stack" in locals():
            for name in SERVICES:
                for instance in stack.instances(name):
                    stack.stop_service(name, kill=True, instance=instance)
            stack.kafka.stop(kill=True)
            assert isinstance(stack.pg, PostgresPair)
            for node in (stack.pg.primary, stack.pg.standby):
                node.kill()
        cli("down", env=cluster_env())
        os.environ.clear()
        os.environ.update(saved)


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
        for person in range(PERSONS_CHECKIN):
            pid = str(uuid.UUID(int=person + 1))
            data = {"person_id": pid, "channel": "app", "recorded_at": (start + timedelta(seconds=seq)).isoformat()}
            event = new_event("sps.ingest.checkin", "/sps/test", data, subject=pid)
            out.append((topic, pid, encode(event), []))
    return out


async def in_sync(bootstrap: str, names, replicas: int, timeout_s: float = 120) -> None:
    """Until every partition of these topics has all its replicas in sync again."""
    deadline = time.monotonic() + timeout_s
    for name in names:
        while (isr := await replica_counts(bootstrap, name, "isr")) != {replicas}:
            assert time.monotonic() < deadline, f"{name}: in-sync replicas {isr} after {timeout_s:.0f}s"
            await asyncio.sleep(0.5)


async def test_one_of_three_brokers_killed_under_load_nothing_lost_consumers_go_on(cluster, stack, figures):
    """The first phase on the replicated platform's brokers: the platform's producer and consumer
    runner alone, on a topic of the test's own; the killed broker is back before the next phase."""
    brokers = cluster.kafka
    assert isinstance(brokers, KafkaCluster)
    engine = await scratch_database(stack, "sps_test_faults_cluster", effects_md)
    producer = EventProducer(brokers.bootstrap, "test", request_timeout_ms=10_000)
    tasks: list[asyncio.Task] = []
    victim = brokers.nodes[1]
    try:
        topic = f"test.cluster.{uuid.uuid4().hex[:8]}"
        await ensure_topics(
            brokers.bootstrap,
            [topic, dlq(topic)],
            partitions=6,
            replication_factor=3,
            configs={"min.insync.replicas": "2"},
        )
        await producer.start()
        replicas = await replica_counts(brokers.bootstrap, topic)
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
                registered_as={topic: topics.CHECKINS},
                engine=engine,
                producer=producer,
                bootstrap_servers=brokers.bootstrap,
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
        isr_after = await replica_counts(",".join(n.bootstrap for n in brokers.nodes if n.running()), topic, "isr")

        total = PERSONS_CHECKIN * EACH
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
        if not victim.running():  # back for the platform's phase, and caught up before it starts
            victim.start()
            await victim.wait_ready_async(120)
            await in_sync(brokers.bootstrap, topics.ALL_TOPICS, len(brokers.nodes))
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
                f"the replicated platform's three KRaft nodes (each broker and controller, SASL/SCRAM) on loopback, "
                f"before the platform's own phase; a topic of 6 partitions, "
                f"replication factor 3, min.insync.replicas 2. {total:,} check-ins of {PERSONS_CHECKIN} persons "
                f"are sent by the platform's producer (acks=all, idempotent) in batches of {BATCH}, and read by "
                f"two instances of the platform's consumer runner in one group; node 2 is killed with SIGKILL "
                f"after {KILL_AFTER:.0%} of the stream and stays down until the count."
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
                "the killed node was restarted after the count, before the replicated platform's phase",
            ],
        )
    )


async def one_round(cluster: Stack, fault: str, inject, heal, during=None) -> tuple:
    """Cases, half the notices, the fault, then everyone outside and the other half; counted.
    `during` (the operator's step) runs while the second half is being posted."""
    run = run_id()
    prefix = f"CL{fault[:3].upper()}-{run}-"
    p = producer(cluster.bootstrap)
    await p.start()
    try:
        ids = await open_cases(cluster, p, FIRST[fault], PERSONS, inside=True)
    finally:
        await p.stop()
    async with httpx.AsyncClient(base_url=cluster.url("exchange"), timeout=60) as http:
        device, prison = await gateway_token(http, "", "device"), await gateway_token(http, "", "prison")
        refused = 0
        for k in range(NOTICES // 2):
            body = gateway_notice(f"{prefix}{k:04d}", load.OFFICES[k % 17])
            refused += await post_until_accepted(http, "/v1/release-notices", body, prison)
        injected = time.monotonic()
        detail = await inject()
        step = asyncio.create_task(during()) if during else None
        outside = [
            {**load.gateway_fix(FIRST[fault] + i), "lat": load.SHANGHAI[1], "lon": load.SHANGHAI[0]}
            for i in range(PERSONS)
        ]
        refused += await post_until_accepted(http, "/v1/locations", {"fixes": outside}, device)
        for k in range(NOTICES // 2, NOTICES):
            body = gateway_notice(f"{prefix}{k:04d}", load.OFFICES[k % 17])
            refused += await post_until_accepted(http, "/v1/release-notices", body, prison)
        if step is not None:
            detail += "; " + await step
    done = await settle(cluster, ids, prefix, NOTICES, since=injected)
    await heal()
    return done, refused, detail


async def test_replicated_platform_loses_a_broker_a_replica_and_the_database_primary(cluster, figures):
    assert await replica_counts(cluster.bootstrap, topics.LOCATIONS) == {3}
    assert await replica_counts(cluster.bootstrap, topics.ALERTS, "isr") == {3}
    p = producer(cluster.bootstrap)
    await p.start()
    background = Load(p, FIRST["background"], BACKGROUND_PERSONS, BACKGROUND_PER_S)
    try:
        await open_cases(cluster, p, FIRST["background"], BACKGROUND_PERSONS)
        with background:
            victim = cluster.kafka.nodes[1]

            async def kill_broker() -> str:
                assert victim.running()
                victim.stop(kill=True)
                return f"broker {victim.node_id} (127.0.0.1:{victim.port}) killed"

            async def restart_broker() -> None:
                victim.start()
                await victim.wait_ready_async(120)

            broker = await one_round(cluster, "broker", kill_broker, restart_broker)

            async def kill_replica() -> str:
                assert cluster.stop_service("supervision", kill=True, instance=1), "supervision#2 was not running"
                return "supervision#2 killed; supervision#1 takes its partitions from their checkpoints"

            async def restart_replica() -> None:
                cluster.start_service("supervision", 1)
                await asyncio.to_thread(cluster.wait_ready, ["supervision"], 120, 1)

            replica = await one_round(cluster, "supervision", kill_replica, restart_replica)

            pair = cluster.pg
            assert isinstance(pair, PostgresPair)
            promoted: dict[str, float] = {}

            async def kill_primary() -> str:
                old = pair.primary
                assert await standby_is_synchronous(pair), "the standby does not stream synchronously"
                old.kill()
                assert not procs.alive(old.pid())
                return f"primary 127.0.0.1:{old.port} killed"

            async def promote() -> str:
                await asyncio.sleep(PROMOTE_AFTER_S)
                t = time.monotonic()
                new = await asyncio.to_thread(pair.promote)
                promoted["s"] = time.monotonic() - t
                assert not await asyncio.to_thread(new.in_recovery)
                return f"127.0.0.1:{new.port} promoted"

            async def after_failover() -> None:
                return None  # the old primary stays dead: a standby is rebuilt at the next start

            failover = await one_round(cluster, "postgres", kill_primary, after_failover, during=promote)
            sent_background = background.sent
    finally:
        await p.stop()

    how = (
        f"The platform as `make up CLUSTER=3` runs it: 3 KRaft brokers (replication factor 3, "
        f"min.insync.replicas 2, SASL/SCRAM), PostgreSQL with a synchronous streaming standby, two instances each of "
        f"supervision and alerting. A background of {BACKGROUND_PER_S} fixes/s for {BACKGROUND_PERSONS} persons "
        f"runs throughout. Each round: {PERSONS} persons with cases, {NOTICES} pre-release notices through the "
        f"gateway, half before the fault and half after it, with every person's fix outside the county posted "
        f"after it. Recovery is from the fault to the last alert and opened handover."
    )
    rounds = [
        ("one of three Kafka brokers killed (replicated platform)", broker, "not restarted until the round is counted"),
        ("one of two supervision replicas killed (replicated platform)", replica, "not restarted until counted"),
        (
            "PostgreSQL primary killed, standby promoted (replicated platform)",
            failover,
            f"promoted {PROMOTE_AFTER_S:.0f} s after the kill, while the gateway was being posted to; `pg_ctl "
            f"promote` took {promoted['s']:.1f} s; the services found the new primary through their multi-host "
            "DATABASE_URL (target_session_attrs=read-write) without a restart",
        ),
    ]
    for fault, (done, refused, detail), note in rounds:
        figures.add(
            done.figure(
                fault=fault,
                how=how,
                events_sent=2 * PERSONS + NOTICES,
                notes=[
                    f"{detail}; {note}",
                    f"{PERSONS} zone_exit alerts each once in the database and on alerts.v1 ({done.again} raised "
                    f"records redelivered with the same id)",
                    f"{NOTICES} handovers opened on handover.events.v1, each once; the gateway answered 503 with "
                    f"Retry-After {refused} times (a client that honours it loses nothing)",
                    f"{sent_background:,} background fixes over the three rounds",
                ],
            )
        )
