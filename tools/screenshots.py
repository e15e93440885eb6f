"""The README's console screenshots, from a running platform (`make up`, or `make demo` for live
alerts): the board, map and statistics at a desk, and at a phone's width the board, the caseload,
a person's page and a form.

    python -m tools.screenshots [--console http://127.0.0.1:8000] [--gateway http://127.0.0.1:8080]

A demo person is ordered through the gateway and given some casework through the staff API first,
so the person's page has something to show. Demo mode only (it signs in with the demo accounts).
"""

from __future__ import annotations

import asyncio
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import typer
from playwright.async_api import Page, async_playwright

from shared.identity import check_digit
from shared.paths import REPO_ROOT

OUT = REPO_ROOT / "docs" / "img"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


async def demo_person(cc: str, gw: str) -> str:
    async with httpx.AsyncClient(timeout=20) as client:
        token = await client.post(
            f"{gw}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "court-demo", "client_secret": "court-demo-secret"},
        )
        born = f"19{random.randint(70, 99)}0{random.randint(1, 9)}1{random.randint(0, 9)}"
        body = f"320281{born}{random.randint(100, 999)}"
        order = {
            "order_no": f"(2026)苏0281刑初{random.randint(1000, 9999)}号",
            "court": "江阴市人民法院",
            "person": {
                "name": "张建伟",
                "id_number": body + check_digit(body),
                "sex": "M",
                "residence": {"town": "澄江街道", "address": "澄江街道某路1号"},
            },
            "sentence_kind": "probation",
            "offence": "盗窃罪",
            "offence_category": "property",
            "term_start": "2026-12-01",
            "term_end": "2027-11-30",
            "electronic_monitoring": False,
        }
        r = await client.post(
            f"{gw}/v1/court-orders", json=order, headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        r.raise_for_status()
        person = r.json()["person_id"]
        login = await client.post(
            f"{cc}/api/v1/auth/login", json={"username": "officer-demo", "password": "officer-demo-secret"}
        )
        officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(60):
            if (await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)).status_code == 200:
                break
            await asyncio.sleep(0.5)
        now = datetime.now(UTC).replace(microsecond=0)
        steps = [
            ("sanctions", {"kind": "admonition", "reason": "未按规定时间到司法所报到"}),
            (
                "leaves",
                {
                    "start": (now + timedelta(days=7)).isoformat(),
                    "end": (now + timedelta(days=8)).isoformat(),
                    "destination": "无锡市梁溪区",
                    "reason": "探望生病的母亲",
                },
            ),
            ("separations", {"observed_at": (now - timedelta(hours=1)).isoformat(), "note": "走访时发现手机放在家中"}),
            ("risk/assess", {}),
        ]
        for path, body in steps:
            (await client.post(f"{cc}/api/v1/persons/{person}/{path}", json=body, headers=officer)).raise_for_status()
        return person


async def signed_in(
    browser, cc: str, viewport: dict, username: str = "officer-demo", lands_on: str = "#board-view"
) -> Page:
    page = await (await browser.new_context(locale="zh-CN", viewport=viewport)).new_page()
    await page.goto(cc + "/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", f"{username}-secret")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector(lands_on)
    await page.wait_for_timeout(1500)
    return page


async def shoot(cc: str, gw: str) -> None:
    person = await demo_person(cc, gw)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--headless=new", "--no-sandbox"]
        )
        desk = await signed_in(browser, cc, DESK, "duty-demo")
        await desk.screenshot(path=OUT / "board-desk.png")
        await desk.goto(f"{cc}/#/map")
        await desk.wait_for_selector("#map path.county")
        await desk.wait_for_timeout(800)
        await desk.screenshot(path=OUT / "map-desk.png")
        await desk.goto(f"{cc}/#/stats")
        await desk.wait_for_selector("figure.chart .chart-box svg")
        await desk.wait_for_timeout(1200)
        await desk.screenshot(path=OUT / "stats-desk.png")
        phone = await signed_in(browser, cc, PHONE)
        await phone.screenshot(path=OUT / "board-phone.png")
        await phone.goto(f"{cc}/#/persons")
        await phone.wait_for_timeout(1500)
        await phone.screenshot(path=OUT / "caseload-phone.png")
        await phone.goto(f"{cc}/#/persons/{person}/overview")
        await phone.wait_for_selector("#p-risk-level")
        await phone.wait_for_timeout(800)  # the tags' fade-in
        await phone.screenshot(path=OUT / "person-phone.png", full_page=True)
        await phone.click("#tab-sanctions")
        await phone.click('#p-actions button[data-action="sanction"]')
        form = phone.locator('form[data-action="sanction"]')
        # 训诫, which the office decides (警告 is the county bureau's: not offered to an officer).
        await form.locator('select[name="kind"]').select_option("admonition")
        await form.locator("button.submit").click()  # the reason is missing: shown at the field
        await phone.wait_for_timeout(500)
        await phone.screenshot(path=OUT / "form-phone.png")
        # 协矫通: a volunteer's account on a phone, the team's page alone (the demo puts it on teams).
        team = await signed_in(browser, cc, PHONE, "team-demo", "#team-view")
        await team.wait_for_selector(".team-person-card")
        await team.screenshot(path=OUT / "team-phone.png", full_page=True)
        # 远程亲情视频会见: the office's bookings (the demo books one).
        visits = await signed_in(browser, cc, DESK)
        await visits.goto(f"{cc}/#/visits")
        await visits.wait_for_selector("#visits-view tr[data-booking-id]")
        await visits.screenshot(path=OUT / "visits-desk.png")
        await browser.close()
    names = ("board-desk", "map-desk", "stats-desk", "board-phone", "caseload-phone", "person-phone", "form-phone")
    for name in (*names, "team-phone", "visits-desk"):
        typer.echo(f"wrote {Path('docs/img') / name}.png")


def main(console: str = "http://127.0.0.1:8000", gateway: str = "http://127.0.0.1:8080") -> None:
    asyncio.run(shoot(console.rstrip("/"), gateway.rstrip("/")))


if __name__ == "__main__":
    typer.run(main)
