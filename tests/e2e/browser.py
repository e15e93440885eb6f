"""The console in Debian's chromium, driven by Playwright (no browser download): signing in at a
desk's or a phone's size, and the gateway calls that give the console something to show."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime

import httpx
from playwright.async_api import Page, expect

from tests.e2e.test_thin_slice import SHANGHAI, fix, gateway_token, staff
from tests.factories import court_order

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-extensions",
]
DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}  # officers in the field (矫务通)


async def signed_in(browser, platform, username: str, viewport: dict | None = None, **context) -> Page:
    ctx = await browser.new_context(locale="zh-CN", viewport=viewport or DESK, **context)
    page = await ctx.new_page()
    await page.goto(platform.url("command_centre") + "/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", f"{username}-secret")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#board-view")).to_be_visible()
    await expect(page.locator("#user")).to_contain_text(username)
    return page


async def open_page(page: Page, name: str) -> None:
    """Through the navigation, as staff would: the side bar on a desk, the drawer on a phone."""
    if await page.locator(".menu-button").count():
        await page.click(".menu-button")
    await page.locator(f'a[data-page="{name}"]').last.click()


async def order_in(client: httpx.AsyncClient, platform, town: str, **over) -> tuple[str, str]:
    """A court order through the gateway: the person's id and the order's number."""
    gw = platform.url("exchange")
    order = court_order(town=town, **over)
    r = await client.post(f"{gw}/v1/court-orders", json=order, headers=await gateway_token(client, gw, "court"))
    assert r.status_code == 202, r.text
    return r.json()["person_id"], order["order_no"]


async def fix_outside(client: httpx.AsyncClient, platform, person_id: str) -> None:
    gw = platform.url("exchange")
    device = await gateway_token(client, gw, "device")
    for _ in range(50):  # until supervision has opened the case (it answers no alert before)
        r = await client.post(
            f"{gw}/v1/locations", json={"fixes": [fix(person_id, *SHANGHAI, datetime.now(UTC))]}, headers=device
        )
        assert r.status_code == 202
        if await alert_of(client, platform, person_id):
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the fix raised no alert")


async def alert_of(client, platform, person_id: str) -> dict | None:
    duty = await staff(client, platform.url("command_centre"), "duty-demo")
    alerts = (await client.get(f"{platform.url('command_centre')}/api/v1/alerts", headers=duty)).json()
    return next((a for a in alerts if a["person_id"] == person_id), None)
