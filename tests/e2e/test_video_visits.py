"""Remote family video visits with two-way booking (远程亲情视频会见, docs/domain.md §2), through the
gateway and the console on the real platform: a prison offers slots, two offices go for the same
time and one gets 409, the office's own room refuses a second visit at that hour, the prison sees
the booking and confirms it, and the office's cancellation reaches the prison."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared.county import default_county
from tests.e2e.test_handover import notice
from tests.e2e.test_thin_slice import gateway_token, staff
from tests.factories import random_id_number
from tests.waiting import eventually


async def prisoner_of(client: httpx.AsyncClient, gw: str, prison: dict[str, str]) -> str:
    """A prisoner of the demo prison: the person its own pre-release notice names (a prison offers
    slots for its own prisoners only, docs/security.md L2)."""
    r = await client.post(f"{gw}/v1/release-notices", json=notice(), headers=prison)
    assert r.status_code == 202, r.text
    return str(r.json()["person_id"])


async def test_a_prison_offers_slots_an_office_books_one_the_prison_confirms_and_sees_the_cancellation(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    county = default_county()
    day = county.day_of(datetime.now(UTC)) + timedelta(days=3)
    ten = county.start_of(day) + timedelta(hours=10)
    tag = uuid.uuid4().hex[:6]
    slots = {
        "slots": [
            {"slot_no": f"V-{tag}-1", "prisoner_person_id": "", "start": ten.isoformat(), "minutes": 30},
            {
                "slot_no": f"V-{tag}-2",
                "prisoner_person_id": "",
                "start": (ten + timedelta(minutes=15)).isoformat(),
                "minutes": 30,
            },
        ]
    }
    async with httpx.AsyncClient(timeout=20) as client:
        prison = await gateway_token(client, gw, "prison")
        prisoner = await prisoner_of(client, gw, prison)
        for slot in slots["slots"]:
            slot["prisoner_person_id"] = prisoner
        r = await client.post(f"{gw}/v1/visit-slots", json=slots, headers=prison)
        assert r.status_code == 202, r.text
        offered = {s["slot_no"]: s["slot_id"] for s in r.json()["slots"]}
        again = await client.post(f"{gw}/v1/visit-slots", json=slots, headers=prison)
        assert again.status_code == 202 and again.json() == r.json()  # the same slots again: harmless
        moved = {"slots": [{**slots["slots"][0], "minutes": 45}]}
        clash = await client.post(f"{gw}/v1/visit-slots", json=moved, headers=prison)
        assert clash.status_code == 409 and "slots[0]" in clash.json()["detail"]
        past = {"slots": [{**slots["slots"][0], "slot_no": f"V-{tag}-0", "start": "2020-01-01T10:00:00+08:00"}]}
        refused = await client.post(f"{gw}/v1/visit-slots", json=past, headers=prison)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "slots[0].start"
        court = await gateway_token(client, gw, "court")
        assert (await client.post(f"{gw}/v1/visit-slots", json=slots, headers=court)).status_code == 403

        officer, duty = await staff(client, cc, "officer-demo"), await staff(client, cc, "duty-demo")

        async def listed() -> list | None:
            rows = (await client.get(f"{cc}/api/v1/visit-slots", headers=officer)).json()
            mine = [s for s in rows if s["slot_id"] in offered.values()]
            return mine if len(mine) == 2 else None

        await eventually(listed, 30)
        first, second = offered[f"V-{tag}-1"], offered[f"V-{tag}-2"]
        family = {"name": "张秀英", "id_number": random_id_number(), "relationship": "spouse"}
        booking = {"office": "澄江街道", "family": family}
        other = {"office": "南闸街道", "family": {**family, "id_number": random_id_number()}}
        r1 = await client.post(f"{cc}/api/v1/visit-slots/{first}/book", json=booking, headers=officer)
        r2 = await client.post(f"{cc}/api/v1/visit-slots/{first}/book", json=other, headers=duty)
        assert sorted([r1.status_code, r2.status_code]) == [201, 409], (r1.text, r2.text)
        assert r1.status_code == 201 and r1.json()["family"]["name_masked"] == "张**"
        booking_id = r1.json()["booking_id"]
        # The same office's room at an overlapping time: 409, whichever prison's slot it is.
        room = await client.post(f"{cc}/api/v1/visit-slots/{second}/book", json=booking, headers=officer)
        assert room.status_code == 409 and "video room" in room.json()["detail"]
        bad = {"office": "澄江街道", "family": {**family, "id_number": "320281199001011234"}}
        wrong = await client.post(f"{cc}/api/v1/visit-slots/{second}/book", json=bad, headers=officer)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "family.id_number"

        async def seen_by_prison(status: str) -> dict | None:
            items = (await client.get(f"{gw}/v1/visits", headers=prison)).json()["items"]
            return next((i for i in items if i["booking_id"] == booking_id and i["status"] == status), None)

        seen = await eventually(lambda: seen_by_prison("booked"), 30)
        assert seen["office"] == "澄江街道" and seen["family"]["relationship"] == "spouse"
        assert family["id_number"] not in str(seen)  # the prison sees the masked number only
        answer = {"answer": "confirmed", "note": "请家属提前十分钟到场"}
        r = await client.post(f"{gw}/v1/visits/{booking_id}/answer", json=answer, headers=prison)
        assert r.status_code == 202, r.text
        assert (
            await client.post(f"{gw}/v1/visits/{booking_id}/answer", json=answer, headers=prison)
        ).status_code == 202
        declined = {"answer": "declined"}
        assert (
            await client.post(f"{gw}/v1/visits/{booking_id}/answer", json=declined, headers=prison)
        ).status_code == 409

        async def confirmed() -> bool:
            rows = (await client.get(f"{cc}/api/v1/visits", headers=officer)).json()
            return any(b["booking_id"] == booking_id and b["status"] == "confirmed" for b in rows)

        assert await eventually(confirmed, 30)
        r = await client.post(f"{cc}/api/v1/visits/{booking_id}/cancel", json={"reason": "家属生病"}, headers=officer)
        assert r.status_code == 200, r.text
        cancelled = await eventually(lambda: seen_by_prison("cancelled"), 30)
        assert cancelled["reason"] == "家属生病"
        # Freed: the slot can be booked again (here by the other office).
        r = await client.post(f"{cc}/api/v1/visit-slots/{first}/book", json=other, headers=duty)
        assert r.status_code == 201, r.text


async def test_the_office_books_a_slot_for_a_family_on_the_visits_page(platform, browser):
    """In chromium: the 亲情会见 page books a prison's slot with the family member's identity, and
    an ID number with a wrong check digit is refused beside its field."""
    from playwright.async_api import expect

    from tests.e2e.browser import open_page, signed_in

    gw = platform.url("exchange")
    county = default_county()
    start = county.start_of(county.day_of(datetime.now(UTC)) + timedelta(days=4)) + timedelta(hours=15)
    slot_no = f"V-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=20) as client:
        prison = await gateway_token(client, gw, "prison")
        body = {
            "slots": [
                {
                    "slot_no": slot_no,
                    "prisoner_person_id": await prisoner_of(client, gw, prison),
                    "start": start.isoformat(),
                    "minutes": 20,
                }
            ]
        }
        r = await client.post(f"{gw}/v1/visit-slots", json=body, headers=prison)
        assert r.status_code == 202, r.text
        slot_id = r.json()["slots"][0]["slot_id"]

    page = await signed_in(browser, platform, "officer-demo")
    await open_page(page, "visits")
    row = page.locator(f'tr[data-slot-id="{slot_id}"]')
    for _ in range(30):  # the slot reaches handover through Kafka
        if await row.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await row.locator('button[data-action="visitBook"]').click()
    form = page.locator('form[data-action="visitBook"]')
    await expect(form.locator('[name="office"]')).to_have_value("澄江街道")
    await form.locator('[name="family.name"]').fill("李桂兰")
    await form.locator('[name="family.id_number"]').fill("320281199001011234")
    await form.locator('select[name="family.relationship"]').select_option("parent")
    await form.locator("button.submit").click()
    await expect(form.locator('.field-error[data-field="family.id_number"]')).to_be_visible()
    await form.locator('[name="family.id_number"]').fill(random_id_number())
    await form.locator("button.submit").click()
    await expect(form).to_have_count(0)
    booked = page.locator("#visits-view tr", has_text="李**")
    await expect(booked.locator(".visit-status")).to_have_text("待监狱确认")
    await expect(booked).to_contain_text("officer-demo 核验身份")
    await page.context.close()


async def test_a_confirmed_visit_within_two_days_is_owed_a_reminder_until_the_office_records_it(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    start = (datetime.now(UTC) + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    async with httpx.AsyncClient(timeout=20) as client:
        prison, officer = await gateway_token(client, gw, "prison"), await staff(client, cc, "officer-demo")
        slot = {
            "slot_no": f"V-{uuid.uuid4().hex[:6]}",
            "prisoner_person_id": await prisoner_of(client, gw, prison),
            "start": start.isoformat(),
        }
        r = await client.post(f"{gw}/v1/visit-slots", json={"slots": [{**slot, "minutes": 20}]}, headers=prison)
        slot_id = r.json()["slots"][0]["slot_id"]
        family = {"name": "周兰", "id_number": random_id_number(), "relationship": "sibling"}

        async def booked() -> dict | None:
            url = f"{cc}/api/v1/visit-slots/{slot_id}/book"
            r = await client.post(url, json={"office": "南闸街道", "family": family}, headers=officer)
            return None if r.status_code == 404 else r  # the slot reaches handover through Kafka

        r = await eventually(booked, 30)
        assert r.status_code == 403  # another office's room: the officer books only in their own
        head = await staff(client, cc, "head-demo")
        r = await client.post(
            f"{cc}/api/v1/visit-slots/{slot_id}/book", json={"office": "南闸街道", "family": family}, headers=head
        )
        assert r.status_code == 201, r.text
        booking_id = r.json()["booking_id"]

        async def at_prison() -> bool:  # the booking reaches the gateway through Kafka
            items = (await client.get(f"{gw}/v1/visits", headers=prison)).json()["items"]
            return any(i["booking_id"] == booking_id for i in items)

        assert await eventually(at_prison, 30)
        r = await client.post(f"{gw}/v1/visits/{booking_id}/answer", json={"answer": "confirmed"}, headers=prison)
        assert r.status_code == 202, r.text

        async def owed() -> dict | None:
            rows = (await client.get(f"{cc}/api/v1/visits", params={"office": "南闸街道"}, headers=head)).json()
            row = next((b for b in rows if b["booking_id"] == booking_id), None)
            return row if row and row["reminder_due"] else None

        await eventually(owed, 30)
        assert (await client.post(f"{cc}/api/v1/visits/{booking_id}/reminded", headers=head)).status_code == 200
        assert (await client.post(f"{cc}/api/v1/visits/{booking_id}/reminded", headers=head)).status_code == 409
        rows = (await client.get(f"{cc}/api/v1/visits", params={"office": "南闸街道"}, headers=head)).json()
        row = next(b for b in rows if b["booking_id"] == booking_id)
        assert row["reminder_due"] is False and row["reminded_by"] == "head-demo"
