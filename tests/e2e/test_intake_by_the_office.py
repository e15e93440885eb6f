"""报到 is recorded by the office (contract §7.5; docs/security.md, N8). Black-box, on the running
platform: a device's in-person and video check-ins leave the case awaiting intake; an officer of
the person's office records the report once (201), the same record again is answered with it
(200), another is a 409; the case is then under
supervision, with its first months strict. (Another office's officer is refused by the one
authority model: `tests/unit/test_intake.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from shared import topics
from tests.e2e.test_thin_slice import case_open, gateway_token, staff
from tests.factories import court_order
from tests.kafka_helpers import applied_by
from tests.waiting import eventually


async def test_the_office_records_the_report_once_and_a_device_cannot(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        order = court_order(town="澄江街道", electronic_monitoring=False)
        r = await client.post(f"{gw}/v1/court-orders", json=order, headers=await gateway_token(client, gw, "court"))
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        officer = await staff(client, cc, "officer-demo")  # 澄江街道

        async def status() -> str:
            page = (await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)).json()
            return page["cases"][-1]["status"]

        device = await gateway_token(client, gw, "device")
        now = datetime.now(UTC).replace(microsecond=0)
        visits = [{"person_id": person, "channel": c, "recorded_at": now.isoformat()} for c in ("in_person", "video")]
        assert (await client.post(f"{gw}/v1/checkins", json={"checkins": visits}, headers=device)).status_code == 202
        await applied_by(platform.bootstrap, "sps-supervision-main", topics.CHECKINS, person, "sps.ingest.checkin")
        assert await status() == "awaiting_intake"  # kept as check-ins only

        url = f"{cc}/api/v1/persons/{person}/intake"
        report = {"reported_at": (now - timedelta(minutes=30)).isoformat(), "note": "本人持判决书到所报到"}
        r = await client.post(
            url, json={**report, "reported_at": (now + timedelta(hours=1)).isoformat()}, headers=officer
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reported_at"
        first = await client.post(url, json=report, headers=officer)
        assert first.status_code == 201, first.text
        record = first.json()
        assert record["channel"] == "office" and record["recorded_by"] == "officer-demo"
        assert record["note"] == report["note"]
        again = await client.post(url, json=report, headers=officer)
        assert again.status_code == 200 and again.json() == record
        other = await client.post(url, json={**report, "note": "另一条记录"}, headers=officer)
        assert other.status_code == 409 and other.headers["content-type"].startswith("application/problem+json")
        assert await status() == "under_supervision"

        async def reports_on_file() -> int:
            timeline = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=officer)).json()
            return [t["event_type"] for t in timeline].count("sps.supervision.intake-reported")

        assert await eventually(reports_on_file, 30) == 1  # once, though recorded twice

        async def strict() -> bool:
            programmes = (await client.get(f"{cc}/api/v1/persons/{person}/programmes", headers=officer)).json()
            return programmes["cases"][-1]["level"] == "strict"

        assert await eventually(strict, 30)
