"""The Kafka broker dies mid-stream (kill -9) and comes back. While it is away the gateway keeps
answering 202 (its outbox holds what Kafka cannot take) and the services keep what they publish
in their outboxes; afterwards everything drains, and every alert and opened handover exists once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bench import load
from bench.raw import producer
from tests.e2e.test_thin_slice import gateway_token
from tests.faults.conftest import scaled
from tests.faults.helpers import gateway_notice, open_cases, post_until_accepted, run_id, settle
from tools.devstack import procs

pytestmark = pytest.mark.faults

FIRST, PERSONS, NOTICES = 920_000, scaled(100, 20), scaled(100, 20)
DOWN_S = 8.0


async def test_broker_killed_and_restarted_mid_stream_loses_and_doubles_nothing(platform, figures):
    run = run_id()
    p = producer(platform.bootstrap)
    await p.start()
    try:
        ids = await open_cases(platform, p, FIRST, PERSONS, inside=True)
    finally:
        await p.stop()
    async with httpx.AsyncClient(base_url=platform.url("exchange"), timeout=60) as http:
        device, prison = await gateway_token(http, "", "device"), await gateway_token(http, "", "prison")
        first_half = [gateway_notice(f"BRK-{run}-{k:04d}", load.OFFICES[k % 17]) for k in range(NOTICES // 2)]
        for body in first_half:
            await post_until_accepted(http, "/v1/release-notices", body, prison)

        assert platform.kafka.stop(kill=True), "the broker was not running"
        killed = time.monotonic()
        # While the broker is away: every person leaves the county, and the rest of the notices come in.
        outside = [
            {**load.gateway_fix(FIRST + i), "lat": load.SHANGHAI[1], "lon": load.SHANGHAI[0]} for i in range(PERSONS)
        ]
        refused = await post_until_accepted(http, "/v1/locations", {"fixes": outside}, device)
        for k in range(NOTICES // 2, NOTICES):
            body = gateway_notice(f"BRK-{run}-{k:04d}", load.OFFICES[k % 17])
            refused += await post_until_accepted(http, "/v1/release-notices", body, prison)
        accepted_while_down = time.monotonic() - killed
        await asyncio.sleep(max(0.0, DOWN_S - accepted_while_down))
        pid = platform.kafka.start()
        procs.write_pid(platform.pidfile("kafka"), pid)
        restarted = time.monotonic()
        await platform.kafka.wait_ready_async()
        broker_ready_s = time.monotonic() - restarted

    done = await settle(platform, ids, f"BRK-{run}-", NOTICES, since=restarted)
    figures.add(
        done.figure(
            fault="Kafka broker killed and restarted mid-stream",
            how=(
                f"{PERSONS} persons with cases, {NOTICES} pre-release notices through the gateway. The only broker is "
                f"killed with SIGKILL after half the notices; while it is down ({DOWN_S:.0f} s), every person's fix "
                "outside the county and the other half of the notices are posted to the gateway; then the broker is "
                "started again on the same data."
            ),
            events_sent=2 * PERSONS + NOTICES,
            notes=[
                f"the gateway accepted everything posted while the broker was down ({refused} answers of 503 "
                "with Retry-After before that; a client that honours it loses nothing)",
                f"the broker itself (a JVM recovering its logs after SIGKILL) answered again {broker_ready_s:.1f} s "
                f"after it was started; the platform had caught up {done.recovery_s - broker_ready_s:.1f} s after that",
                f"{PERSONS} zone_exit alerts each once in the database and on alerts.v1 ({done.again} raised records "
                f"redelivered with the same id), {done.alert_s:.1f} s after the broker answered",
                f"{NOTICES} handovers opened on handover.events.v1, each once",
            ],
        )
    )
