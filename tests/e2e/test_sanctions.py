"""Sanctions recorded by staff: counted per case; the second warning raises a red sanction_threshold
alert, and risk reassesses with the new count."""

from __future__ import annotations

import httpx

from tests.e2e.test_risk import risk_of
from tests.e2e.test_thin_slice import alerts_for, gateway_token, staff
from tests.factories import court_order


async def test_second_warning_is_red_and_triggers_reassessment(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer = await staff(client, cc, "officer-demo")
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await risk_of(client, cc, officer, person)  # the intake assessment (and the case) exist
        first = await client.post(
            f"{cc}/api/v1/persons/{person}/sanctions",
            headers=officer,
            json={"kind": "warning", "reason": "未经批准离开江阴"},
        )
        assert first.status_code == 201, first.text
        assert first.json()["count"] == 1 and first.json()["recorded_by"] == "officer-demo"
        second = await client.post(
            f"{cc}/api/v1/persons/{person}/sanctions",
            headers=officer,
            json={"kind": "warning", "reason": "再次未按时报告"},
        )
        assert second.status_code == 201 and second.json()["count"] == 2
        assert (
            await client.post(
                f"{cc}/api/v1/persons/{person}/sanctions", headers=officer, json={"kind": "fine", "reason": "x"}
            )
        ).status_code == 422

        raised = [
            e["data"]
            for e in await alerts_for(platform.bootstrap, person, min_count=1)
            if e["type"] == "sps.alert.raised"
        ]
        assert [(a["rule_id"], a["colour"]) for a in raised] == [("sanction_threshold", "red")]
        history = (await risk_of(client, cc, officer, person, min_history=3))["history_by_version"]["2026.1"]
        assert [a["trigger"] for a in history] == ["intake", "sanction:warning", "sanction:warning"]
        assert next(i for i in history[-1]["items"] if i["item"] == "warnings")["value"] == 2
