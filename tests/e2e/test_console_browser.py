"""The console in real headless Chromium (Debian's package, driven by Playwright; no browser
download), every service a real process: each role logs in; an alert caused through the gateway
appears without a reload and is acknowledged and disposed (核实 → 处置 → 跟踪) from the board; a justice officer does
not see another office's alert; map, person page and handover board render; the statistics page
draws its charts and the XLSX report holds the right figures."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook
from playwright.async_api import expect

from shared.county import default_county
from tests.e2e.browser import alert_of, fix_outside, open_page, signed_in
from tests.e2e.browser import order_in as _order_in
from tests.e2e.test_thin_slice import staff


async def logged_in(browser, platform, username: str):
    return await signed_in(browser, platform, username)


async def order_in(client: httpx.AsyncClient, platform, town: str, **over) -> str:
    return (await _order_in(client, platform, town, **over))[0]


async def test_each_role_logs_in_sees_its_name_and_logs_out(platform, browser):
    county = default_county()
    missing = county.years_to_list(county.day_of(datetime.now(UTC)))  # docs/rules.md: shown, never silent
    for username in ("duty-demo", "supervisor-demo", "officer-demo", "head-demo"):
        page = await logged_in(browser, platform, username)
        await expect(page.locator("#nav")).to_be_visible()
        if missing:
            await expect(page.locator("#calendar-missing")).to_contain_text(f"{missing[0]}年法定节假日尚未录入")
        else:
            await expect(page.locator("#calendar-missing")).to_have_count(0)
        await page.click("#logout")
        await expect(page.locator("#login-view")).to_be_visible()
        await page.reload()  # the session cookie is gone: still the login form
        await expect(page.locator("#login-view")).to_be_visible()
        await page.context.close()
    page = await (await browser.new_context()).new_page()
    await page.goto(platform.url("command_centre") + "/")
    await page.fill("input[name=username]", "duty-demo")
    await page.fill("input[name=password]", "wrong")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("用户名或密码错误")


async def test_alert_through_the_gateway_appears_live_and_is_handled_from_the_board(platform, browser):
    page = await logged_in(browser, platform, "duty-demo")
    async with httpx.AsyncClient(timeout=10) as client:
        person_id = await order_in(client, platform, "澄江街道")
        await fix_outside(client, platform, person_id)
        alert = await alert_of(client, platform, person_id)
    row = page.locator(f'tr[data-alert-id="{alert["alert_id"]}"]')
    await expect(row).to_be_visible(timeout=15_000)  # arrived over SSE: the page was never reloaded
    await expect(row).to_contain_text("离开江阴市")
    await row.locator('button[data-step="acknowledge"]').click()
    await expect(row).to_contain_text("已签收")
    await row.locator('button[data-step="dispose"]').click()
    # 核实 → 处置 → 跟踪, each step recorded before the next (docs/console.md)
    await page.click("#dispose-next")
    await expect(page.locator("#dispose-form .error").first).to_have_text("此项必填")
    await page.fill("#dispose-form textarea[name=verify]", "已电话核实，本人在上海探亲")
    await page.click("#dispose-next")
    await page.select_option("#reason-select", "returned")
    await page.fill("#dispose-form textarea[name=note]", "责令当日返回，已返回")
    await page.click("#dispose-next")
    await page.fill("#dispose-form textarea[name=follow]", "三日内电话回访")
    await page.click("#dispose-ok")
    await expect(row).to_contain_text("已处置")
    async with httpx.AsyncClient(timeout=10) as client:
        disposed = await alert_of(client, platform, person_id)
    assert disposed["status"] == "disposed" and disposed["reason_code"] == "returned"
    assert disposed["disposal"] == {
        "verification": "已电话核实，本人在上海探亲",
        "action": "责令当日返回，已返回",
        "follow_up": "三日内电话回访",
    }
    # Named by masked name and case number, never a raw id.
    await expect(row.locator(".person-link")).to_contain_text("*")
    await expect(row).not_to_contain_text(person_id)


async def test_a_justice_officer_does_not_see_another_offices_alert(platform, browser):
    page = await logged_in(browser, platform, "officer-demo")  # 澄江街道
    async with httpx.AsyncClient(timeout=10) as client:
        elsewhere = await order_in(client, platform, "华士镇")
        mine = await order_in(client, platform, "澄江街道")
        await fix_outside(client, platform, elsewhere)
        await fix_outside(client, platform, mine)
        other_alert, my_alert = await alert_of(client, platform, elsewhere), await alert_of(client, platform, mine)
    await expect(page.locator(f'tr[data-alert-id="{my_alert["alert_id"]}"]')).to_be_visible(timeout=15_000)
    assert await page.locator(f'tr[data-alert-id="{other_alert["alert_id"]}"]').count() == 0
    offices = await page.locator("#rows tr td:nth-child(3)").all_inner_texts()
    assert offices and set(offices) == {"澄江街道"}
    await page.goto(platform.url("command_centre") + f"/#/persons/{elsewhere}")
    await expect(page.locator("#person-error")).to_contain_text("华士镇")


async def test_an_alert_that_moves_with_its_case_moves_on_the_live_board(platform, browser):
    """#38: the board listens for every alert step of the registry (`/api/v1/me` alert_steps), so a
    case moved to another office moves its open alert on a board already open, without a reload."""
    page = await logged_in(browser, platform, "duty-demo")
    async with httpx.AsyncClient(timeout=10) as client:
        person = await order_in(client, platform, "周庄镇")
        await fix_outside(client, platform, person)
        alert = await alert_of(client, platform, person)
        row = page.locator(f'tr[data-alert-id="{alert["alert_id"]}"]')
        await expect(row.locator("td:nth-child(3)")).to_have_text("周庄镇", timeout=15_000)
        head = await staff(client, platform.url("command_centre"), "head-demo")
        r = await client.post(
            f"{platform.url('command_centre')}/api/v1/persons/{person}/transfer",
            json={"to_office": "长泾镇", "reason": "本人迁居长泾镇"},
            headers=head,
        )
        assert r.status_code in (200, 201), r.text
    await expect(row.locator("td:nth-child(3)")).to_have_text("长泾镇", timeout=15_000)
    await page.context.close()


async def test_map_person_page_and_handover_board(platform, browser):
    async with httpx.AsyncClient(timeout=10) as client:
        person_id = await order_in(client, platform, "南闸街道")
        await fix_outside(client, platform, person_id)
    page = await logged_in(browser, platform, "duty-demo")
    await page.goto(platform.url("command_centre") + f"/#/map/{person_id}")
    await expect(page.locator("#map path.county")).to_have_count(1)
    await expect(page.locator(f'#map circle.pos.bad[data-person="{person_id}"]')).to_have_count(1)
    await expect(page.locator("#map polyline.track")).to_have_count(1)
    await page.locator(f'#map circle[data-person="{person_id}"]').dispatch_event("click")
    await expect(page.locator("#person-view")).to_be_visible()
    await expect(page.locator("#p-name")).to_contain_text("*")  # masked identity only
    await expect(page.locator("#p-name")).not_to_contain_text("王五")
    await page.click("#tab-timeline")
    await expect(page.locator("#p-timeline-list li")).not_to_have_count(0)
    await page.click("#tab-alerts")
    await expect(page.locator("#p-alerts")).to_contain_text("离开江阴市")
    await open_page(page, "handover")
    await expect(page.locator("#hv-upcoming thead")).to_have_count(1)
    await expect(page.locator("#hv-not_arrived thead")).to_have_count(1)


async def stats_of(cc: str, month: str) -> dict:
    async with httpx.AsyncClient(timeout=20) as client:
        head = await staff(client, cc, "head-demo")
        return (await client.get(f"{cc}/api/v1/statistics", params={"month": month}, headers=head)).json()


async def test_statistics_page_charts_and_the_monthly_xlsx(platform, browser):
    cc = platform.url("command_centre")
    month = default_county().month_of(datetime.now(UTC))  # the county's month, as the server counts
    async with httpx.AsyncClient(timeout=20) as client:
        head = await staff(client, cc, "head-demo")

        async def office_row():
            stats = (await client.get(f"{cc}/api/v1/statistics", params={"month": month}, headers=head)).json()
            return next((o for o in stats["offices"] if o["office"] == "祝塘镇"), {})

        before = await office_row()
        # without the court's monitoring (which counts as positioning too, D5): the bureau's term alone
        people = [await order_in(client, platform, "祝塘镇", electronic_monitoring=False) for _ in range(2)]
        deadline = time.monotonic() + 30
        while (await office_row()).get("corrections", 0) < before.get("corrections", 0) + 2:
            assert time.monotonic() < deadline, "the two new cases never counted"
            await asyncio.sleep(0.3)
        r = await client.post(
            f"{cc}/api/v1/persons/{people[0]}/positioning",
            headers=head,
            json={"ground": "revocation_pending", "device_id": "EM-XLSX"},
        )
        assert r.status_code == 201, r.text
        after = await office_row()
        positioned_before = round((before.get("positioning_rate") or 0) * before.get("corrections", 0))
        expected_rate = round((positioned_before + 1) / (before.get("corrections", 0) + 2), 3)
        assert after["positioning_rate"] == expected_rate
        report = await client.get(f"{cc}/api/v1/reports/monthly.xlsx", params={"month": month}, headers=head)
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(report.content))
    sheet = book["统计报告"]
    header = [c.value for c in sheet[2]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert len([o for o in rows if o not in ("目标", "全市")]) == 17
    assert rows["祝塘镇"]["社区矫正人数"] == after["corrections"] == before.get("corrections", 0) + 2
    # 全市: the offices' counts added up, and its rates those of the sums (docs/indicators.md)
    offices = [r for name, r in rows.items() if name not in ("目标", "全市")]
    whole = rows["全市"]
    assert whole["社区矫正人数"] == sum(r["社区矫正人数"] for r in offices)
    positioned = sum(round((r["电子定位率"] or 0) * r["社区矫正人数"]) for r in offices)
    assert whole["电子定位率"] == round(positioned / whole["社区矫正人数"], 3)
    assert rows["祝塘镇"]["电子定位率"] == expected_rate
    assert rows["目标"]["后续照管率"] == 0.9 and rows["目标"]["操守保持率"] == 0.5
    assert rows["目标"]["重点人员必接率"] == 1.0 and rows["目标"]["一般人员接送率"] == 0.7
    assert "预警统计" in book.sheetnames
    definitions = {r[0]: r[1] for r in book["指标定义"].iter_rows(min_row=2, values_only=True)}
    assert "尿检阴性" in definitions["操守保持率"] and "释放日期在本月" in definitions["本月刑满释放人数"]
    assert "缓刑" in rows["祝塘镇"]["本月入矫（按刑种）"]  # the two new orders are probation (others may be there)

    page = await logged_in(browser, platform, "supervisor-demo")
    await open_page(page, "stats")
    rates = len((await stats_of(cc, month))["indicators"])  # one chart per rate, each with its definition
    await expect(page.locator("#charts figure.chart")).to_have_count(rates)
    # each figure with its definition beside it, as docs/indicators.md
    await expect(page.locator('figure[data-indicator="abstinence_rate"] .definition')).to_contain_text("尿检阴性")
    await expect(page.locator('th[data-indicator="contact_lost"] .definition')).to_contain_text("失去联系")
    chart = page.locator('figure[data-indicator="positioning_rate"]')
    await expect(chart.locator(".chart-box svg")).to_have_count(1)  # drawn by ECharts
    await expect(chart.locator(".chart-data tr")).to_have_count(17)  # and its figures as a table
    await expect(chart.locator('.chart-data tr[data-office="祝塘镇"] td')).to_have_text(
        f"{after['positioning_rate'] * 100:.1f}%"
    )
    await expect(page.locator('figure[data-indicator="aftercare_rate"] figcaption')).to_contain_text("目标 90.0%")
    await expect(page.locator("#county-total th")).to_have_text("全市")


async def test_the_board_shows_county_time_and_how_fresh_it_is_in_any_browser_zone(platform, browser):
    page = await signed_in(browser, platform, "duty-demo", timezone_id="America/New_York")
    context = page.context
    await expect(page.locator("#fresh")).to_contain_text("更新于")  # the live feed's last word
    # 17:00 UTC on 30 November is noon in New York and 01:00 on 1 December in Jiangyin.
    shown = await page.evaluate("fmtTime('2026-11-30T17:00:00Z')")
    assert shown.startswith("2026/12/1") and "01:00" in shown, shown
    county = await page.evaluate("window.COUNTY")
    assert county["timeZone"] == "Asia/Shanghai" and len(county["today"]) == 10
    await context.close()
