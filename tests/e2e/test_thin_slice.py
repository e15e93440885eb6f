"""The thin slice, every hop over real Kafka and PostgreSQL, each step in its own service process:
court order (gateway) → case (supervision) → fix far outside the county (gateway) → zone exit
(supervision) → one orange zone_exit alert (alerting, alerts.v1) → the command centre's live feed."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from shared import topics
from shared.identity import derive_person_id
from tests.e2e.sse import SseReader
from tests.factories import court_order
from tests.kafka_helpers import TopicTail
from tests.waiting import eventually

CONTRACT_FIELDS = {
    "alert_id",
    "person_id",
    "colour",
    "rule_id",
    "title_zh",
    "title_en",
    "raised_at",
    "ack_due_at",
    "dispose_due_at",
    "status",
    "jurisdiction",
    "evidence",
}
SHANGHAI = (31.23, 121.47)


async def gateway_token(client: httpx.AsyncClient, gw: str, agency: str) -> dict[str, str]:
    r = await client.post(
        f"{gw}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": f"{agency}-demo",
            "client_secret": f"{agency}-demo-secret",
        },
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def staff(client: httpx.AsyncClient, cc: str, username: str) -> dict[str, str]:
    r = await client.post(f"{cc}/api/v1/auth/login", json={"username": username, "password": f"{username}-secret"})
    r.raise_for_status()
    assert r.cookies.get("sps_session")  # the console's session cookie
    assert "httponly" in r.headers["set-cookie"].lower() and "secure" in r.headers["set-cookie"].lower()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def fix(person_id: str, lat: float, lon: float, at: datetime, accuracy: float = 12) -> dict:
    return {
        "person_id": person_id,
        "device_id": "EM-E2E",
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy,
        "recorded_at": at.isoformat(),
    }


async def case_open(client: httpx.AsyncClient, cc: str, person_id: str) -> None:
    """Until the person's case is open (the county sees it): a staff step needs the case; a fix
    does not (it is parked until the case opens)."""
    duty = await staff(client, cc, "duty-demo")

    async def visible() -> bool:
        return (await client.get(f"{cc}/api/v1/persons/{person_id}", headers=duty)).status_code == 200

    assert await eventually(visible, 30), f"no case for {person_id}"


async def alerts_for(bootstrap: str, person_id: str, min_count: int = 1, *, rule: str | None = None) -> list[dict]:
    """The person's records on alerts.v1 up to its end now (at least `min_count`, waiting up to
    30 s for them), from the session's one reader of the topic. With `rule`, waits (as long) until
    one of them is of that rule: a person may have other alerts before it, so a count alone would
    return before the one the test is about."""
    tail = TopicTail.of(bootstrap, topics.ALERTS)
    deadline = time.monotonic() + 30
    while True:
        left = max(deadline - time.monotonic(), 0.1)
        alerts = [orjson.loads(r.value) for r in await tail.records(person_id, min_count=min_count, timeout_s=left)]
        if rule is None or any(a["data"].get("rule_id") == rule for a in alerts) or time.monotonic() > deadline:
            return alerts
        await asyncio.sleep(0.2)


async def test_zone_exit_alert_end_to_end(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        duty = await staff(client, cc, "duty-demo")
        order = court_order(town="澄江街道")
        async with SseReader(f"{cc}/api/v1/alerts/stream", duty) as feed:
            r = await client.post(f"{gw}/v1/court-orders", json=order, headers=await gateway_token(client, gw, "court"))
            assert r.status_code == 202, r.text
            person_id = r.json()["person_id"]
            assert person_id == str(derive_person_id(order["person"]["id_number"], b"sps-demo-person-id-key"))

            device = await gateway_token(client, gw, "device")
            t0 = datetime.now(UTC).replace(microsecond=0)
            inside = fix(person_id, 31.91, 120.28, t0 - timedelta(minutes=1))
            assert (
                await client.post(f"{gw}/v1/locations", json={"fixes": [inside]}, headers=device)
            ).status_code == 202
            sent_at = time.monotonic()
            far = fix(person_id, *SHANGHAI, t0)
            r = await client.post(f"{gw}/v1/locations", json={"fixes": [far]}, headers=device)
            assert r.status_code == 202 and r.json() == {"accepted": 1}

            live = await feed.wait_for(lambda e: e.data.get("person_id") == person_id)
            print(f"\nfix accepted → alert on the live feed: {(live.received_at - sent_at) * 1000:.0f} ms")

            # The same cause seen again (the fix redelivered, the person still outside) is the same alert.
            # The canary: a strap cut after those fixes, on the same key, so judged after them; once
            # its alert is out, anything the redeliveries raised would be out too. A client resuming
            # after the zone alert meanwhile is replayed nothing up to it.
            seq = int(live.id)
            async with SseReader(f"{cc}/api/v1/alerts/stream", {**duty, "Last-Event-ID": str(seq)}) as after:
                more = [
                    far,
                    fix(person_id, *SHANGHAI, t0 + timedelta(minutes=1)),
                    fix(person_id, SHANGHAI[0] + 0.01, SHANGHAI[1], t0 + timedelta(minutes=2)),
                ]
                canary = {**fix(person_id, *SHANGHAI, t0 + timedelta(minutes=3)), "strap_intact": False}
                for batch in (more, [canary]):
                    r = await client.post(f"{gw}/v1/locations", json={"fixes": batch}, headers=device)
                    assert r.status_code == 202
                await after.wait_for(
                    lambda e: e.data.get("person_id") == person_id and e.data.get("rule_id") == "device_tamper"
                )
            assert all(int(e.id) > seq for e in after.events)

        assert live.event == "sps.alert.raised"
        alert = live.data
        assert CONTRACT_FIELDS <= alert.keys()
        assert alert["rule_id"] == "zone_exit" and alert["colour"] == "orange" and alert["status"] == "open"
        assert alert["jurisdiction"] == "澄江街道" and alert["title_zh"] and alert["title_en"]
        raised = datetime.fromisoformat(alert["raised_at"])
        assert raised == t0
        assert datetime.fromisoformat(alert["ack_due_at"]) - raised == timedelta(minutes=30)
        assert datetime.fromisoformat(alert["dispose_due_at"]) - raised == timedelta(hours=24)
        assert len(alert["evidence"]) >= 1

        on_kafka = await alerts_for(platform.bootstrap, person_id, min_count=2)
        zone = [e for e in on_kafka if e["data"]["rule_id"] == "zone_exit"]
        assert [e["type"] for e in zone] == ["sps.alert.raised"]  # one alert, however often the cause is seen
        assert [e["data"]["rule_id"] for e in on_kafka] == ["zone_exit", "device_tamper"]
        event = zone[0]
        assert event["specversion"] == "1.0" and event["source"] == "/sps/alerting"
        assert event["subject"] == person_id and event["correlationid"] and event["causationid"]
        assert event["data"]["alert_id"] == alert["alert_id"]
        uuid.UUID(event["id"])

        metrics = {
            name: (await client.get(f"{platform.url(name)}/metrics")).text
            for name in ("supervision", "alerting", "command_centre")
        }
        assert 'sps_events_consumed_total{service="supervision",topic="ingest.locations.v1"}' in metrics["supervision"]
        assert 'sps_events_produced_total{service="alerting",topic="alerts.v1"}' in metrics["alerting"]
        assert "sps_handler_seconds_bucket" in metrics["command_centre"] and "sps_consumer_lag" in metrics["alerting"]

        listed = (await client.get(f"{cc}/api/v1/alerts", headers=duty, params={"colour": "orange"})).json()
        assert [a["alert_id"] for a in listed if a["person_id"] == person_id] == [alert["alert_id"]]

        # Resume: a client that saw up to just before this alert gets it again (one that saw it got
        # nothing up to it, above).
        async with SseReader(f"{cc}/api/v1/alerts/stream", {**duty, "Last-Event-ID": str(seq - 1)}) as again:
            replayed = await again.wait_for(lambda e: e.id == str(seq), timeout_s=10)
            assert replayed.data["alert_id"] == alert["alert_id"]


async def test_a_justice_officer_sees_only_their_own_office(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        court = await gateway_token(client, gw, "court")
        device = await gateway_token(client, gw, "device")
        ids = {}
        for town in ("澄江街道", "华士镇"):
            r = await client.post(f"{gw}/v1/court-orders", json=court_order(town=town), headers=court)
            ids[town] = r.json()["person_id"]
        now = datetime.now(UTC)
        fixes = [fix(pid, *SHANGHAI, now) for pid in ids.values()]
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": fixes}, headers=device)).status_code == 202
        duty = await staff(client, cc, "duty-demo")
        officer = await staff(client, cc, "officer-demo")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = {a["person_id"] for a in (await client.get(f"{cc}/api/v1/alerts", headers=duty)).json()}
            if set(ids.values()) <= seen:
                break
            await asyncio.sleep(0.3)
        assert set(ids.values()) <= seen
        officer_sees = {a["person_id"] for a in (await client.get(f"{cc}/api/v1/alerts", headers=officer)).json()}
        assert ids["澄江街道"] in officer_sees and ids["华士镇"] not in officer_sees
        r = await client.get(f"{cc}/api/v1/alerts", headers=officer, params={"jurisdiction": "华士镇"})
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        assert (await client.get(f"{cc}/api/v1/alerts")).status_code == 401
