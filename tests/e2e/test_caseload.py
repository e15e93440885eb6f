"""The caseload and person search (#20) through the running platform: an officer sees their own
office's persons only; county staff the county; search by the last four of the identity number,
by the order number and by masked name; the filters; persons with an open alert."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.e2e.test_thin_slice import SHANGHAI, case_open, fix, gateway_token, staff
from tests.factories import court_order
from tests.waiting import eventually


async def test_an_officer_finds_their_own_persons_and_county_staff_the_countys(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=15) as client:
        court = await gateway_token(client, gw, "court")
        mine = court_order(town="澄江街道", person={**court_order()["person"], "name": "钱多多"})
        theirs = court_order(town="华士镇", electronic_monitoring=False)
        ids = {}
        for name, order in (("mine", mine), ("theirs", theirs)):
            r = await client.post(f"{gw}/v1/court-orders", json=order, headers=court)
            assert r.status_code == 202, r.text
            ids[name] = r.json()["person_id"]
        for person in ids.values():
            await case_open(client, cc, person)
        officer, duty = await staff(client, cc, "officer-demo"), await staff(client, cc, "duty-demo")

        async def listed(headers: dict, **params) -> list[str]:
            r = await client.get(f"{cc}/api/v1/persons", headers=headers, params={"limit": 500, **params})
            assert r.status_code == 200, r.text
            return [p["person_id"] for p in r.json()["persons"]]

        last4 = mine["person"]["id_number"][-4:]
        assert ids["mine"] in await listed(officer, q=last4)
        assert ids["mine"] in await listed(officer, q=mine["order_no"])
        assert ids["mine"] in await listed(officer, q="钱")  # the masked name keeps the family name
        assert ids["theirs"] not in await listed(officer)
        assert ids["theirs"] not in await listed(officer, q=theirs["order_no"])  # search stays in scope
        r = await client.get(f"{cc}/api/v1/persons", headers=officer, params={"office": "华士镇"})
        assert r.status_code == 403
        assert ids["theirs"] in await listed(duty, q=theirs["order_no"])
        assert ids["theirs"] in await listed(duty, office="华士镇", group="corrections", positioning="false")
        assert ids["theirs"] not in await listed(duty, office="华士镇", positioning="true")
        assert ids["mine"] not in await listed(officer, group="resettlement")
        page = (await client.get(f"{cc}/api/v1/persons", headers=officer, params={"q": last4})).json()
        found = next(p for p in page["persons"] if p["person_id"] == ids["mine"])
        assert found["person_masked"]["name_masked"].startswith("钱") and "id_number" not in found["person_masked"]
        assert found["jurisdiction"] == "澄江街道" and found["kind"] == "community_correction"

        # A fix far outside the county: an open alert, and the person is found by it.
        device = await gateway_token(client, gw, "device")
        far = fix(ids["mine"], *SHANGHAI, datetime.now(UTC).replace(microsecond=0))
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": [far]}, headers=device)).status_code == 202

        async def alerted() -> bool:
            return ids["mine"] in await listed(officer, open_alerts="true")

        assert await eventually(alerted, 30)
        page = (await client.get(f"{cc}/api/v1/persons", headers=officer, params={"open_alerts": "true"})).json()
        assert all(p["open_alerts"] >= 1 for p in page["persons"])
        assert ids["theirs"] not in await listed(duty, open_alerts="true", office="华士镇")

        # The board names an alert's person by label: masked name and case number, in scope only.
        labels = await client.post(
            f"{cc}/api/v1/person-labels", headers=officer, json={"person_ids": list(ids.values())}
        )
        assert labels.status_code == 200, labels.text
        assert set(labels.json()) == {ids["mine"]}  # another office's person is not named to an officer
        mine_label = labels.json()[ids["mine"]]
        assert mine_label["name_masked"].startswith("钱") and mine_label["case_ref"].endswith(mine["order_no"])
        county = (
            await client.post(f"{cc}/api/v1/person-labels", headers=duty, json={"person_ids": list(ids.values())})
        ).json()
        assert set(county) == set(ids.values())
        empty = await client.post(f"{cc}/api/v1/person-labels", headers=duty, json={"person_ids": []})
        assert empty.status_code == 422 and empty.headers["content-type"].startswith("application/problem+json")


async def test_me_says_what_the_role_may_do_and_how_the_board_groups_storms(platform):
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=15) as client:
        officer = (await client.get(f"{cc}/api/v1/me", headers=await staff(client, cc, "officer-demo"))).json()
        head = (await client.get(f"{cc}/api/v1/me", headers=await staff(client, cc, "head-demo"))).json()
    # From policy/authority.yaml: positioning is the bureau head's; a long leave the county's.
    assert "positioning.approve" not in officer["may"] and "positioning.approve" in head["may"]
    assert "leave.approve_long" not in officer["may"] and "leave.approve_long" in head["may"]
    assert "leave.approve" in officer["may"] and "case.close" not in officer["may"]
    assert officer["board"] == {"storm": {"size": 20, "window_minutes": 5}, "sound_on_new_alert": True}
