"""The platform under load: seeding persons, supervision's sustained fix rate and its cost per
fix, the gateway's batches, and latency from a fix to its alert and to the live feed."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from datetime import UTC, datetime

import httpx
import orjson
import psutil
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import load
from bench.observe import GroupWatch, Processes, counters, wait_members
from bench.raw import produce, producer
from shared import topics
from shared.kafka.connection import client_options
from tools.devstack.sse import SseReader
from tools.devstack.stack import Stack

console = Console()
SUPERVISION_GROUP = "sps-supervision-main"
ROWS_METRIC = "sps_supervision_position_rows"
GC_METRIC = "sps_gc_pause_seconds"


def supervision_engine(stack: Stack) -> AsyncEngine:
    """Supervision's database, as the superuser."""
    return create_async_engine(stack.database_url.rsplit("/", 1)[0] + "/sps_supervision")


async def seed(stack: Stack, persons: int) -> float:
    """Bench persons 0‥persons-1 as court orders; returns when supervision holds them all."""
    engine = supervision_engine(stack)
    like = load.bench_ref_like()
    started = time.perf_counter()
    try:
        async with engine.connect() as conn:
            have = await conn.scalar(sa.text("select count(*) from cases where source_ref like :p"), {"p": like})
        if have < persons:
            p = producer(stack.bootstrap)
            await p.start()
            try:
                await produce(p, topics.COURT_ORDERS, [load.court_order(i) for i in range(have, persons)])
            finally:
                await p.stop()
        while True:
            async with engine.connect() as conn:
                have = await conn.scalar(sa.text("select count(*) from cases where source_ref like :p"), {"p": like})
            console.print(f"  seeding: {have:,}/{persons:,} cases", end="\r")
            if have >= persons:
                break
            await asyncio.sleep(1.0)
    finally:
        await engine.dispose()
    console.print()
    await quiesce(stack)
    return time.perf_counter() - started


# Seeding ripples on (risk assesses every new case, supervision takes the results in): wait for
# every consumer to be idle, so a throughput window measures fixes and nothing else.
RIPPLES = [
    ("sps-risk-main", topics.COURT_ORDERS),
    ("sps-supervision-main", topics.COURT_ORDERS),
    ("sps-supervision-main", topics.RISK_EVENTS),
    ("sps-supervision-main", topics.SUPERVISION_EVENTS),
    ("sps-alerting-main", topics.SUPERVISION_EVENTS),
    ("sps-alerting-main", topics.RISK_EVENTS),
]


async def quiesce(stack: Stack, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    for group, topic in RIPPLES:
        async with GroupWatch(stack.bootstrap, group, topic) as watch:
            while (lag := await watch.lag()) > 0:
                console.print(f"  settling: {group} {topic} lag {lag:,}", end="\r")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{group} did not catch up on {topic}")
                await asyncio.sleep(1.0)
    console.print()


async def drain(watch: GroupWatch, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while await watch.lag() > 0:
        if time.monotonic() > deadline:
            raise TimeoutError("supervision did not catch up")
        await asyncio.sleep(0.5)


async def throughput(
    stack: Stack, procs: Processes, persons: int, seconds: float, rate_hint: int, instances: int = 1
) -> dict:
    """Supervision's capacity: stop it, put a backlog of fixes in front of it, start it again (as
    `instances` processes in its group) and measure what it consumes (committed offsets) and the
    CPU it spends, over the window."""
    async with GroupWatch(stack.bootstrap, SUPERVISION_GROUP, topics.LOCATIONS) as watch:
        await drain(watch)
        for i in range(instances):
            stack.stop_service("supervision", instance=i)
        p = producer(stack.bootstrap)
        await p.start()
        try:
            await produce(
                p, topics.LOCATIONS, load.inside_fixes(range(persons), int(rate_hint * (seconds + 5)), seed=persons)
            )
        finally:
            await p.stop()
        first = await watch.committed()  # stable: supervision is stopped
        for i in range(instances):
            stack.start_service("supervision", instance=i)
            procs.refresh("supervision", i)
        deadline = time.monotonic() + 300
        while await watch.committed() == first:  # from its first commit: startup and rebalance excluded
            if time.monotonic() > deadline:
                raise TimeoutError("supervision consumed nothing in 300 s")
            await asyncio.sleep(0.05)
        if instances > 1:
            await wait_members(stack.bootstrap, SUPERVISION_GROUP, instances, timeout_s=120)

        def cpu() -> float:
            return sum(procs.cpu_seconds("supervision", i) for i in range(instances))

        def summed(metric: str, label: str, suffix: str = "_total") -> dict[str, float]:
            total: dict[str, float] = {}
            for i in range(instances):
                for key, n in counters(stack.url("supervision", i), metric, label, suffix).items():
                    total[key] = total.get(key, 0.0) + n
            return total

        def rows() -> dict[str, float]:
            return summed(ROWS_METRIC, "table")

        def collector() -> dict[str, float]:
            return summed(GC_METRIC, "generation", "_sum")

        start_rows, start_gc = rows(), collector()
        start_committed, start_cpu, t0 = await watch.committed(), cpu(), time.perf_counter()
        lags: list[int] = []
        while time.perf_counter() - t0 < seconds:
            await asyncio.sleep(1.0)
            lags.append(await watch.lag())
            procs.sample_rss()
            if lags[-1] == 0:
                break  # drained early: the backlog was too small for the window (the window is reported)
        elapsed = time.perf_counter() - t0
        done = await watch.committed() - start_committed
        cpu_spent = cpu() - start_cpu
        written = {table: n - start_rows.get(table, 0.0) for table, n in rows().items()}
        paused = {gen: s - start_gc.get(gen, 0.0) for gen, s in collector().items()}
        await drain(watch)
        for i in range(1, instances):
            stack.stop_service("supervision", instance=i)
            procs.forget("supervision", i)
        if instances > 1:
            await wait_members(stack.bootstrap, SUPERVISION_GROUP, 1, timeout_s=120)
    return {
        "persons": persons,
        "seconds": round(elapsed, 1),
        "fixes": done,
        "fixes_per_s": round(done / elapsed),
        "supervision_cpu_us_per_fix": round(cpu_spent / done * 1e6, 1) if done else None,
        "supervision_cpu_share": round(cpu_spent / elapsed, 2),
        "lag_start": lags[0] if lags else 0,
        "lag_end": lags[-1] if lags else 0,
        "instances": instances,
        # The fix path's writes per fix, by table: what makes a fix dearer with more persons.
        "rows_per_fix": {table: round(n / done, 3) for table, n in sorted(written.items())} if done else {},
        # The cyclic collector's pauses per fix, by generation: the other cost that grows with the
        # state held (the more persons, the more of each fix's objects live long enough to be walked).
        "gc_us_per_fix": {gen: round(s / done * 1e6, 2) for gen, s in sorted(paused.items())} if done else {},
    }


async def gateway(
    stack: Stack, procs: Processes, persons: int, seconds: float, clients: int = 4, batch: int = 1000
) -> dict:
    """Authenticated batches of fixes through the gateway's HTTP API (each a 202 only once durable),
    with the CPU the gateway, supervision (consuming them meanwhile) and the clients spent a fix."""
    gw = stack.url("exchange")
    async with httpx.AsyncClient(base_url=gw, timeout=60) as http:
        r = await http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "device-demo",
                "client_secret": "device-demo-secret",
            },
        )
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        accepted, refused = 0, 0
        bodies = load.GatewayBodies(persons)
        auth["Content-Type"] = "application/json"
        me = psutil.Process()
        cpu = {"exchange": procs.cpu_seconds("exchange"), "supervision": procs.cpu_seconds("supervision")}
        client_cpu = sum(me.cpu_times()[:2])
        started = time.perf_counter()

        async def client(k: int):
            nonlocal accepted, refused
            i = k * batch  # the clients take turns: batch k, k + clients, … (every person)
            while time.perf_counter() - started < seconds:
                body = bodies.body(i, batch)
                i += batch * clients
                resp = await http.post("/v1/locations", content=body, headers=auth)
                if resp.status_code == 202:
                    accepted += batch
                else:
                    refused += 1
                    await asyncio.sleep(float(resp.headers.get("Retry-After", "0.2")))

        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - started
        spent = {name: procs.cpu_seconds(name) - before for name, before in cpu.items()}
        spent["clients"] = sum(me.cpu_times()[:2]) - client_cpu
    async with GroupWatch(stack.bootstrap, SUPERVISION_GROUP, topics.LOCATIONS) as watch:
        await drain(watch)
    return {
        "fixes_per_s": round(accepted / elapsed),
        "requests_refused": refused,
        "batch": batch,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "cpu_us_per_fix": {name: round(t / accepted * 1e6, 1) if accepted else None for name, t in spent.items()},
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 1)


async def latency(stack: Stack, persons: int, seconds: float, background_per_s: int, probes_per_s: int = 5) -> dict:
    """Under a steady background of inside fixes, probe fixes outside the county, each for a person
    not yet outside: time to its alert on alerts.v1 and on the command centre's live feed."""
    probe_people = list(range(persons - 1, persons - 1 - int(seconds * probes_per_s) - 1, -1))
    # Map probes: a fix a second for persons of their own; the map shows zone_state, so its
    # freshness is the time until the row holds the fix (at most the checkpoint interval).
    map_people = list(range(persons - len(probe_people) - 2, persons - len(probe_people) - 2 - int(seconds) - 1, -1))
    background_people = range(0, persons - len(probe_people) - len(map_people) - 2)
    map_sent: dict[str, tuple[float, datetime]] = {}
    map_seen: dict[str, float] = {}
    engine = supervision_engine(stack)

    async def watch_map():
        query = sa.text(
            "select person_id::text, last_fix_at from zone_state where person_id = any(cast(:ids as uuid[]))"
        )
        while True:
            waiting = [pid for pid in map_sent if pid not in map_seen]
            if waiting:
                async with engine.connect() as conn:
                    for pid, last in await conn.execute(query, {"ids": waiting}):
                        if last is not None and last >= map_sent[pid][1]:
                            map_seen[pid] = time.perf_counter()
            await asyncio.sleep(0.05)

    sent_at: dict[str, float] = {}
    on_topic: dict[str, float] = {}
    cc = stack.url("command_centre")
    # The observer's own collector must not pause its receipts: a full collection of what this
    # process holds after the earlier phases would be charged to the platform's latency (its
    # size and the time it takes are reported). Frozen, the collector leaves those objects alone.
    observer_objects, collected = len(gc.get_objects()), time.perf_counter()
    gc.collect()
    observer_gc_ms = round((time.perf_counter() - collected) * 1000, 1)
    gc.freeze()
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{cc}/api/v1/auth/login", json={"username": "duty-demo", "password": "duty-demo-secret"})
        r.raise_for_status()
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
    alerts = AIOKafkaConsumer(
        topics.ALERTS, bootstrap_servers=stack.bootstrap, group_id=None, auto_offset_reset="latest", **client_options()
    )
    await alerts.start()

    # Where the time goes, hop by hop: each record's CreateTime is when its producer sent it (the
    # bench for the probe, supervision's outbox relay for the zone event, alerting's for the alert).
    sent_wall: dict[str, float] = {}
    event_at: dict[str, float] = {}
    alert_at: dict[str, float] = {}
    events = AIOKafkaConsumer(
        topics.SUPERVISION_EVENTS,
        bootstrap_servers=stack.bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        **client_options(),
    )
    await events.start()

    async def watch_alerts():
        while True:
            for recs in (await alerts.getmany(timeout_ms=100)).values():
                arrived = time.perf_counter()
                for r in recs:
                    data = orjson.loads(r.value).get("data", {})
                    pid = data.get("person_id")
                    if pid in sent_at and pid not in on_topic and data.get("rule_id") == "zone_exit":
                        on_topic[pid] = arrived
                        alert_at[pid] = r.timestamp / 1000

    async def watch_events():
        while True:
            for recs in (await events.getmany(timeout_ms=100)).values():
                for r in recs:
                    event = orjson.loads(r.value)
                    pid = event.get("data", {}).get("person_id")
                    if pid in sent_at and pid not in event_at and event.get("type") == "sps.supervision.zone-exited":
                        event_at[pid] = r.timestamp / 1000

    watcher = asyncio.create_task(watch_alerts())
    hops = asyncio.create_task(watch_events())
    mapper = asyncio.create_task(watch_map())
    p, probes = producer(stack.bootstrap), producer(stack.bootstrap, linger_ms=0)
    await p.start()
    await probes.start()
    background = load.inside_fixes(background_people, 10**9, seed=7)
    try:
        async with SseReader(f"{cc}/api/v1/alerts/stream", staff) as feed:
            await asyncio.sleep(1.0)
            lags: list[int] = []
            watch = await GroupWatch(stack.bootstrap, SUPERVISION_GROUP, topics.LOCATIONS).__aenter__()
            t0 = time.perf_counter()
            tick, probe_every = 0.1, max(1, int(1 / (probes_per_s * 0.1)))
            k = 0
            while time.perf_counter() - t0 < seconds:
                tick_start = time.perf_counter()
                batch = [next(background) for _ in range(int(background_per_s * tick))]
                if k % probe_every == 0 and probe_people:
                    i = probe_people.pop()
                    key, value, headers = load.fix(i, *load.SHANGHAI)
                    sent = await (await probes.send(topics.LOCATIONS, value=value, key=key, headers=headers))
                    sent_at[str(load.person_id(i))] = time.perf_counter()
                    sent_wall[str(load.person_id(i))] = sent.timestamp / 1000
                if k % 10 == 5 and map_people:
                    i, at = map_people.pop(), datetime.now(UTC)
                    key, value, headers = load.fix(i, *load.INSIDE, at)
                    await (await p.send(topics.LOCATIONS, value=value, key=key, headers=headers))
                    map_sent[str(load.person_id(i))] = (time.perf_counter(), at)
                await produce(p, topics.LOCATIONS, batch)
                k += 1
                if k % 10 == 0:
                    lags.append(await watch.lag())
                await asyncio.sleep(max(0.0, tick - (time.perf_counter() - tick_start)))
            await watch.__aexit__(None, None, None)
            await asyncio.sleep(8.0)  # the last probes' alerts, and the last map probes' checkpoint
            on_feed = {}
            for event in feed.events:
                pid = event.data.get("person_id")
                if pid in sent_at and pid not in on_feed and event.event == "sps.alert.raised":
                    on_feed[pid] = event.received_at
    finally:
        for task in (watcher, mapper, hops):
            task.cancel()
        await asyncio.gather(watcher, mapper, hops, return_exceptions=True)
        await engine.dispose()
        await alerts.stop()
        await events.stop()
        await probes.stop()
        gc.unfreeze()
        await p.stop()
    # SseReader stamps with time.monotonic(); convert both clocks through one shared instant.
    offset = time.perf_counter() - time.monotonic()
    topic_ms = [(on_topic[pid] - sent_at[pid]) * 1000 for pid in on_topic]
    feed_ms = [(on_feed[pid] + offset - sent_at[pid]) * 1000 for pid in on_feed]
    # The probe's own CreateTime is the producer's stamp at send; the hops are in wall time.
    wall = time.time() - time.perf_counter()
    both = [pid for pid in alert_at if pid in event_at and pid in sent_wall]
    hop_ms = {
        "fix_to_zone_event": [(event_at[pid] - sent_wall[pid]) * 1000 for pid in both],
        "zone_event_to_alert": [(alert_at[pid] - event_at[pid]) * 1000 for pid in both],
        "alert_to_bench": [(on_topic[pid] + wall - alert_at[pid]) * 1000 for pid in both],
        "alert_to_feed": [(on_feed[pid] + offset + wall - alert_at[pid]) * 1000 for pid in both if pid in on_feed],
    }
    return {
        "probes": len(sent_at),
        "alerts_seen": len(topic_ms),
        "feed_seen": len(feed_ms),
        "background_per_s": background_per_s,
        "p50": percentile(topic_ms, 50),
        "p95": percentile(topic_ms, 95),
        "p99": percentile(topic_ms, 99),
        "live_feed_p50": percentile(feed_ms, 50),
        "live_feed_p99": percentile(feed_ms, 99),
        "map_probes": len(map_sent),
        "map_seen": len(map_seen),
        "map_freshness_p50_ms": percentile([(map_seen[p] - map_sent[p][0]) * 1000 for p in map_seen], 50),
        "map_freshness_max_ms": max((round((map_seen[p] - map_sent[p][0]) * 1000, 1) for p in map_seen), default=None),
        "lag_max": max(lags, default=None),
        "lag_last": lags[-1] if lags else None,
        "mean": round(statistics.fmean(topic_ms), 1) if topic_ms else None,
        "observer": {"objects": observer_objects, "full_collection_ms": observer_gc_ms},
        "hops_ms": {hop: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for hop, v in hop_ms.items()},
        "samples_ms": sorted(topic_ms),
    }


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
