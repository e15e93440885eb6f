"""One trace from the gateway to the alert: a fix posted with a W3C `traceparent` leads to spans
in the gateway, supervision, alerting and the command centre, each the child of the one before
(carried in Kafka headers), and the alert's record on alerts.v1 carries the same trace."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx
import orjson

from bench import load
from bench.raw import producer
from shared import topics
from tests.conftest import TRACES
from tests.faults.helpers import open_cases, wait_alerts
from tests.kafka_helpers import decoded, header, read_topic

PERSON = 950_000


def spans_of(trace_id: str) -> list[dict]:
    out = []
    for path in TRACES.glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            span = orjson.loads(line)
            if span["trace_id"] == trace_id:
                out.append(span)
    return out


def services_in(spans: list[dict]) -> set[str]:
    return {s["service"] for s in spans}


async def test_a_fix_and_its_alert_share_one_trace_across_four_services(platform):
    p = producer(platform.bootstrap)
    await p.start()
    try:
        [person_id] = await open_cases(platform, p, PERSON, 1)
    finally:
        await p.stop()
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    async with httpx.AsyncClient(base_url=platform.url("exchange"), timeout=30) as http:
        r = await http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "device-demo",
                "client_secret": "device-demo-secret",
            },
        )
        fix = {**load.gateway_fix(PERSON), "lat": load.SHANGHAI[1], "lon": load.SHANGHAI[0]}
        r = await http.post(
            "/v1/locations",
            json={"fixes": [fix]},
            headers={
                "Authorization": f"Bearer {r.json()['access_token']}",
                "traceparent": f"00-{trace_id}-{caller_span}-01",
            },
        )
        assert r.status_code == 202, r.text
    await wait_alerts(platform, "zone_exit", [person_id], timeout_s=60)

    raised = [
        rec
        for rec, event in decoded(await read_topic(platform.bootstrap, topics.ALERTS, timeout_s=20))
        if event.get("data", {}).get("person_id") == person_id
    ]
    assert raised and all((header(rec, "traceparent") or "").split("-")[1] == trace_id for rec in raised)

    wanted = {"sps-exchange", "sps-supervision", "sps-alerting", "sps-command_centre"}
    deadline = time.monotonic() + 20
    while not wanted <= services_in(spans := spans_of(trace_id)):
        assert time.monotonic() < deadline, f"spans of the trace so far: {[(s['service'], s['name']) for s in spans]}"
        await asyncio.sleep(0.5)
    by_id = {s["span_id"]: s for s in spans}
    [root] = [s for s in spans if s["parent_id"] == caller_span]
    assert root["service"] == "sps-exchange" and root["kind"] == "SERVER" and root["name"] == "POST /v1/locations"
    for span in spans:
        assert span["parent_id"] == caller_span or span["parent_id"] in by_id, f"orphan span {span}"

    def services_to_root(span: dict) -> list[str]:
        """The services a span's ancestry passes through, from the root (each named once per hop)."""
        chain = [span["service"]]
        while span["parent_id"] in by_id:
            span = by_id[span["parent_id"]]
            if span["service"] != chain[-1]:
                chain.append(span["service"])
        return list(reversed(chain))

    feed = [s for s in spans if s["service"] == "sps-command_centre" and s["kind"] == "CONSUMER"]
    assert feed and services_to_root(feed[0]) == [
        "sps-exchange",
        "sps-supervision",
        "sps-alerting",
        "sps-command_centre",
    ]
    assert {s["attributes"].get("messaging.destination.name") for s in spans if s["kind"] == "CONSUMER"} >= {
        topics.LOCATIONS,
        topics.SUPERVISION_EVENTS,
        topics.ALERTS,
    }
