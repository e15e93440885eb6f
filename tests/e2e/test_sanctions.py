"""Sanctions recorded by staff: counted per case; the second warning raises a red sanction_threshold
alert, and risk reassesses with the new count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from shared.county import default_county
from shared.periods import within_days
from tests.e2e.test_risk import risk_of
from tests.e2e.test_thin_slice import alerts_for, case_open, gateway_token, staff
from tests.factories import court_order
from tests.waiting import eventually


async def test_second_warning_is_red_and_triggers_reassessment(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        officer = await staff(client, cc, "officer-demo")
        county = await staff(client, cc, "duty-demo")  # 警告 is the county bureau's (policy/authority.yaml)
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await risk_of(client, cc, officer, person)  # the intake assessment (and the case) exist
        refused = await client.post(
            f"{cc}/api/v1/persons/{person}/sanctions",
            headers=officer,
            json={"kind": "warning", "reason": "未经批准离开江阴"},
        )
        assert refused.status_code == 403 and "county" in refused.json()["detail"]
        first = await client.post(
            f"{cc}/api/v1/persons/{person}/sanctions",
            headers=county,
            json={"kind": "warning", "reason": "未经批准离开江阴"},
        )
        assert first.status_code == 201, first.text
        assert first.json()["count"] == 1 and first.json()["recorded_by"] == "duty-demo"
        second = await client.post(
            f"{cc}/api/v1/persons/{person}/sanctions",
            headers=county,
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


async def test_a_revocation_proposal_goes_to_the_court_and_its_ruling_ends_the_case(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        court = await gateway_token(client, gw, "court")
        order = court_order(town="澄江街道")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await case_open(client, cc, person)
        officer, supervisor = await staff(client, cc, "officer-demo"), await staff(client, cc, "supervisor-demo")
        body = {"kind": "revocation_proposal", "reason": "脱管超过一个月"}
        r = await client.post(f"{cc}/api/v1/persons/{person}/sanctions", headers=officer, json=body)
        assert r.status_code == 403  # decided by the county bureau (policy/authority.yaml)
        r = await client.post(f"{cc}/api/v1/persons/{person}/sanctions", headers=supervisor, json=body)
        assert r.status_code == 201, r.text

        async def proposed() -> dict | None:
            page = (await client.get(f"{gw}/v1/court/revocation-proposals", headers=court)).json()
            return next((p for p in page["items"] if p["person_id"] == person), None)

        proposal = await eventually(proposed, 30)
        assert proposal["order_no"] == order["order_no"] and proposal["court"] == "江阴市人民法院"
        assert proposal["person"]["name_masked"].endswith("*") and "id_number" not in proposal["person"]
        # the court's thirty days, the last in full (docs/rules.md; policy/supervision.yaml revocation.court_days)
        decided = datetime.fromisoformat(proposal["decided_at"])
        expected = within_days(default_county(), decided, 30).due
        assert datetime.fromisoformat(proposal["ruling_due"]) == expected

        url = f"{gw}/v1/court/revocation-proposals/{proposal['proposal_id']}/ruling"
        ruling = {"ruling": "revoked", "ruled_at": datetime.now(UTC).isoformat(), "ruling_no": "(2026)苏0281刑更1号"}
        first = await client.post(url, json=ruling, headers=court)
        assert first.status_code == 202, first.text
        again = await client.post(url, json=ruling, headers=court)
        assert again.status_code == 202 and again.json() == first.json()  # a repeat: the first answer
        other = await client.post(url, json={**ruling, "ruling": "rejected"}, headers=court)
        assert other.status_code == 409 and other.headers["content-type"].startswith("application/problem+json")
        missing = await client.post(
            f"{gw}/v1/court/revocation-proposals/{uuid.uuid4()}/ruling", json=ruling, headers=court
        )
        assert missing.status_code == 404

        async def revoked() -> bool:
            page = (await client.get(f"{cc}/api/v1/persons/{person}", headers=supervisor)).json()
            return page["cases"][-1]["status"] == "revoked"

        assert await eventually(revoked, 30)
        kinds = [
            t["event_type"]
            for t in (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=supervisor)).json()
        ]
        assert "sps.ingest.revocation-ruling" in kinds and "sps.supervision.case-closed" in kinds
        # 收监执行: the police read the revoked case's ending, which asks them to take custody.
        police = await gateway_token(client, gw, "police")

        async def custody() -> dict | None:
            page = (await client.get(f"{gw}/v1/court/case-endings", headers=police)).json()
            return next((e for e in page["items"] if e["person_id"] == person), None)

        ending = await eventually(custody, 30)
        assert ending["ending"] == "revoked" and ending["custody"] is True and ending.get("certificate_no") is None
        assert ending["order_no"] == order["order_no"] and ending["court"] == "江阴市人民法院"


async def test_the_office_proposes_a_warning_and_the_county_approves_it_in_the_console(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.browser import order_in
    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    async with httpx.AsyncClient(timeout=20) as client:
        person, order_no = await order_in(client, platform, "澄江街道", electronic_monitoring=False)
        await found_by_officer(client, platform, order_no)
        cc = platform.url("command_centre")
        officer = await staff(client, cc, "officer-demo")
        body = {"kind": "admonition", "reason": "迟报"}
        r = await client.post(f"{cc}/api/v1/persons/{person}/sanction-proposals", json=body, headers=officer)
        assert r.status_code == 409  # an admonition is the office's own to record

    page = await persons_page(browser, platform, "officer-demo", person, "sanctions")
    await page.click('#p-actions button[data-action="sanctionPropose"]')
    form = page.locator('form[data-action="sanctionPropose"]')
    options = await form.locator('select[name="kind"] option').all_inner_texts()
    assert "训诫" not in options and "警告" in options  # only what the office may not decide itself
    await form.locator('select[name="kind"]').select_option("warning")
    await form.locator('[name="reason"]').fill("脱管12天，经查属实")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-proposals")).to_contain_text("待县局决定")
    await expect(page.locator('#p-proposals button[data-action="proposalApprove"]')).to_have_count(0)
    await page.context.close()

    page = await persons_page(browser, platform, "supervisor-demo", person, "sanctions")
    await page.locator('#p-proposals button[data-action="proposalApprove"]').click()
    form = page.locator('form[data-action="proposalApprove"]')
    await form.locator('[name="note"]').fill("情况属实，予以警告")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-proposals")).to_have_count(0)
    await expect(page.locator("#p-sanctions")).to_contain_text("officer-demo提请")
    await page.context.close()
