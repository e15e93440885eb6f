"""Risk through real Kafka and every service: a national-security parolee's order → high and an
orange risk_high alert; a mild case → low and no alert; a second sanction → reassessment; a
professional override with its reason, beside the computed level; the quality report."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared import topics
from shared.envelope import new_event
from shared.events import SanctionRecorded
from shared.kafka.producer import EventProducer
from tests.e2e.test_thin_slice import alerts_for, gateway_token, staff
from tests.factories import court_order


async def risk_of(client, cc, headers, person_id, min_history: int = 1) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = await client.get(f"{cc}/api/v1/persons/{person_id}/risk", headers=headers)
        if r.status_code == 200:
            body = r.json()
            if sum(len(v) for v in body["history_by_version"].values()) >= min_history:
                return body
        await asyncio.sleep(0.3)
    raise AssertionError(f"no risk assessment: {r.status_code} {r.text[:200]}")


async def test_risk_levels_alerts_reassessment_and_override(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        court = await gateway_token(client, gw, "court")
        supervisor = await staff(client, cc, "supervisor-demo")
        ns = court_order(
            town="澄江街道", sentence_kind="parole", offence="危害国家安全罪", offence_category="national_security"
        )
        mild = court_order(town="澄江街道", sentence_kind="probation", offence="盗窃罪", offence_category="property")
        high_id = (await client.post(f"{gw}/v1/court-orders", json=ns, headers=court)).json()["person_id"]
        low_id = (await client.post(f"{gw}/v1/court-orders", json=mild, headers=court)).json()["person_id"]

        high = await risk_of(client, cc, supervisor, high_id)
        assert high["latest"]["level"] == "high" and high["latest"]["trigger"] == "intake"
        assert any("national security" in e for e in high["latest"]["explanation"]["en"])
        assert high["latest"]["explanation"]["zh"]
        raised = await alerts_for(platform.bootstrap, high_id, min_count=1)
        assert [(e["data"]["rule_id"], e["data"]["colour"]) for e in raised] == [("risk_high", "orange")]

        low = await risk_of(client, cc, supervisor, low_id)
        assert low["latest"]["level"] == "low"  # and no alert for it: see the canary below

        # A second warning (supervision would publish this when the office records it).
        producer = EventProducer(platform.bootstrap, "test")
        await producer.start()
        sanction = SanctionRecorded(
            person_id=uuid.UUID(low_id),
            jurisdiction="澄江街道",
            cause="sanction:w2",
            observed_at=datetime.now(UTC),
            kind="warning",
            count=2,
            reason="未按时报告",
        )
        await producer.publish(
            topics.SUPERVISION_EVENTS,
            new_event("sps.supervision.sanction-recorded", "/sps/supervision", sanction, subject=low_id),
        )
        await producer.stop()
        again = await risk_of(client, cc, supervisor, low_id, min_history=2)
        latest = again["latest"]
        assert latest["trigger"] == "sanction:warning"
        assert next(i for i in latest["items"] if i["item"] == "warnings") == {
            "item": "warnings",
            "value": 2,
            "points": 8.0,
        }
        assert latest["total"] > low["latest"]["total"]

        r = await client.post(
            f"{cc}/api/v1/persons/{low_id}/risk/{latest['assessment_id']}/override",
            headers=supervisor,
            json={"level": "high", "reason": "x"},
        )
        assert r.status_code == 422  # the reason is mandatory and real
        r = await client.post(  # an assessment is overridden only through its own person
            f"{cc}/api/v1/persons/{high_id}/risk/{latest['assessment_id']}/override",
            headers=supervisor,
            json={"level": "low", "reason": "借他人页面改写评估"},
        )
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        overridden_at = datetime.now(UTC)
        r = await client.post(
            f"{cc}/api/v1/persons/{low_id}/risk/{latest['assessment_id']}/override",
            headers=supervisor,
            json={"level": "high", "reason": "家属反映其近期扬言报复被害人"},
        )
        assert r.status_code == 200, r.text
        after = (await client.get(f"{cc}/api/v1/persons/{low_id}/risk", headers=supervisor)).json()["latest"]
        assert (after["level"], after["override_level"], after["computed_level"]) == (
            "high",
            "high",
            latest["computed_level"],
        )
        assert after["override_reason"].startswith("家属反映") and after["overridden_by"] == "supervisor-demo"
        raised = [
            e["data"] for e in await alerts_for(platform.bootstrap, low_id, min_count=2) if e["type"].endswith("raised")
        ]
        assert sorted(a["rule_id"] for a in raised) == ["risk_high", "sanction_threshold"], raised
        # The canary: the override's risk_high came on the same key after the intake's low assessment,
        # so alerting had judged that one by then; it raised nothing (the one risk_high is the override's).
        (high_alert,) = [a for a in raised if a["rule_id"] == "risk_high"]
        assert datetime.fromisoformat(high_alert["raised_at"]) >= overridden_at - timedelta(seconds=1)

        r = await client.post(f"{cc}/api/v1/persons/{low_id}/risk/assess", headers=supervisor)
        assert r.status_code == 201 and r.json()["trigger"] == "on demand by supervisor-demo"
        # The decision stands over the fresh assessment (its computed level is not above it).
        assert (r.json()["level"], r.json()["override_level"]) == ("high", "high")
        now = (await client.get(f"{cc}/api/v1/persons/{low_id}/risk", headers=supervisor)).json()["latest"]
        assert (now["trigger"], now["override_carried_from"]) == (
            "on demand by supervisor-demo",
            latest["assessment_id"],
        )
        # A decision made on an assessment that is no longer the latest reaches the later one.
        r = await client.post(
            f"{cc}/api/v1/persons/{low_id}/risk/{latest['assessment_id']}/override",
            headers=supervisor,
            json={"level": "high", "reason": "复核后维持高风险"},
        )
        assert r.status_code == 200, r.text
        now = (await client.get(f"{cc}/api/v1/persons/{low_id}/risk", headers=supervisor)).json()["latest"]
        assert (now["level"], now["override_reason"], now["override_carried_from"]) == (
            "high",
            "复核后维持高风险",
            latest["assessment_id"],
        )

        quality = (await client.get(f"{cc}/api/v1/risk/quality", headers=supervisor)).json()
        assert quality["overridden"] >= 1 and quality["override_rate"] > 0 and quality["overrides_raising_level"] >= 1
        assert quality["by_office"]["澄江街道"]["high"] >= 1
        assert quality["by_offence_category"]["national_security"]["high"] >= 1
        assert (
            await client.get(f"{cc}/api/v1/risk/quality", headers=await staff(client, cc, "duty-demo"))
        ).status_code == 403
