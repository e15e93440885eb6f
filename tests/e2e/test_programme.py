"""The correction programme's hours through the gateway and real Kafka (#22, contract §6.2): the
person's app reports study and community-service time (`POST /v1/app/reports`), the office
confirms it, the month is judged, and `hours_short` fires for the person who is short and not
for the one who is not; time recorded later for the short one withdraws it and the alert closes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared.calendar import add_months
from shared.county import default_county
from tests.e2e.test_thin_slice import alerts_for, case_open, gateway_token, staff
from tests.factories import court_order
from tests.internal_calls import service_headers
from tests.waiting import eventually


async def test_the_apps_hours_confirmed_and_a_short_month_raises_its_alert(platform):
    gw, cc, sv = platform.url("exchange"), platform.url("command_centre"), platform.url("supervision")
    today = default_county().day_of(datetime.now(UTC))
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    month = f"{last_month.year:04d}-{last_month.month:02d}"
    # Last month was a whole month of the term, and its first two months (strict) run into the next.
    start = last_month.isoformat()
    async with httpx.AsyncClient(timeout=20) as client:
        court = await gateway_token(client, gw, "court")
        app = await gateway_token(client, gw, "app")
        officer = await staff(client, cc, "officer-demo")
        persons = []
        for _ in range(2):
            order = court_order(town="澄江街道", term_start=start, electronic_monitoring=False)
            person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
            await case_open(client, cc, person)
            intake = {"reported_at": datetime.now(UTC).isoformat(), "note": "本人到所报到"}
            r = await client.post(f"{cc}/api/v1/persons/{person}/intake", json=intake, headers=officer)
            assert r.status_code == 201, r.text
            persons.append(person)
        keen, idle = persons
        officer = await staff(client, cc, "officer-demo")

        async def strict(person: str) -> bool:
            programmes = (await client.get(f"{cc}/api/v1/persons/{person}/programmes", headers=officer)).json()
            return programmes["cases"][-1]["level"] == "strict"  # reported: the first months are strict

        for person in persons:
            assert await eventually(lambda p=person: strict(p), 30)

        reports = {
            "reports": [
                {"person_id": keen, "kind": kind, "minutes": 720, "date": last_month.isoformat(), "note": "线上学习"}
                for kind in ("study", "community_service")
            ]
        }
        key = {"Idempotency-Key": f"app-{keen}"}
        first = await client.post(f"{gw}/v1/app/reports", json=reports, headers={**app, **key})
        assert first.status_code == 202, first.text
        again = await client.post(f"{gw}/v1/app/reports", json=reports, headers={**app, **key})
        assert again.status_code == 202 and again.json() == first.json()  # a retry adds nothing
        ahead = {"reports": [{**reports["reports"][0], "date": (today + timedelta(days=1)).isoformat()}]}
        refused = await client.post(f"{gw}/v1/app/reports", json=ahead, headers=app)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reports[0].date"
        assert (await client.post(f"{gw}/v1/app/reports", json=reports, headers=court)).status_code == 403

        async def reported() -> list[dict] | None:
            rows = (await client.get(f"{cc}/api/v1/persons/{keen}/programmes", headers=officer)).json()["hours"]
            return rows if len(rows) >= 2 else None

        entries = await eventually(reported, 30)
        assert len(entries) == 2 and all(e["confirmed_at"] is None and e["source"] == "app" for e in entries)

        # 协矫通: the office puts a volunteer's account on keen's team; the volunteer confirms the time.
        team = {
            "members": [
                {"name": "王所长", "role": "justice_office", "sex": "M"},
                {"name": "李志愿", "role": "volunteer", "sex": "F", "account": "team-demo"},
            ]
        }
        r = await client.put(f"{cc}/api/v1/persons/{keen}/team", json=team, headers=officer)
        assert r.status_code == 200, r.text
        volunteer = await staff(client, cc, "team-demo")
        me = (await client.get(f"{cc}/api/v1/me", headers=volunteer)).json()
        assert me["team_scoped"] and "hours.record" not in me["may"] and "hours.confirm" in me["may"]
        mine = {p["person_id"] for p in (await client.get(f"{cc}/api/v1/team/persons", headers=volunteer)).json()}
        assert keen in mine and idle not in mine  # (the demo's persons may be theirs too)
        # Not on idle's team: refused; and no staff screen answers the account, keen's file included.
        assert (await client.get(f"{cc}/api/v1/team/persons/{idle}", headers=volunteer)).status_code == 403
        for path in (f"/api/v1/persons/{keen}", f"/api/v1/persons/{keen}/programmes", "/api/v1/alerts"):
            assert (await client.get(f"{cc}{path}", headers=volunteer)).status_code == 403, path
        view = (await client.get(f"{cc}/api/v1/team/persons/{keen}", headers=volunteer)).json()
        waiting = [e for e in view["hours_entries"] if e["confirmed_at"] is None]
        assert len(waiting) == 2
        r = await client.post(
            f"{cc}/api/v1/team/persons/{idle}/hours/{waiting[0]['entry_id']}/confirm", headers=volunteer
        )
        assert r.status_code == 403, r.text
        for entry in waiting:
            path = f"{cc}/api/v1/team/persons/{keen}/hours/{entry['entry_id']}/confirm"
            r = await client.post(path, headers=volunteer)
            assert r.status_code == 200 and r.json()["confirmed_by"] == "team-demo", r.text
        visit = {"kind": "visit", "on": today.isoformat(), "text": "上门走访，学习记录属实"}
        r = await client.post(f"{cc}/api/v1/team/persons/{keen}/entries", json=visit, headers=volunteer)
        assert r.status_code == 201, r.text
        # The volunteer's reads and steps are on the procuratorate's audit trail, under their own name.
        procuratorate = await gateway_token(client, gw, "procuratorate")

        async def audited() -> set | None:
            trail = (await client.get(f"{gw}/v1/audit", params={"person_id": keen}, headers=procuratorate)).json()
            seen = {(e["actor"], e["action"], e["resource"]) for e in trail["entries"]}
            return seen if ("team-demo", "create", "team") in seen else None

        seen = await eventually(audited, 30)
        assert ("team-demo", "read", "team") in seen and ("team-demo", "update", "hours") in seen
        summary = (
            await client.get(f"{cc}/api/v1/persons/{keen}/hours", params={"month": month}, headers=officer)
        ).json()
        assert summary["done"] == {"study": 720, "community_service": 720} and summary["owed"]["study"] == 720

        # The month closes (here by the operator's re-run; the month's end does it by itself).
        r = await client.post(
            f"{sv}/internal/v1/hours/months/{month}/judge", headers=service_headers("supervision", stack=platform)
        )
        assert r.status_code == 200, r.text
        idle_alerts = await alerts_for(platform.bootstrap, idle, rule="hours_short")
        short = [a for a in idle_alerts if a["data"]["rule_id"] == "hours_short"]
        assert short and short[0]["data"]["colour"] == "yellow"
        keen_alerts = await alerts_for(platform.bootstrap, keen, min_count=0)
        assert not [a for a in keen_alerts if a["data"]["rule_id"] == "hours_short"]
        suggestion = (await client.get(f"{cc}/api/v1/persons/{idle}/sanction-suggestion", headers=officer)).json()
        assert suggestion["suggestion"]["kind"] == "admonition"
        assert suggestion["suggestion"]["reasons"][0]["code"] == "hours_short"
        # The month's judgement counts in the office's hours completion rate (idle short: below 100%).
        stats = (await client.get(f"{cc}/api/v1/statistics", params={"month": month}, headers=officer)).json()
        office = next(o for o in stats["offices"] if o["office"] == "澄江街道")
        assert office["hours_rate_strict"] is not None and 0 < office["hours_rate_strict"] < 1

        # D7: idle's time of the month, recorded after the judgement, meets it: the month is judged
        # again, its signal withdrawn, and the alert closes by itself, saying why.
        for kind in ("study", "community_service"):
            entry = {"kind": kind, "minutes": 720, "on": (this_month - timedelta(days=1)).isoformat(), "note": "补录"}
            r = await client.post(f"{cc}/api/v1/persons/{idle}/hours", json=entry, headers=officer)
            assert r.status_code in (200, 201), r.text

        async def closed() -> dict | None:
            records = await alerts_for(platform.bootstrap, idle, rule="hours_short")
            done = [a for a in records if a["type"] == "sps.alert.closed" and a["data"]["rule_id"] == "hours_short"]
            return done[-1] if done else None

        lifted = await eventually(closed, 30)
        assert lifted["data"]["reason"].startswith("withdrawn") and lifted["data"]["actor"] == "system"


async def test_the_office_confirms_the_apps_time_and_records_its_own_on_the_person_page(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    gw = platform.url("exchange")
    today = default_county().day_of(datetime.now(UTC))
    async with httpx.AsyncClient(timeout=20) as client:
        order = court_order(town="澄江街道", term_start=add_months(today.replace(day=1), -1).isoformat())
        court, app = await gateway_token(client, gw, "court"), await gateway_token(client, gw, "app")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await found_by_officer(client, platform, order["order_no"])
        report = {"person_id": person, "kind": "study", "minutes": 120, "date": today.isoformat(), "note": "法治课"}
        assert (await client.post(f"{gw}/v1/app/reports", json={"reports": [report]}, headers=app)).status_code == 202

    page = await persons_page(browser, platform, "officer-demo", person, "correction")
    row = page.locator("#p-correction tr", has_text="法治课")
    await expect(row).to_contain_text("在矫通上报")
    await row.locator('button[data-action="hoursConfirm"]').click()
    await page.locator('form[data-action="hoursConfirm"] button.submit').click()
    await expect(row).to_contain_text("officer-demo 已确认")
    await page.click('#p-actions button[data-action="hours"]')
    form = page.locator('form[data-action="hours"]')
    await form.locator('select[name="kind"]').select_option("community_service")
    await form.locator('[name="minutes"]').fill("90")
    await form.locator('[name="on"]').fill(today.isoformat())
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(page.locator("#p-hours-month")).to_contain_text("教育学习 2.0")
    await expect(page.locator("#p-hours-month")).to_contain_text("公益活动 1.5")
    await page.context.close()


async def test_the_office_makes_a_plan_another_approves_it_and_it_counts_in_the_plan_rate(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=20) as client:
        order = court_order(town="澄江街道", electronic_monitoring=False)
        court = await gateway_token(client, gw, "court")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await found_by_officer(client, platform, order["order_no"])

    page = await persons_page(browser, platform, "officer-demo", person, "correction")
    await expect(page.locator("#p-plans")).to_contain_text("尚未制定矫正方案")
    await page.click('#p-plans button[data-action="plan"]')
    form = page.locator('form[data-action="plan"]')
    await form.locator('select[name="kind-0"]').select_option("psychological")
    await form.locator('[name="detail-0"]').fill("入矫心理评估，每季度复评")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    plan = page.locator("#p-plans .plan").first
    await expect(plan).to_contain_text("待审批")
    await expect(plan).to_contain_text("心理评估与辅导：入矫心理评估，每季度复评")
    await expect(plan.locator('button[data-action="planApprove"]')).to_have_count(0)  # not the officer's
    await page.context.close()

    page = await persons_page(browser, platform, "supervisor-demo", person, "correction")
    plan = page.locator("#p-plans .plan").first
    await plan.locator('button[data-action="planApprove"]').click()
    await page.locator('form[data-action="planApprove"] button.submit').click()
    await expect(plan).to_contain_text("已审批")
    await expect(plan).to_contain_text("supervisor-demo 审批于")
    await page.context.close()

    async with httpx.AsyncClient(timeout=20) as client:
        stats = (await client.get(f"{cc}/api/v1/statistics", headers=await staff(client, cc, "supervisor-demo"))).json()
        office = next(o for o in stats["offices"] if o["office"] == "澄江街道")
        assert office["plan_rate"] > 0  # 个案矫正率
        assert any(i["key"] == "plan_rate" for i in stats["indicators"])


async def test_a_help_request_from_the_app_is_referred_to_civil_affairs_whose_answer_comes_back(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    gw = platform.url("exchange")
    today = default_county().day_of(datetime.now(UTC))
    async with httpx.AsyncClient(timeout=20) as client:
        order = court_order(town="澄江街道", electronic_monitoring=False)
        court, app = await gateway_token(client, gw, "court"), await gateway_token(client, gw, "app")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await found_by_officer(client, platform, order["order_no"])
        ask = {"person_id": person, "kind": "help_request", "date": today.isoformat(), "note": "家庭困难，申请临时救助"}
        assert (await client.post(f"{gw}/v1/app/reports", json={"reports": [ask]}, headers=app)).status_code == 202
        no_note = {**ask, "note": ""}
        r = await client.post(f"{gw}/v1/app/reports", json={"reports": [no_note]}, headers=app)
        assert r.status_code == 422  # a help request says what help it asks for

    page = await persons_page(browser, platform, "officer-demo", person, "correction")
    row = page.locator("#p-help tr", has_text="家庭困难")
    await row.locator('button[data-action="helpAnswer"]').click()
    form = page.locator('form[data-action="helpAnswer"]')
    await form.locator('select[name="outcome"]').select_option("referred")
    await form.locator('[name="note"]').fill("转民政部门办理临时救助")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(row).to_contain_text("转民政部门")

    async with httpx.AsyncClient(timeout=20) as client:
        civil = await gateway_token(client, gw, "civil-affairs")

        async def referred() -> dict | None:
            items = (await client.get(f"{gw}/v1/assistance-requests", headers=civil)).json()["items"]
            return next((i for i in items if i["person_id"] == person), None)

        request = await eventually(referred, 30)
        assert request["justice_office"] == "澄江街道" and request["status"] == "requested"
        decision = {
            "outcome": "granted",
            "programme": "临时救助",
            "decided_at": datetime.now(UTC).isoformat(),
            "note": "已发放",
        }
        url = f"{gw}/v1/assistance-requests/{request['request_id']}/outcome"
        assert (await client.post(url, json=decision, headers=civil)).status_code == 202

    await page.reload()
    await page.click("#tab-correction")
    await expect(page.locator("#p-help tr", has_text="家庭困难")).to_contain_text("准予救助（临时救助）")
    await page.context.close()


async def test_a_volunteer_put_on_the_team_sees_that_person_alone_and_confirms_their_time(platform, browser):
    """协矫通 in chromium: the office names a volunteer's account on the team through the team form;
    the volunteer signs in to the team's page alone, confirms the app's time and records a visit."""
    from playwright.async_api import expect

    from tests.e2e.test_workbench_browser import found_by_officer, persons_page

    gw, cc = platform.url("exchange"), platform.url("command_centre")
    today = default_county().day_of(datetime.now(UTC))
    async with httpx.AsyncClient(timeout=20) as client:
        order = court_order(town="澄江街道", term_start=add_months(today.replace(day=1), -1).isoformat())
        court, app = await gateway_token(client, gw, "court"), await gateway_token(client, gw, "app")
        person = (await client.post(f"{gw}/v1/court-orders", json=order, headers=court)).json()["person_id"]
        await found_by_officer(client, platform, order["order_no"])
        report = {
            "person_id": person,
            "kind": "community_service",
            "minutes": 180,
            "date": today.isoformat(),
            "note": "社区清扫",
        }
        assert (await client.post(f"{gw}/v1/app/reports", json={"reports": [report]}, headers=app)).status_code == 202

        officer = await staff(client, cc, "officer-demo")

        async def reported() -> bool:
            rows = (await client.get(f"{cc}/api/v1/persons/{person}/programmes", headers=officer)).json()["hours"]
            return any(h["note"] == "社区清扫" for h in rows)

        assert await eventually(reported, 30)  # through Kafka before the volunteer looks

    office = await persons_page(browser, platform, "officer-demo", person, "overview")
    await office.click('#p-actions button[data-action="team"]')
    form = office.locator('form[data-action="team"]')
    await form.locator('[name="name-0"]').fill("王所长")
    await form.locator('[name="role-0"]').select_option("justice_office")
    await form.get_by_text("+").click()
    await form.locator('[name="name-1"]').fill("李志愿")
    await form.locator('[name="role-1"]').select_option("volunteer")
    await form.locator('[name="sex-1"]').select_option("F")
    await form.locator('[name="account-1"]').fill("team-demo")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(office.locator("#p-case")).to_contain_text("李志愿（协矫通）")
    await office.context.close()

    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a volunteer's phone
    page = await ctx.new_page()
    await page.goto(cc + "/#/board")
    await page.fill("input[name=username]", "team-demo")
    await page.fill("input[name=password]", "team-demo-secret")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#team-view")).to_be_visible()
    await expect(page.locator("#board-view")).to_have_count(0)  # no staff page, whatever was asked for
    await page.goto(cc + f"/#/team/{person}")
    card = page.locator(f'.team-person-card[data-person-id="{person}"]')
    row = card.locator("tr", has_text="社区清扫")
    await row.locator('button[data-action="teamConfirm"]').click()
    await expect(row).to_have_count(0)
    await expect(page.locator("#team-hours")).to_contain_text("公益活动 3.0")
    await card.locator('button[data-action="teamEntry"]').click()
    entry = page.locator('form[data-action="teamEntry"]')
    await entry.locator('select[name="kind"]').select_option("visit")
    await entry.locator('[name="text"]').fill("上门走访，社区清扫属实")
    await entry.locator("button.submit").click()
    await expect(entry).to_have_count(0)
    await expect(card.locator(".team-entries")).to_contain_text("上门走访，社区清扫属实")
    await page.goto(cc + "/#/persons")
    await expect(page.locator("#team-view")).to_be_visible()  # the caseload is not theirs
    await ctx.close()


async def test_the_office_registers_a_social_worker_records_their_time_and_the_staffing_rate_counts_them(
    platform, browser
):
    """社会力量 in chromium: the office's registry, time served, and the statistics' 社工配备率."""
    from playwright.async_api import expect

    from tests.e2e.browser import open_page, signed_in

    cc = platform.url("command_centre")
    name = f"陈社工{uuid.uuid4().hex[:4]}"
    page = await signed_in(browser, platform, "officer-demo")
    await open_page(page, "socialForces")
    await page.click('button[data-action="forceRegister"]')
    form = page.locator('form[data-action="forceRegister"]')
    await form.locator('select[name="kind"]').select_option("social_worker")
    await form.locator('[name="name"]').fill(name)
    await expect(form.locator('[name="office"]')).to_have_value("澄江街道")  # the officer's own
    await form.locator('[name="account"]').fill("team-demo")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    row = page.locator("#forces-view tr", has_text=name)
    await row.locator('button[data-action="forceTime"]').click()
    timed = page.locator('form[data-action="forceTime"]')
    await timed.locator('[name="minutes"]').fill("120")
    await timed.locator('[name="note"]').fill("个别谈话")
    await timed.locator("button.submit").click()
    await expect(timed).to_have_count(0)
    await expect(row.locator(".force-hours")).to_have_text("2.0 小时")
    await page.context.close()

    async with httpx.AsyncClient(timeout=20) as client:
        officer = await staff(client, cc, "officer-demo")
        other = await staff(client, cc, "team-demo")
        assert (await client.get(f"{cc}/api/v1/social-forces", headers=other)).status_code == 403
        registry = (await client.get(f"{cc}/api/v1/social-forces", headers=officer)).json()
        mine = next(f for f in registry if f["name"] == name)
        assert mine["minutes_this_year"] == 120 and mine["registered_by"] == "officer-demo"
        stats = (await client.get(f"{cc}/api/v1/statistics", headers=officer)).json()
        office = next(o for o in stats["offices"] if o["office"] == "澄江街道")
        assert office["social_workers"] >= 1
        assert office["social_worker_rate"] is None or 0 < office["social_worker_rate"] <= 1
        assert stats["targets"]["social_worker_rate"] == 1.0
