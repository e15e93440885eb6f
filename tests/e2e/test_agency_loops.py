"""The loops with the police through the gateway and real Kafka (#21, contract §6.2): each opened
corrections case sends a border-control notice (不准出境报备), and its end lifts it."""

from __future__ import annotations

import httpx

from tests.e2e.test_thin_slice import case_open, gateway_token, staff
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

        supervisor = await staff(client, cc, "supervisor-demo")
        closed = await client.post(
            f"{cc}/api/v1/persons/{person}/close",
            headers=supervisor,
            json={"outcome": "transferred", "reason": "迁居外省"},
        )
        assert closed.status_code == 200, closed.text
        lifted = (await eventually(lambda: controls("lifted"), 30))[0]
        assert lifted["control_id"] == imposed["control_id"]
        page = (
            await client.get(f"{gw}/v1/police/exit-controls", params={"since": imposed["at"]}, headers=police)
        ).json()
        assert all(item["at"] >= imposed["at"] for item in page["items"])  # oldest first, from `since`
