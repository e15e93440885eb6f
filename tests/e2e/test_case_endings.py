"""解矫 through the gateway and real Kafka (#21, contract §6.2): a term that has run out closes by
itself; its ending reaches the court that made the order, the procuratorate and the police
(`GET /v1/court/case-endings`), once; the office announces the end and prints the certificate,
the one document that names the person, rendered here to PNG and read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pypdfium2 as pdfium

from shared.county import default_county
from tests.e2e.test_thin_slice import case_open, gateway_token, staff
from tests.factories import court_order
from tests.internal_calls import service_headers
from tests.waiting import eventually


async def test_a_served_term_ends_its_case_notifies_the_agencies_and_prints_its_certificate(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    today = default_county().day_of(datetime.now(UTC))
    order = court_order(
        town="澄江街道",
        term_start=(today - timedelta(days=366)).isoformat(),
        term_end=(today - timedelta(days=1)).isoformat(),  # served: its end is due at once
    )
    order["person"]["name"] = "解矫甲"
    async with httpx.AsyncClient(timeout=20) as client:
        court = await gateway_token(client, gw, "court")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await case_open(client, cc, person)

        async def ending_for(headers: dict[str, str]) -> dict | None:
            page = (await client.get(f"{gw}/v1/court/case-endings", headers=headers)).json()
            mine = [e for e in page["items"] if e["person_id"] == person]
            assert len(mine) <= 1  # one notice per case
            return mine[0] if mine else None

        ending = await eventually(lambda: ending_for(court), 60)
        assert ending["ending"] == "term_served" and ending["custody"] is False
        assert ending["order_no"] == order["order_no"] and ending["term_end"] == order["term_end"]
        assert ending["certificate_no"].startswith(f"({(today - timedelta(days=1)).year})澄矫解字第")
        assert "name" not in ending["person"] and ending["person"]["name_masked"].endswith("*")
        for agency in ("procuratorate", "police"):  # they read every ending; a prison none
            assert await ending_for(await gateway_token(client, gw, agency)) == ending
        prison = await gateway_token(client, gw, "prison")
        assert (await client.get(f"{gw}/v1/court/case-endings", headers=prison)).status_code == 403

        officer, duty = await staff(client, cc, "officer-demo"), await staff(client, cc, "duty-demo")

        async def ended() -> bool:
            page = (await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)).json()
            return page["cases"][-1]["status"] == "ended"

        assert await eventually(ended, 30)
        url = f"{cc}/api/v1/persons/{person}/ending-announcement"
        announced = {"announced_at": datetime.now(UTC).isoformat(), "place": "澄江街道司法所"}
        r = await client.post(url, json={**announced, "announced_at": "2099-01-01T00:00:00Z"}, headers=officer)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "announced_at"  # never ahead
        r = await client.post(url, json=announced, headers=officer)
        assert r.status_code == 201, r.text
        assert (await client.post(url, json=announced, headers=officer)).status_code == 409  # once

        pdf_url = f"{cc}/api/v1/persons/{person}/ending-certificate.pdf"
        refused = await client.get(pdf_url, headers=duty)  # the duty desk may not print identities
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
        r = await client.get(pdf_url, headers=officer)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf" and r.headers["cache-control"] == "no-store"
        page = pdfium.PdfDocument(r.content)[0]
        text = "".join(page.get_textpage().get_text_range().split())
        assert "解除社区矫正证明书" in text and ending["certificate_no"] in text
        assert f"社区矫正对象解矫甲，男，公民身份号码{order['person']['id_number']}" in text  # from the vault
        assert "在澄江街道司法所宣告解除社区矫正" in text
        image = page.render(scale=1).to_pil().convert("L")
        assert image.getextrema()[0] < 80  # drawn

        # N5 (contract §7.3): the vault is served only on the exchange's internal listener. On the
        # agencies' port and the console's, `/internal/` is not there at all, token or none.
        vault = f"/internal/v1/identities/{person}"
        as_cc = service_headers(
            "exchange", {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"}, stack=platform
        )
        for public in (gw, cc):
            for headers in ({}, as_cc):
                r = await client.get(f"{public}{vault}", headers=headers)
                assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), r.text
        inside = platform.internal_url("exchange")
        assert (
            await client.get(f"{inside}/v1/court/case-endings", headers=court)
        ).status_code == 404  # nor the reverse
        r = await client.get(f"{inside}{vault}", headers=as_cc)
        assert r.status_code == 200 and r.json()["id_number"] == order["person"]["id_number"]
        # The vault's own record of each opening, on the procuratorate's trail (the print's and this one).
        procuratorate = await gateway_token(client, gw, "procuratorate")

        async def vault_reads() -> list | None:
            trail = (await client.get(f"{gw}/v1/audit", params={"person_id": person}, headers=procuratorate)).json()
            reads = [e for e in trail["entries"] if e["resource"] == "identity" and e["service"] == "exchange"]
            return reads if len(reads) >= 2 else None

        reads = await eventually(vault_reads, 30)
        assert {e["actor"] for e in reads} == {"officer-demo"}

        timeline = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=officer)).json()
        kinds = [t["event_type"] for t in timeline]
        assert "sps.exchange.case-ending" in kinds and "sps.supervision.ending-announced" in kinds


async def test_the_office_announces_the_end_and_prints_the_certificate_in_the_console(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    today = default_county().day_of(datetime.now(UTC))
    order = court_order(
        town="澄江街道",
        term_start=(today - timedelta(days=200)).isoformat(),
        term_end=today.isoformat(),  # today is the last day: the case is still open
        electronic_monitoring=False,
    )
    async with httpx.AsyncClient(timeout=20) as client:
        gw = platform.url("exchange")
        r = await client.post(f"{gw}/v1/court-orders", json=order, headers=await gateway_token(client, gw, "court"))
        assert r.status_code == 202, r.text
        person = r.json()["person_id"]
        await found_by_officer(client, platform, order["order_no"])

    page = await persons_page(browser, platform, "duty-demo", person, "overview")
    await expect(page.locator("#p-ending")).to_contain_text("矫正期满")
    await expect(page.locator("#p-certificate")).to_have_count(0)  # the duty desk prints no identity
    await page.context.close()

    page = await persons_page(browser, platform, "officer-demo", person, "overview")
    await page.click('#p-ending button[data-action="announceEnding"]')
    form = page.locator('form[data-action="announceEnding"]')
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    await form.locator('[name="announced_at"]').fill(now)
    await form.locator('[name="place"]').fill("澄江街道司法所")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await page.click("#tab-timeline")
    await expect(page.locator("#p-timeline-list")).to_contain_text("解矫宣告")
    await page.click("#tab-overview")
    href = await page.locator("#p-certificate").get_attribute("href")
    r = await page.request.get(platform.url("command_centre") + href)  # the session's cookie
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(pdfium.PdfDocument(await r.body())[0].get_textpage().get_text_range().split())
    assert "王五" in text and "在澄江街道司法所宣告解除社区矫正" in text
    await page.context.close()
