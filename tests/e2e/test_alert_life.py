"""An alert's life through the command centre's staff API, every service a real process:
acknowledge → dispose (reason code) → close (supervisor for orange), office limits, silences,
quality — and each step on alerts.v1 and the live feed."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from shared.county import default_county
from tests.e2e.sse import SseReader
from tests.e2e.test_thin_slice import SHANGHAI, alerts_for, fix, gateway_token, staff
from tests.factories import court_order


async def person_with_alert(client: httpx.AsyncClient, platform, town: str) -> tuple[str, dict]:
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    r = await client.post(
        f"{gw}/v1/court-orders", json=court_order(town=town), headers=await gateway_token(client, gw, "court")
    )
    person_id = r.json()["person_id"]
    device = await gateway_token(client, gw, "device")
    r = await client.post(
        f"{gw}/v1/locations", json={"fixes": [fix(person_id, *SHANGHAI, datetime.now(UTC))]}, headers=device
    )
    assert r.status_code == 202
    duty = await staff(client, cc, "duty-demo")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mine = [
            a for a in (await client.get(f"{cc}/api/v1/alerts", headers=duty)).json() if a["person_id"] == person_id
        ]
        if mine:
            return person_id, mine[0]
        await asyncio.sleep(0.2)
    raise AssertionError("no alert")


async def test_acknowledge_dispose_close_with_roles_and_offices(platform):
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer = await staff(client, cc, "officer-demo")  # 澄江街道
        duty = await staff(client, cc, "duty-demo")
        supervisor = await staff(client, cc, "supervisor-demo")
        person_id, alert = await person_with_alert(client, platform, "澄江街道")
        _, elsewhere = await person_with_alert(client, platform, "华士镇")
        aid = alert["alert_id"]
        async with SseReader(f"{cc}/api/v1/alerts/stream", duty) as feed:
            r = await client.post(f"{cc}/api/v1/alerts/{elsewhere['alert_id']}/acknowledge", headers=officer)
            assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
            # Another office's alert does not exist for this officer (its detail fails closed).
            assert (await client.get(f"{cc}/api/v1/alerts/{elsewhere['alert_id']}", headers=officer)).status_code == 404

            r = await client.post(f"{cc}/api/v1/alerts/{aid}/acknowledge", headers=officer, json={"note": "在核实"})
            assert r.status_code == 200, r.text
            assert (r.json()["status"], r.json()["actor"], r.json()["version"]) == ("acknowledged", "officer-demo", 2)
            again = await client.post(f"{cc}/api/v1/alerts/{aid}/acknowledge", headers=officer)
            assert again.status_code == 409

            r = await client.post(
                f"{cc}/api/v1/alerts/{aid}/dispose", headers=officer, json={"reason_code": "because", "note": "x"}
            )
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason_code"
            r = await client.post(
                f"{cc}/api/v1/alerts/{aid}/dispose",
                headers=officer,
                json={"reason_code": "returned", "note": "电话联系，已返回江阴"},
            )
            assert r.status_code == 200 and r.json()["status"] == "disposed" and r.json()["reason_code"] == "returned"

            r = await client.post(f"{cc}/api/v1/alerts/{aid}/close", headers=duty, json={"note": "ok"})
            assert r.status_code == 403  # orange closes only with a supervisor's sign-off
            r = await client.post(f"{cc}/api/v1/alerts/{aid}/close", headers=supervisor, json={"note": "审核通过"})
            assert r.status_code == 200 and r.json()["status"] == "closed"

            await feed.wait_for(lambda e: e.data.get("alert_id") == aid and e.event == "sps.alert.closed")
            steps = [e.event for e in feed.events if e.data.get("alert_id") == aid]
        assert steps == ["sps.alert.acknowledged", "sps.alert.disposed", "sps.alert.closed"]

        on_kafka = [
            (e["type"], e["data"]["version"], e["data"]["actor"])
            for e in await alerts_for(platform.bootstrap, person_id, min_count=4)
        ]
        assert on_kafka == [
            ("sps.alert.raised", 1, "system"),
            ("sps.alert.acknowledged", 2, "officer-demo"),
            ("sps.alert.disposed", 3, "officer-demo"),
            ("sps.alert.closed", 4, "supervisor-demo"),
        ]
        detail = (await client.get(f"{cc}/api/v1/alerts/{aid}", headers=supervisor)).json()
        assert [(s["step"], s["actor"]) for s in detail["log"]] == [
            ("raised", "system"),
            ("acknowledged", "officer-demo"),
            ("disposed", "officer-demo"),
            ("closed", "supervisor-demo"),
        ]
        assert "电话联系" in detail["log"][2]["reason"]

        quality = await client.get(f"{cc}/api/v1/alert-quality", headers=supervisor)
        assert quality.status_code == 200
        zone = next(r for r in quality.json()["rules"] if r["rule_id"] == "zone_exit")
        assert zone["disposed"] >= 1 and zone["median_dispose_s"] is not None
        assert (await client.get(f"{cc}/api/v1/alert-quality", headers=duty)).status_code == 403


async def test_a_supervisor_silences_a_rule_for_a_person_recorded_and_shown(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        supervisor = await staff(client, cc, "supervisor-demo")
        officer = await staff(client, cc, "officer-demo")
        person_id, first = await person_with_alert(client, platform, "澄江街道")
        body = {"person_id": person_id, "rule_id": "zone_exit", "duration_minutes": 60, "reason": "就医，已口头报告"}
        assert (await client.post(f"{cc}/api/v1/silences", headers=officer, json=body)).status_code == 403
        r = await client.post(f"{cc}/api/v1/silences", headers=supervisor, json=body)
        assert r.status_code == 201, r.text
        assert (
            await client.get(f"{cc}/api/v1/silences", headers=officer)
        ).status_code == 403  # names any office's persons
        listed = (await client.get(f"{cc}/api/v1/silences", headers=supervisor)).json()
        assert any(s["person_id"] == person_id and s["created_by"] == "supervisor-demo" for s in listed)

        device = await gateway_token(client, gw, "device")
        now = datetime.now(UTC) + timedelta(seconds=5)
        back_and_out = [fix(person_id, 31.91, 120.28, now), fix(person_id, *SHANGHAI, now + timedelta(minutes=1))]
        assert (
            await client.post(f"{gw}/v1/locations", json={"fixes": back_and_out}, headers=device)
        ).status_code == 202
        events = await alerts_for(platform.bootstrap, person_id, min_count=2)
        raised = [e["data"] for e in events if e["type"] == "sps.alert.raised"]
        assert len(raised) == 2 and raised[0]["alert_id"] == first["alert_id"]
        second = raised[1]
        assert second["silenced_until"] and second["notify"] == [] and "就医" in second["reason"]


async def test_every_read_of_personal_data_is_on_the_audit_trail(platform):
    from shared import topics
    from tests.kafka_helpers import read_topic
    from tests.waiting import eventually

    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer = await staff(client, cc, "officer-demo")  # 澄江街道
        person_id, alert = await person_with_alert(client, platform, "澄江街道")
        month = default_county().month_of(datetime.now(UTC))
        for path in (
            "/api/v1/alerts",
            f"/api/v1/alerts/{alert['alert_id']}",
            "/api/v1/map/geometry",
            "/api/v1/map/positions",
            "/api/v1/handovers",
            f"/api/v1/key-persons/澄江街道/{month}",
        ):
            r = await client.get(f"{cc}{path}", headers=officer)
            assert r.status_code == 200, (path, r.text)

    wanted = {
        "alerts:list:澄江街道",
        f"alert:{alert['alert_id']}",
        "map:geometry:澄江街道",
        "map:positions:澄江街道",
        "handovers:all:澄江街道",
        f"key-persons:澄江街道:{month}",
    }

    async def audited():
        records = await read_topic(platform.bootstrap, topics.AUDIT, timeout_s=5)
        events = (orjson.loads(r.value) for r in records)
        seen = {  # other tests put records of their own on the topic (a producer's ACL test)
            d["resource"]
            for d in (e.get("data") or {} for e in events if isinstance(e, dict))
            if d.get("actor") == "officer-demo" and d.get("action") == "read"
        }
        return wanted <= seen or None

    assert await eventually(audited, 30)


async def test_an_office_supervisor_silences_only_the_persons_of_its_own_office(platform, monkeypatch):
    """N6: a silence names a person; an office's supervisor may name only its own office's, and
    sees only theirs listed (county staff see all)."""
    import io
    import uuid

    from services.command_centre import accounts
    from services.command_centre.main import CommandCentreSettings
    from tools.devstack.pg_roles import migrator_role, runtime_role

    settings = CommandCentreSettings(
        demo_mode=True,
        kafka_bootstrap_servers=platform.bootstrap,
        database_url=platform.pg.role_url(runtime_role("command_centre")),
        migration_database_url=platform.pg.role_url(migrator_role("command_centre")),
    )
    name, password = f"zhou.sup.{uuid.uuid4().hex[:6]}", "huashi-supervisor-password"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    args = ["add", name, "--role", "supervisor", "--office", "华士镇", "--password-stdin"]
    await accounts.run(accounts.parser().parse_args(args), settings)
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{cc}/api/v1/auth/login", json={"username": name, "password": password})
        assert r.status_code == 200, r.text
        huashi = {"Authorization": f"Bearer {r.json()['access_token']}"}
        county = await staff(client, cc, "supervisor-demo")
        theirs, _ = await person_with_alert(client, platform, "澄江街道")
        body = {"person_id": theirs, "rule_id": "zone_exit", "duration_minutes": 60, "reason": "不是本所的人"}
        assert (await client.post(f"{cc}/api/v1/silences", headers=huashi, json=body)).status_code == 403
        assert (await client.post(f"{cc}/api/v1/silences", headers=county, json=body)).status_code == 201
        listed = (await client.get(f"{cc}/api/v1/silences", headers=huashi)).json()
        assert not [s for s in listed if s["person_id"] == theirs]
        everything = (await client.get(f"{cc}/api/v1/silences", headers=county)).json()
        assert [s for s in everything if s["person_id"] == theirs]


async def test_an_office_or_month_in_a_path_is_checked_before_it_reaches_an_internal_url(platform):
    """L1: `..` in an office, or a month that is no month, answered 422 naming it, never a 500 or
    another internal route."""
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        duty = await staff(client, cc, "duty-demo")
        month = default_county().month_of(datetime.now(UTC))
        cases = (("%2E%2E", month, "office"), ("澄江街道", "2026-13", "month"), ("上海市", month, "office"))
        for office, when, field in cases:  # (`%2E%2E`: a client would take a bare `..` out of the path)
            for method in ("GET", "POST"):
                path = f"{cc}/api/v1/key-persons/{office}/{when}" + ("/confirm" if method == "POST" else "")
                r = await client.request(method, path, headers=duty, **({"json": {}} if method == "POST" else {}))
                assert r.status_code == 422, (method, path, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert field in r.text, r.text
