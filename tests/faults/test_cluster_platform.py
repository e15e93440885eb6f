"""Beyond one machine: the whole platform on a three-broker KRaft cluster (replication factor 3,
min.insync.replicas 2, SASL as on one node), PostgreSQL with a synchronous streaming standby,
two instances each of supervision and alerting (`make up CLUSTER=3`, docs/operations.md).

Under a steady background of fixes, three faults in turn, each while agencies post through the
gateway: a broker killed with SIGKILL (not restarted until its round is counted), a supervision
replica killed with SIGKILL (likewise), and the PostgreSQL primary killed with SIGKILL and its
standby promoted by the operator's step (`make promote`). After each: every zone_exit alert
and every receipt exists exactly once, counted by natural ids."""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import httpx
import pytest

from bench import load
from bench.raw import producer
from shared import topics
from tests.conftest import TEST_ROOT
from tests.e2e.test_thin_slice import gateway_token
from tests.faults.helpers import Load, gateway_notice, open_cases, post_until_accepted, replica_counts, run_id, settle
from tools.devstack import procs
from tools.devstack.postgres import PostgresPair
from tools.devstack.stack import Stack

pytestmark = pytest.mark.faults

PERSONS, NOTICES = 60, 60
BACKGROUND_PER_S, BACKGROUND_PERSONS = 200, 300
FIRST = {"broker": 940_000, "supervision": 941_000, "postgres": 942_000, "background": 943_000}
PROMOTE_AFTER_S = 2.0  # the operator's reaction time, as short as a script watching the primary makes it


async def standby_is_synchronous(pair: PostgresPair) -> bool:
    sql = "select sync_state from pg_stat_replication"
    states = await asyncio.to_thread(pair.primary._psql, sql + ";", password=pair.passwords["postgres"])
    return states.split() == ["sync"]


@pytest.fixture(scope="module")
def cluster():
    root = TEST_ROOT / "cluster-platform"
    shutil.rmtree(root, ignore_errors=True)
    saved = dict(os.environ)
    stack = Stack(
        root=root,
        kafka_port=29292,
        pg_port=25532,
        port_offset=20000,
        durable=False,  # fsync off; commits still wait for the standby (synchronous_commit=on)
        extra_env={"SPS_DEMO_MODE": "true"},
        say=lambda msg: print(f"[cluster] {msg}"),
        brokers=3,
        standby=True,
        replicas={"supervision": 2, "alerting": 2},
    )
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
        os.environ.clear()
        os.environ.update(saved)


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
        f"after it. Recovery is from the fault to the last alert and receipt."
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
                    f"{NOTICES} receipts on exchange.outbound.v1, each once; the gateway answered 503 with "
                    f"Retry-After {refused} times (a client that honours it loses nothing)",
                    f"{sent_background:,} background fixes over the three rounds",
                ],
            )
        )
