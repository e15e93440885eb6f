"""PostgreSQL stops mid-stream and comes back. Every service says so on /readyz (503) while it is
away, holds its place on Kafka (nothing is committed that was not handled), reconnects by
itself, and the alerts and opened handovers of what arrived meanwhile exist once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bench import load
from bench.raw import produce, producer
from shared import topics
from tests.faults.conftest import scaled
from tests.faults.helpers import open_cases, run_id, settle
from tests.faults.test_kill9 import notice
from tools.devstack import procs
from tools.devstack.stack import SERVICES

pytestmark = pytest.mark.faults

FIRST, PERSONS, NOTICES = 930_000, scaled(100, 20), scaled(200, 40)
DOWN_S = 8.0


async def readiness(platform) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=3) as http:

        async def one(name: str) -> int:
            try:
                return (await http.get(f"{platform.url(name)}/readyz")).status_code
            except httpx.HTTPError:
                return 0

        codes = await asyncio.gather(*(one(n) for n in SERVICES))
    return dict(zip(SERVICES, codes))


async def test_postgres_restarted_mid_stream_services_report_not_ready_and_recover(platform, figures):
    run = run_id()
    p = producer(platform.bootstrap)
    await p.start()
    try:
        ids = await open_cases(platform, p, FIRST, PERSONS, inside=True)
        notices = [notice(k, f"PG{run}") for k in range(NOTICES)]
        await produce(p, topics.RELEASE_NOTICES, notices[: NOTICES // 2])

        platform.pg.stop(mode="fast")
        stopped = time.monotonic()
        # While the database is away: every person leaves the county, the other notices arrive.
        await produce(p, topics.LOCATIONS, [load.fix(FIRST + i, *load.SHANGHAI) for i in range(PERSONS)])
        await produce(p, topics.RELEASE_NOTICES, notices[NOTICES // 2 :])
        not_ready: set[str] = set()
        while time.monotonic() - stopped < DOWN_S:
            not_ready |= {name for name, code in (await readiness(platform)).items() if code == 503}
            await asyncio.sleep(0.5)
        assert not_ready == set(SERVICES), f"still ready without a database: {set(SERVICES) - not_ready}"
    finally:
        await p.stop()
    platform.pg.start()
    procs.write_pid(platform.pidfile("postgres"), platform.pg.pid() or 0)
    restarted = time.monotonic()
    while set((codes := await readiness(platform)).values()) != {200}:
        assert time.monotonic() - restarted < 60, f"not ready again: {codes}"
        await asyncio.sleep(0.25)
    ready_s = time.monotonic() - restarted

    done = await settle(platform, ids, f"FAULT-PG{run}-", NOTICES, since=restarted)
    figures.add(
        done.figure(
            fault="PostgreSQL restarted mid-stream",
            how=(
                f"{PERSONS} persons with cases and {NOTICES} pre-release notices straight onto Kafka. PostgreSQL is "
                f"stopped (pg_ctl stop -m fast: every connection cut) after half the notices; while it is down "
                f"({DOWN_S:.0f} s) every person's fix outside the county and the other notices are produced; then it "
                "is started again. Nothing restarts the services."
            ),
            events_sent=3 * PERSONS + NOTICES,
            notes=[
                f"all {len(SERVICES)} services answered 503 on /readyz while the database was away, and 200 again "
                f"{ready_s:.1f} s after it was back",
                f"{PERSONS} zone_exit alerts each once in the database and on alerts.v1 ({done.again} raised records "
                "redelivered with the same id)",
                f"{NOTICES} handovers opened, each once",
            ],
        )
    )
