"""The officer's workbench in Debian's chromium, at a desk's and a phone's size (#20): an officer
finds a person by their order number, records casework through the forms (a refusal shown at the
field, then the step recorded; a leave applied for, approved and returned from) and sees it on
the person page and the timeline; a role that may not take an action does not see it, and the
API answers 403 when it is called anyway. The board groups an alert storm (1,000 zone_exit alerts
at once, one per person) into one group flagged as possibly systemic, with its members one click
away."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, expect

from shared import topics
from shared.envelope import new_event
from shared.events import AlertData
from shared.kafka.producer import EventProducer
from tests.e2e.browser import DESK, PHONE, open_page, order_in, signed_in
from tests.e2e.test_thin_slice import gateway_token, staff
from tests.factories import random_id_number


async def found_by_officer(client: httpx.AsyncClient, platform, order_no: str) -> None:
    cc = platform.url("command_centre")
    officer = await staff(client, cc, "officer-demo")
    for _ in range(60):  # until supervision has opened the case
        r = await client.get(f"{cc}/api/v1/persons", params={"q": order_no}, headers=officer)
        if r.json()["total"]:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the case never opened")


async def act(page: Page, tab: str, action: str, fill: dict[str, str], select: dict[str, str] | None = None) -> None:
    """Open the tab, open the action's form, fill it and submit; the dialog closes when it is recorded."""
    await page.click(f"#tab-{tab}")
    await page.click(f'#p-actions button[data-action="{action}"]')
    form = page.locator(f'form[data-action="{action}"]')
    for name, value in (select or {}).items():
        await form.locator(f'select[name="{name}"]').select_option(value)
    for name, value in fill.items():
        await form.locator(f'[name="{name}"]').fill(value)
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)


@pytest.mark.parametrize("size", ["desk", "phone"])
async def test_an_officer_finds_a_person_and_records_casework(platform, browser, size):
    viewport = DESK if size == "desk" else PHONE
    async with httpx.AsyncClient(timeout=20) as client:
        person_id, order_no = await order_in(client, platform, "澄江街道", electronic_monitoring=False)
        await found_by_officer(client, platform, order_no)
    page = await signed_in(browser, platform, "officer-demo", viewport)

    # Find the person by the order's number.
    await open_page(page, "caseload")
    await page.locator("input#search").fill(order_no)
    found = page.locator(f'[data-person-id="{person_id}"]')
    await expect(found).to_have_count(1)
    await found.locator(".person-link").click()
    await expect(page.locator("#p-name")).to_contain_text("王*")
    await expect(page.locator("#p-name")).not_to_contain_text("王五")

    # A sanction: the form names what is missing before anything is sent, then records it.
    await page.click("#tab-sanctions")
    await page.click('#p-actions button[data-action="sanction"]')
    form = page.locator('form[data-action="sanction"]')
    await form.locator("button.submit").click()
    await expect(form.locator('.field-error[data-field="reason"]')).to_have_text("此项必填")
    await form.locator('select[name="kind"]').select_option("admonition")
    await form.locator('[name="reason"]').fill("未按规定时间报到")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-sanctions")).to_contain_text("训诫")
    await expect(page.locator("#p-suggestion")).to_have_count(0)
    # A second admonition: the rules now point to a warning, with the evidence; nothing is decided.
    await page.click('#p-actions button[data-action="sanction"]')
    await form.locator('select[name="kind"]').select_option("admonition")
    await form.locator('[name="reason"]').fill("再次未按规定时间报到")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-suggestion")).to_contain_text("可考虑：警告")
    await expect(page.locator("#p-suggestion")).to_contain_text("已受训诫 2 次")

    # A leave applied for, first with its end before its start (the API's refusal shows in the
    # form), then approved on its row and returned from (销假), in the county's wall clock.
    county = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0, tzinfo=None)
    minute = "%Y-%m-%dT%H:%M"
    await page.click("#tab-leaves")
    await page.click('#p-actions button[data-action="leaveRequest"]')
    form = page.locator('form[data-action="leaveRequest"]')
    await form.locator('[name="start"]').fill((county - timedelta(hours=3)).strftime(minute))
    await form.locator('[name="end"]').fill((county - timedelta(hours=4)).strftime(minute))
    await form.locator('[name="destination"]').fill("无锡市梁溪区")
    await form.locator('[name="reason"]').fill("探望生病的母亲")
    await form.locator("button.submit").click()
    await expect(form.locator(".error[role=alert]")).to_contain_text("操作失败")
    await expect(form.locator('.field-error[data-field="end"]')).to_be_visible()
    await form.locator('[name="end"]').fill((county + timedelta(days=2)).strftime(minute))
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    row = page.locator("#p-leaves tr", has_text="无锡市梁溪区")
    await expect(row.locator(".leave-status")).to_have_text("待审批")
    await row.locator('button[data-action="leaveApprove"]').click()
    await page.locator('form[data-action="leaveApprove"] button.submit').click()
    await expect(row.locator(".leave-status")).to_have_text("已批准")
    await row.locator('button[data-action="leaveReturn"]').click()
    form = page.locator('form[data-action="leaveReturn"]')
    await form.locator('[name="returned_at"]').fill((county - timedelta(hours=1)).strftime(minute))
    await form.locator("button.submit").click()
    await expect(row.locator(".leave-status")).to_have_text("已销假")

    seen = (county - timedelta(hours=2)).strftime(minute)  # staff record what has happened, never ahead
    await act(page, "positions", "separation", {"observed_at": seen, "note": "走访时发现手机放在家中"})
    await act(page, "followups", "trip", {"leaves_on": "2026-12-02", "returns_on": "2026-12-03", "destination": "苏州"})

    # Risk: assessed on demand, then overridden with a reason; both shown with the explanation.
    await page.click("#tab-overview")
    await page.click('button[data-action="riskAssess"]')
    await page.locator('form[data-action="riskAssess"] button.submit').click()
    await expect(page.locator("#p-risk-level")).to_be_visible()
    await expect(page.locator("#p-explanation li")).not_to_have_count(0)
    await page.click('button[data-action="riskOverride"]')
    form = page.locator('form[data-action="riskOverride"]')
    await form.locator('select[name="level"]').select_option("high")
    await form.locator('[name="reason"]').fill("家属反映其近期情绪不稳定")
    await form.locator("button.submit").click()
    await expect(page.locator("#p-override")).to_contain_text("家属反映其近期情绪不稳定")
    await expect(page.locator("#p-risk-level")).to_have_text("高")

    # The timeline has every step.
    await page.click("#tab-timeline")
    timeline = page.locator("#p-timeline-list")
    for label in ("处罚", "请假申请", "请假获批", "销假", "人机分离"):
        await expect(timeline).to_contain_text(label)
    await page.click("#lang")  # English second: the same timeline in its words
    for label in ("Sanction", "Leave applied for", "Back from leave"):
        await expect(timeline).to_contain_text(label)
    await page.click("#lang")

    # Electronic positioning is the bureau head's: the officer has no such button, and the API
    # refuses the officer who calls it anyway.
    await page.click("#tab-positioning")
    await expect(page.locator('button[data-action="positioning"]')).to_have_count(0)
    async with httpx.AsyncClient(timeout=20) as client:
        cc = platform.url("command_centre")
        r = await client.post(
            f"{cc}/api/v1/persons/{person_id}/positioning",
            json={"ground": "revocation_pending", "device_id": "EM-WB"},
            headers=await staff(client, cc, "officer-demo"),
        )
    assert r.status_code == 403 and "bureau_head" in r.json()["detail"]
    await page.context.close()

    head = await signed_in(browser, platform, "head-demo", viewport)
    await head.goto(platform.url("command_centre") + f"/#/persons/{person_id}/positioning")
    await expect(head.locator('#p-actions button[data-action="positioning"]')).to_have_count(1)
    await head.context.close()


def storm_alert(person_id: uuid.UUID, raised: datetime) -> AlertData:
    return AlertData(
        alert_id=uuid.uuid4(),
        person_id=person_id,
        colour="red",
        rule_id="zone_exit",
        title_zh="未经批准离开江阴市",
        title_en="Left Jiangyin without approval",
        raised_at=raised,
        ack_due_at=raised + timedelta(minutes=15),
        dispose_due_at=raised + timedelta(hours=2),
        status="open",
        jurisdiction="璜土镇",
        evidence=["boundary"],
    )


async def test_an_alert_storm_is_one_group_flagged_as_possibly_systemic(platform, browser):
    # 1,000 zone_exit alerts at once, one per person (a boundary moved in the policy, say), as
    # alerting publishes them; raised days ago so that no other test's alert joins the storm.
    raised = datetime.now(UTC) - timedelta(days=2)
    alerts = [storm_alert(uuid.uuid4(), raised + timedelta(milliseconds=i)) for i in range(1000)]
    producer = EventProducer(platform.bootstrap, "test")
    await producer.start()
    try:
        # The board open and on its live feed first: the thousand arrive through the feed, whatever
        # else the session left open (the snapshot is the newest 1,000, and these are days old).
        page = await signed_in(browser, platform, "duty-demo", PHONE)
        await expect(page.locator("#conn.on")).to_have_count(1, timeout=30_000)
        await producer.publish_many(
            (topics.ALERTS, new_event("sps.alert.raised", "/sps/alerting", a, subject=str(a.person_id))) for a in alerts
        )
        storm = page.locator('[data-storm="zone_exit"]')
        await expect(storm).to_have_count(1, timeout=60_000)  # a thousand alerts through a loaded platform
        await expect(storm).to_contain_text("1000 条", timeout=60_000)  # the group shows from its 20th alert
        await expect(storm).to_contain_text("可能是系统性问题")
        some = alerts[17].alert_id
        assert await page.locator(f'[data-alert-id="{some}"]').count() == 0  # inside the group, not on the board
        await storm.locator(".storm-toggle").click()
        await expect(storm.locator(f'[data-alert-id="{some}"]')).to_have_count(1)
        await page.context.close()
    finally:
        # Close them again, so that the rest of the session's boards are as they were.
        closed = [a.model_copy(update={"status": "closed", "version": 2, "closed_at": raised}) for a in alerts]
        await producer.publish_many(
            (topics.ALERTS, new_event("sps.alert.closed", "/sps/alerting", a, subject=str(a.person_id))) for a in closed
        )
        await producer.stop()


async def test_the_office_edits_the_months_key_person_list_then_confirms_it(platform, browser):
    # 月城镇's list of this month, confirmed by no other test: a person put on with the office's reason.
    async with httpx.AsyncClient(timeout=20) as client:
        person_id, order_no = await order_in(client, platform, "月城镇", electronic_monitoring=False)
        cc = platform.url("command_centre")
        duty = await staff(client, cc, "duty-demo")
        for _ in range(60):
            if (await client.get(f"{cc}/api/v1/persons", params={"q": order_no}, headers=duty)).json()["total"]:
                break
            await asyncio.sleep(0.5)
    page = await signed_in(browser, platform, "duty-demo")
    await open_page(page, "keyPersons")
    await page.select_option('#key-persons-view select[name="office"]', "月城镇")
    await expect(page.locator("#kp-status")).to_have_text("待确认")
    await page.fill("#kp-search", order_no)
    await page.locator("#kp-search").press("Enter")
    await page.locator(".kp-found .kp-put").first.click()
    await page.click("#kp-confirm")
    await expect(page.locator("#key-persons-view .error")).to_contain_text("理由")  # each change needs its reason
    await page.fill(f'tr[data-person-id="{person_id}"] .kp-add-reason', "家属反映其近期多次夜不归宿")
    await page.click("#kp-confirm")
    await expect(page.locator("#kp-status")).to_have_text("已确认")
    await expect(page.locator(f'#kp-list tr[data-person-id="{person_id}"]')).to_contain_text(
        "家属反映其近期多次夜不归宿"
    )
    async with httpx.AsyncClient(timeout=20) as client:
        month = (await client.get(f"{cc}/api/v1/me", headers=duty)).json()["month"]
        confirmed = (await client.get(f"{cc}/api/v1/key-persons/月城镇/{month}", headers=duty)).json()
    assert confirmed["status"] == "confirmed" and confirmed["confirmed_by"] == "duty-demo"
    listed = {p["person_id"]: p for p in confirmed["persons"]}
    assert listed[person_id]["reasons"] == ["office:家属反映其近期多次夜不归宿"]
    await page.context.close()

    # 挂牌转化 (D6): the confirmed list opened the person's conversion at the office's level; the
    # bureau head takes them onto the county's own list (市级挂牌) through its form.
    page = await signed_in(browser, platform, "head-demo")
    await open_page(page, "keyPersons")
    await page.select_option('#key-persons-view select[name="office"]', "月城镇")
    await page.locator("#kp-county-toggle .el-switch").click()  # off: the office's conversions, not the county's
    row = page.locator(f'#kp-conversions tr[data-person-id="{person_id}"]')
    await expect(row).to_contain_text("镇级")
    await row.locator(".kp-conv-county-listing").click()
    form = page.locator('form[data-action="county-listing"]')
    await form.locator('[name="reason"]').fill("多次夜不归宿，市级挂牌督办")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await page.locator("#kp-county-toggle .el-switch").click()  # on: the county's list
    await expect(page.locator(f'#kp-conversions tr[data-person-id="{person_id}"]')).to_contain_text("市级")
    await page.context.close()


async def persons_page(browser, platform, username: str, person_id: str, tab: str) -> Page:
    page = await signed_in(browser, platform, username)
    await page.goto(platform.url("command_centre") + f"/#/persons/{person_id}/{tab}")
    await expect(page.locator("#p-name")).to_contain_text("*")
    return page


async def test_the_other_actions_each_through_its_form_by_the_role_that_may_take_it(platform, browser):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=20) as client:
        person_id, order_no = await order_in(client, platform, "澄江街道", electronic_monitoring=False)
        await found_by_officer(client, platform, order_no)
        rehab = {
            "notice_no": f"戒毒所-{uuid.uuid4().hex[:8]}",
            "centre": "无锡市强制隔离戒毒所",
            "person": {
                "name": "周八",
                "id_number": random_id_number(),
                "sex": "M",
                "residence": {"town": "澄江街道", "address": "某村"},
            },
            "release_date": datetime.now(UTC).date().isoformat(),
            "destination": {"town": "澄江街道"},
        }
        r = await client.post(f"{gw}/v1/rehab-notices", json=rehab, headers=await gateway_token(client, gw, "rehab"))
        assert r.status_code == 202, r.text
        aftercare_id = r.json()["person_id"]
        # Arrival after rehabilitation opens the aftercare case (后续照管).
        officer = await staff(client, cc, "officer-demo")
        for _ in range(60):
            rows = (await client.get(f"{cc}/api/v1/handovers", params={"view": "all"}, headers=officer)).json()
            if handover := next((h for h in rows if h["notice_no"] == rehab["notice_no"]), None):
                break
            await asyncio.sleep(0.5)
        assert handover, "the rehab notice never reached the handover board"
        arrived = {"at": datetime.now(UTC).isoformat()}
        r = await client.post(f"{cc}/api/v1/handovers/{handover['handover_id']}/arrival", json=arrived, headers=officer)
        assert r.status_code == 200, r.text
        for _ in range(60):
            if (await client.get(f"{cc}/api/v1/persons/{aftercare_id}", headers=officer)).status_code == 200:
                break
            await asyncio.sleep(0.5)

    # The correction team, by the office.
    page = await persons_page(browser, platform, "officer-demo", person_id, "overview")
    await page.click('#p-actions button[data-action="team"]')
    form = page.locator('form[data-action="team"]')
    await form.locator('[name="name-0"]').fill("李司法")
    await form.locator('[name="sex-0"]').select_option("M")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-case")).to_contain_text("李司法")
    await page.context.close()

    # Electronic positioning on a legal ground, then renewed after a review: the bureau head.
    page = await persons_page(browser, platform, "head-demo", person_id, "positioning")
    await act(page, "positioning", "positioning", {"device_id": "EM-WB-1"}, {"ground": "left_county_without_leave"})
    await expect(page.locator("#p-positioning")).to_contain_text("无正当理由未经批准离开所居住的市、县")
    await page.locator('#p-positioning button[data-action="renew"]').click()
    form = page.locator('form[data-action="renew"]')
    await form.locator('[name="review_note"]').fill("经评估仍需电子定位")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await page.context.close()

    # An aftercare follow-up with a drug test, by the office (only an aftercare case offers it).
    page = await persons_page(browser, platform, "officer-demo", person_id, "followups")
    await expect(page.locator('#p-actions button[data-action="followup"]')).to_have_count(0)
    await page.goto(cc + f"/#/persons/{aftercare_id}/followups")
    await act(
        page,
        "followups",
        "followup",
        {"at": datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M"), "note": "电话联系，本人在家"},
        {"kind": "phone", "drug_test": "negative"},
    )
    await expect(page.locator("#p-followups")).to_contain_text("电话回访")
    await page.context.close()

    # Closing the case (收监) is a supervisor's; the officer has no such button.
    page = await persons_page(browser, platform, "officer-demo", person_id, "overview")
    await expect(page.locator('#p-actions button[data-action="close"]')).to_have_count(0)
    await page.context.close()
    page = await persons_page(browser, platform, "supervisor-demo", person_id, "overview")
    await act(page, "overview", "close", {"reason": "法院裁定撤销缓刑，收监执行"}, {"outcome": "revoked"})
    await expect(page.locator(".person-title")).to_contain_text("已收监")
    await page.click("#tab-timeline")
    for label in ("矫正小组调整", "电子定位", "结案"):
        await expect(page.locator("#p-timeline-list")).to_contain_text(label)
    await page.context.close()


async def test_a_handover_step_through_its_form_on_the_handover_board(platform, browser):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    notice_no = f"苏狱释-{uuid.uuid4().hex[:8]}"
    release = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=20)).date()
    body = {
        "notice_no": notice_no,
        "prison": "江苏省苏州监狱",
        "person": {"name": "孙七", "id_number": random_id_number(), "sex": "M", "residence": {"town": "澄江街道"}},
        "offence": "抢劫罪",
        "offence_category": "violent",
        "release_date": release.isoformat(),
        "sentence_months": 60,
        "prison_risk_rating": "high",
        "destination": {"town": "澄江街道"},
    }
    async with httpx.AsyncClient(timeout=20) as client:
        r = await client.post(f"{gw}/v1/release-notices", json=body, headers=await gateway_token(client, gw, "prison"))
        assert r.status_code == 202, r.text
        officer = await staff(client, cc, "officer-demo")

        async def on_board() -> dict | None:
            rows = (await client.get(f"{cc}/api/v1/handovers", params={"view": "upcoming"}, headers=officer)).json()
            return next((h for h in rows if h["notice_no"] == notice_no), None)

        for _ in range(60):
            if handover := await on_board():
                break
            await asyncio.sleep(0.5)
        assert handover, "the notice never reached the handover board"
    page = await signed_in(browser, platform, "officer-demo", PHONE)
    await open_page(page, "handover")
    row = page.locator(f'#hv-upcoming tr[data-handover-id="{handover["handover_id"]}"]')
    await row.locator(".steps-button").click()
    await page.locator('.el-dropdown-menu__item[data-step="pickup-plan"]:visible').click()
    form = page.locator('form[data-action="pickup-plan"]')
    await form.locator('[name="who"]').fill("李司法、家属孙某")
    at = datetime.combine(release, datetime.min.time()).replace(hour=8)
    await form.locator('[name="when"]').fill(at.strftime("%Y-%m-%dT%H:%M"))
    await form.locator('[name="escort"]').fill("司法所公务车接回")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    async with httpx.AsyncClient(timeout=20) as client:
        planned = await on_board()
    assert planned["pickup_plan"]["escort"] == "司法所公务车接回"
    await page.context.close()


async def test_a_slow_answer_for_the_person_left_behind_does_not_fill_the_next_persons_page(platform, browser):
    """Opening B while A's page still loads: A's late answer is dropped, B's page stays B's."""
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=20) as client:
        persons = []
        for _ in range(2):
            person_id, order_no = await order_in(client, platform, "澄江街道", electronic_monitoring=False)
            await found_by_officer(client, platform, order_no)
            persons.append(person_id)
        officer = await staff(client, cc, "officer-demo")
        masked = {
            p: (await client.get(f"{cc}/api/v1/persons/{p}", headers=officer)).json()["identity"]["id_number_masked"]
            for p in persons
        }
    a, b = persons
    assert masked[a] != masked[b]
    page = await signed_in(browser, platform, "officer-demo")

    b_shown = asyncio.Event()
    a_settled: asyncio.Future = asyncio.get_running_loop().create_future()

    async def late(route) -> None:  # A's own record answers only once B's page is on the screen
        await b_shown.wait()
        try:
            await route.continue_()
        except Exception:  # the page gave up on the request meanwhile: as good as answered
            pass

    def settled(request) -> None:
        if request.url.endswith(f"/api/v1/persons/{a}") and not a_settled.done():
            a_settled.set_result(request.url)

    page.on("requestfinished", settled)
    page.on("requestfailed", settled)
    await page.route(f"**/api/v1/persons/{a}", late)
    async with page.expect_request(f"**/api/v1/persons/{a}"):
        await page.goto(f"{cc}/#/persons/{a}/overview")
    await page.goto(f"{cc}/#/persons/{b}/overview")
    await expect(page.locator("#p-name")).to_contain_text(masked[b])
    b_shown.set()
    await asyncio.wait_for(a_settled, 30)  # A's late answer has reached the page (or was dropped by it)
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    await expect(page.locator("#p-name")).to_contain_text(masked[b])
    await page.context.close()
