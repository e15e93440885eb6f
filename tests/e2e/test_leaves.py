"""An approved leave keeps a trip outside the county from being a breach; its end re-arms the rule.
Approval limits by level, through the command centre's staff API (contract §5)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from shared import topics
from tests.e2e.test_thin_slice import SHANGHAI, alerts_for, case_open, fix, gateway_token, staff
from tests.factories import court_order
from tests.kafka_helpers import applied_by


async def leave_known(platform, person: str, event_type: str) -> None:
    """Until supervision has applied the leave's event to its case view (it reads its own
    supervision.events.v1): the fixes sent next are judged with it."""
    await applied_by(platform.bootstrap, "sps-supervision-main", topics.SUPERVISION_EVENTS, person, event_type)


async def test_leave_inhibits_zone_exit_and_its_end_rearms_it(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer = await staff(client, cc, "officer-demo")  # 澄江街道
        duty = await staff(client, cc, "duty-demo")  # county
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        now = datetime.now(UTC).replace(microsecond=0)
        start, end = now - timedelta(minutes=1), now + timedelta(seconds=6)

        def leave(s, e):
            return {"start": s.isoformat(), "end": e.isoformat(), "destination": "上海市", "reason": "探亲"}

        r = await client.post(f"{cc}/api/v1/persons/{person}/leaves", headers=officer, json=leave(start, end))
        assert r.status_code == 201, r.text
        assert r.json()["approval_level"] == "justice_office" and r.json()["approved_by"] == "officer-demo"
        ten_days = leave(now + timedelta(days=1), now + timedelta(days=11))
        r = await client.post(f"{cc}/api/v1/persons/{person}/leaves", headers=officer, json=ten_days)
        assert r.status_code == 403 and "county" in r.json()["detail"]
        r = await client.post(f"{cc}/api/v1/persons/{person}/leaves", headers=duty, json=ten_days)
        assert r.status_code == 201 and r.json()["approval_level"] == "county"
        r = await client.post(
            f"{cc}/api/v1/persons/{person}/leaves",
            headers=duty,
            json=leave(now + timedelta(days=1), now + timedelta(days=32)),
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end"

        device = await gateway_token(client, gw, "device")
        await leave_known(platform, person, "sps.supervision.leave-approved")
        during = [fix(person, *SHANGHAI, now), fix(person, *SHANGHAI, now + timedelta(seconds=3))]
        # The canary: a strap cut after those fixes, judged after them (same person, same partition).
        canary = {**fix(person, *SHANGHAI, now + timedelta(seconds=4)), "strap_intact": False}
        for batch in (during, [canary]):
            assert (await client.post(f"{gw}/v1/locations", json={"fixes": batch}, headers=device)).status_code == 202
        raised = await alerts_for(platform.bootstrap, person, min_count=1)
        assert [e["data"]["rule_id"] for e in raised] == ["device_tamper"]  # on leave: no breach before it

        # Still outside when the leave ends: overdue (yellow), raised by the leave's end; then the
        # next fix outside breaches (orange).
        raised = await alerts_for(platform.bootstrap, person, min_count=2)
        assert [e["data"]["rule_id"] for e in raised] == ["device_tamper", "leave_overdue"]
        assert datetime.now(UTC) >= end
        after = [fix(person, *SHANGHAI, end + timedelta(seconds=1))]
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": after}, headers=device)).status_code == 202
        raised = await alerts_for(platform.bootstrap, person, min_count=3)
        rules = sorted({e["data"]["rule_id"] for e in raised})
        assert rules == ["device_tamper", "leave_overdue", "zone_exit"], rules

        page = (await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)).json()
        assert page["identity"]["id_number_masked"].count("*") == 10 and len(page["leaves"]) == 2
        timeline = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=officer)).json()
        kinds = [t["event_type"] for t in timeline]
        assert kinds[0] == "sps.supervision.case-opened" and "sps.supervision.leave-approved" in kinds
        assert "sps.supervision.zone-exited" in kinds
        # Every staff read and change of the person is on the procuratorate's audit trail.
        procuratorate = await gateway_token(client, gw, "procuratorate")
        for _ in range(50):
            trail = (await client.get(f"{gw}/v1/audit", params={"person_id": person}, headers=procuratorate)).json()
            seen = {(e["actor"], e["action"], e["resource"]) for e in trail["entries"]}
            if ("officer-demo", "read", "timeline") in seen:
                break
            await asyncio.sleep(0.2)
        assert any(actor == "court-demo" and action == "create" for actor, action, _ in seen)
        assert ("officer-demo", "create", "leave") in seen and ("duty-demo", "create", "leave") in seen
        assert ("officer-demo", "read", "person") in seen and ("officer-demo", "read", "timeline") in seen
        assert trail["chain"]["ok"] is True
        other = await staff(client, cc, "officer-demo")
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="华士镇"), headers=await gateway_token(client, gw, "court")
        )
        await case_open(client, cc, r.json()["person_id"])
        assert (await client.get(f"{cc}/api/v1/persons/{r.json()['person_id']}", headers=other)).status_code == 403


async def test_a_leave_applied_for_approved_then_returned_from_covers_only_until_the_return(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer, duty = await staff(client, cc, "officer-demo"), await staff(client, cc, "duty-demo")
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        now = datetime.now(UTC).replace(microsecond=0)
        base = f"{cc}/api/v1/persons/{person}"

        def leave(days: int) -> dict:
            end = now + timedelta(days=days)
            return {
                "start": (now - timedelta(minutes=5)).isoformat(),
                "end": end.isoformat(),
                "destination": "上海市",
                "reason": "探亲",
            }

        asked = await client.post(f"{base}/leave-requests", headers=officer, json=leave(2))
        assert asked.status_code == 201 and asked.json()["needs"] == "justice_office", asked.text
        leave_id = asked.json()["leave_id"]
        r = await client.post(
            f"{base}/leaves/{leave_id}/return", headers=officer, json={"returned_at": now.isoformat()}
        )
        assert r.status_code == 409  # not approved yet: nothing to return from
        assert (await client.post(f"{base}/leaves/{leave_id}/approve", headers=officer)).status_code == 200
        assert (await client.post(f"{base}/leaves/{leave_id}/approve", headers=officer)).status_code == 409

        long_id = (await client.post(f"{base}/leave-requests", headers=officer, json=leave(10))).json()["leave_id"]
        r = await client.post(f"{base}/leaves/{long_id}/approve", headers=officer)
        assert r.status_code == 403 and "county" in r.json()["detail"]
        r = await client.post(f"{base}/leaves/{long_id}/refuse", headers=duty, json={})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
        r = await client.post(f"{base}/leaves/{long_id}/refuse", headers=duty, json={"reason": "材料不全"})
        assert r.status_code == 200 and r.json()["declined_by"] == "duty-demo"

        device = await gateway_token(client, gw, "device")
        await leave_known(platform, person, "sps.supervision.leave-approved")
        during = [fix(person, *SHANGHAI, now)]
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": during}, headers=device)).status_code == 202
        back = datetime.now(UTC).replace(microsecond=0)
        r = await client.post(
            f"{base}/leaves/{leave_id}/return", headers=officer, json={"returned_at": back.isoformat()}
        )
        assert r.status_code == 200, r.text
        await leave_known(platform, person, "sps.supervision.leave-returned")
        after = [fix(person, *SHANGHAI, back + timedelta(seconds=2))]
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": after}, headers=device)).status_code == 202
        raised = await alerts_for(platform.bootstrap, person, min_count=1)
        # The leave had two days to run, but the return ended it: the fix after it breaches, the one before did not.
        assert [e["data"]["rule_id"] for e in raised] == ["zone_exit"]
        assert datetime.fromisoformat(raised[0]["data"]["raised_at"]) >= back

        statuses = {x["leave_id"]: x["status"] for x in (await client.get(base, headers=officer)).json()["leaves"]}
        assert statuses == {leave_id: "returned", long_id: "declined"}
        kinds = [t["event_type"] for t in (await client.get(f"{base}/timeline", headers=officer)).json()]
        for kind in ("leave-requested", "leave-approved", "leave-declined", "leave-returned"):
            assert f"sps.supervision.{kind}" in kinds, kind
