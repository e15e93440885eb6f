"""The loops with the police through the gateway and real Kafka (#21, contract §6.2): each opened
corrections case sends a border-control notice (不准出境报备), and its end lifts it; a red
contact_lost asks the police to find the person (协助查找), and their result goes on the alert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared import topics
from shared.envelope import new_event
from shared.events import ContactLost
from shared.kafka.producer import EventProducer
from tests.e2e.test_thin_slice import alerts_for, case_open, gateway_token, staff
from tests.factories import court_order
from tests.waiting import eventually


async def test_a_corrections_case_imposes_an_exit_control_and_its_end_lifts_it(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="华士镇"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        police = await gateway_token(client, gw, "police")

        async def controls(action: str) -> list[dict]:
            page = (await client.get(f"{gw}/v1/police/exit-controls", headers=police)).json()
            return [c for c in page["items"] if c["person_id"] == person and c["action"] == action]

        imposed = (await eventually(lambda: controls("imposed"), 30))[0]
        assert imposed["office"] == "华士镇" and imposed["until"] == "2027-11-30"
        assert imposed["person"]["name_masked"].endswith("*") and "id_number" not in imposed["person"]
        court = await gateway_token(client, gw, "court")
        assert (await client.get(f"{gw}/v1/police/exit-controls", headers=court)).status_code == 403
        # The police registered it: once; the same again is harmless, another officer's a 409.
        ack_url = f"{gw}/v1/police/exit-controls/{imposed['control_id']}/acknowledge"
        ack = {"action": "imposed", "officer": "出入境 王"}
        first = await client.post(ack_url, json=ack, headers=police)
        assert first.status_code == 202, first.text
        assert (await client.post(ack_url, json=ack, headers=police)).json() == first.json()
        assert (await client.post(ack_url, json={**ack, "officer": "李"}, headers=police)).status_code == 409
        assert (await client.post(ack_url, json={"action": "lifted"}, headers=police)).status_code == 404  # not yet
        assert (await client.post(ack_url, json=ack, headers=court)).status_code == 403

        supervisor = await staff(client, cc, "supervisor-demo")
        closed = await client.post(
            f"{cc}/api/v1/persons/{person}/close",
            headers=supervisor,
            json={"outcome": "transferred", "reason": "迁居外省", "to_county": "无锡市梁溪区司法局"},
        )
        assert closed.status_code == 200, closed.text

        async def moved_out() -> dict | None:  # 变更执行地: the court, procuratorate and police are told where
            page = (await client.get(f"{gw}/v1/court/case-endings", headers=police)).json()
            return next((e for e in page["items"] if e["person_id"] == person), None)

        out = await eventually(moved_out, 30)
        assert out["ending"] == "transferred_out" and out["to_county"] == "无锡市梁溪区司法局" and not out["custody"]
        lifted = (await eventually(lambda: controls("lifted"), 30))[0]
        assert lifted["control_id"] == imposed["control_id"]
        r = await client.post(ack_url, json={"action": "lifted"}, headers=police)
        assert r.status_code == 202, r.text

        async def on_file() -> list[str] | None:
            rows = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=supervisor)).json()
            acks = [t["summary"]["action"] for t in rows if t["event_type"] == "sps.ingest.exit-control-ack"]
            return acks if len(acks) == 2 else None

        assert sorted(await eventually(on_file, 30)) == ["imposed", "lifted"]
        page = (
            await client.get(f"{gw}/v1/police/exit-controls", params={"since": imposed["at"]}, headers=police)
        ).json()
        assert all(item["at"] >= imposed["at"] for item in page["items"])  # oldest first, from `since`


async def test_a_red_contact_lost_asks_the_police_to_search_and_their_result_comes_back(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="华士镇"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        # Contact lost (the office recorded the person unreachable), as supervision publishes it.
        lost = ContactLost(
            person_id=uuid.UUID(person),
            jurisdiction="华士镇",
            cause=f"contact:{uuid.uuid4()}",
            observed_at=datetime.now(UTC),
            reason="unreachable",
        )
        producer = EventProducer(platform.bootstrap, "test")
        await producer.start()
        try:
            await producer.publish(
                topics.SUPERVISION_EVENTS,
                new_event("sps.supervision.contact-lost", "/sps/supervision", lost, subject=person),
            )
        finally:
            await producer.stop()
        police = await gateway_token(client, gw, "police")

        async def requested() -> dict | None:
            page = (await client.get(f"{gw}/v1/police/search-requests", headers=police)).json()
            return next((x for x in page["items"] if x["person_id"] == person), None)

        request = await eventually(requested, 30)
        assert request["rule_id"] == "contact_lost" and request["office"] == "华士镇"
        url = f"{gw}/v1/police/search-requests/{request['request_id']}/result"
        found = {"outcome": "found", "found_at": datetime.now(UTC).isoformat(), "note": "在无锡火车站找到"}
        first = await client.post(url, json=found, headers=police)
        assert first.status_code == 202, first.text
        again = await client.post(url, json=found, headers=police)
        assert again.status_code == 202 and again.json() == first.json()
        other = await client.post(url, json={**found, "outcome": "not_found"}, headers=police)
        assert other.status_code == 409
        missing = await client.post(f"{gw}/v1/police/search-requests/{uuid.uuid4()}/result", json=found, headers=police)
        assert missing.status_code == 404

        duty = await staff(client, cc, "duty-demo")

        async def answered() -> dict | None:
            alerts = (await client.get(f"{cc}/api/v1/persons/{person}/alerts", headers=duty)).json()
            return next((a for a in alerts if a["alert_id"] == request["alert_id"] and a.get("search")), None)

        alert = await eventually(answered, 30)
        assert alert["search"]["outcome"] == "found" and alert["search"]["note"] == "在无锡火车站找到"

        async def on_file() -> bool:  # and on the person's file
            rows = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=duty)).json()
            return any(t["event_type"] == "sps.ingest.search-result" for t in rows)

        assert await eventually(on_file, 30)


async def test_a_procuratorate_notice_is_the_offices_task_its_reply_goes_back_and_silence_is_an_alert(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=20) as client:
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        procuratorate = await gateway_token(client, gw, "procuratorate")
        yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        notice = {
            "notice_no": f"澄检建〔2026〕{uuid.uuid4().hex[:6]}号",
            "kind": "procuratorial_suggestion",
            "office": "澄江街道",
            "person_id": person,
            "content": "该社区矫正对象外出审批手续不全，建议整改",
            "reply_due": yesterday,  # its deadline has passed: the alert comes at once
        }
        url = f"{gw}/v1/procuratorate/notices"
        first = await client.post(url, json=notice, headers=procuratorate)
        assert first.status_code == 202, first.text
        again = await client.post(url, json=notice, headers=procuratorate)
        assert again.status_code == 202 and again.json() == first.json()
        other = await client.post(url, json={**notice, "content": "另一内容"}, headers=procuratorate)
        assert other.status_code == 409 and other.headers["content-type"].startswith("application/problem+json")
        nowhere = await client.post(url, json={**notice, "office": "上海市"}, headers=procuratorate)
        assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "office"
        police = await gateway_token(client, gw, "police")
        assert (await client.post(url, json=notice, headers=police)).status_code == 403

        overdue = [
            a["data"]
            for a in await alerts_for(platform.bootstrap, person, rule="procuratorate_reply_overdue")
            if a["data"]["rule_id"] == "procuratorate_reply_overdue"
        ]
        assert overdue and overdue[0]["colour"] == "orange"

        officer, duty = await staff(client, cc, "officer-demo"), await staff(client, cc, "duty-demo")
        notice_id = first.json()["notice_id"]

        async def task() -> dict | None:
            rows = (await client.get(f"{cc}/api/v1/procuratorate-notices", headers=officer)).json()
            return next((n for n in rows if n["notice_id"] == notice_id), None)

        row = await eventually(task, 30)
        assert row["reply_due"] == yesterday and row["replied_at"] is None
        reply = {"reply": "已整改：外出审批改由所长签批"}
        reply_url = f"{cc}/api/v1/procuratorate-notices/{notice_id}/reply"
        assert (await client.post(reply_url, json=reply, headers=duty)).status_code == 403  # not the duty desk's
        r = await client.post(reply_url, json=reply, headers=officer)
        assert r.status_code == 200, r.text
        assert (await client.post(reply_url, json=reply, headers=officer)).status_code == 409  # once

        async def replied() -> dict | None:
            page = (await client.get(f"{gw}/v1/procuratorate/replies", headers=procuratorate)).json()
            return next((i for i in page["items"] if i["notice_id"] == notice_id), None)

        back = await eventually(replied, 30)
        assert back["reply"] == reply["reply"] and back["replied_by"] == "officer-demo"
        assert (await client.get(f"{gw}/v1/procuratorate/replies", headers=police)).status_code == 403
        kinds = [
            t["event_type"]
            for t in (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=officer)).json()
        ]
        assert "sps.ingest.procuratorate-notice" in kinds and "sps.exchange.procuratorate-reply" in kinds


async def test_a_case_moved_to_another_office_takes_its_history_and_open_alerts_with_it(platform):
    from tests.e2e.browser import alert_of, fix_outside

    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=20) as client:
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        await fix_outside(client, platform, person)  # a zone_exit alert for 澄江街道
        alert = await alert_of(client, platform, person)
        assert alert["jurisdiction"] == "澄江街道"
        officer, supervisor = await staff(client, cc, "officer-demo"), await staff(client, cc, "supervisor-demo")
        body = {"to_office": "南闸街道", "reason": "本人迁居南闸街道"}
        url = f"{cc}/api/v1/persons/{person}/transfer"
        assert (await client.post(url, json=body, headers=officer)).status_code == 403  # the county bureau's
        bad = await client.post(url, json={**body, "to_office": "上海市"}, headers=supervisor)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to_office"
        r = await client.post(url, json=body, headers=supervisor)
        assert r.status_code == 200, r.text

        async def followed() -> dict | None:
            moved = await alert_of(client, platform, person)
            return moved if moved and moved["jurisdiction"] == "南闸街道" else None

        moved = await eventually(followed, 30)
        assert moved["alert_id"] == alert["alert_id"] and moved["raised_at"] == alert["raised_at"]
        assert (
            await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)
        ).status_code == 403  # no longer theirs
        mine = (await client.get(f"{cc}/api/v1/alerts", headers=officer)).json()
        assert all(a["person_id"] != person for a in mine)
        page = (await client.get(f"{cc}/api/v1/persons/{person}", headers=supervisor)).json()
        assert page["jurisdiction"] == "南闸街道"
        kinds = [
            t["event_type"]
            for t in (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=supervisor)).json()
        ]
        assert kinds[0] == "sps.supervision.case-opened" and "sps.supervision.case-transferred" in kinds  # history kept


async def test_the_office_replies_to_a_notice_on_the_console(platform, browser):
    from playwright.async_api import expect

    from tests.e2e.browser import open_page, signed_in

    gw = platform.url("exchange")
    notice = {
        "notice_no": f"澄检纠〔2026〕{uuid.uuid4().hex[:6]}号",
        "kind": "rectification_notice",
        "office": "澄江街道",
        "content": "社区矫正对象请假审批材料归档不全，请予纠正",
    }
    async with httpx.AsyncClient(timeout=20) as client:
        headers = await gateway_token(client, gw, "procuratorate")
        r = await client.post(f"{gw}/v1/procuratorate/notices", json=notice, headers=headers)
        assert r.status_code == 202, r.text
        notice_id = r.json()["notice_id"]

    page = await signed_in(browser, platform, "duty-demo")
    await open_page(page, "notices")
    row = page.locator(f'tr[data-notice-id="{notice_id}"]')
    await expect(row).to_contain_text("纠正违法通知")
    await expect(row.locator('button[data-action="reply"]')).to_have_count(0)  # not the duty desk's
    await page.context.close()

    page = await signed_in(browser, platform, "officer-demo")
    await open_page(page, "notices")
    row = page.locator(f'tr[data-notice-id="{notice_id}"]')
    await expect(row).to_contain_text(notice["notice_no"])
    await row.locator('button[data-action="reply"]').click()
    form = page.locator('form[data-action="noticeReply"]')
    await form.locator('[name="reply"]').fill("已补齐请假审批材料并归档")
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    await expect(row).to_contain_text("已补齐请假审批材料并归档")
    await expect(row).to_contain_text("officer-demo")
    await page.context.close()
