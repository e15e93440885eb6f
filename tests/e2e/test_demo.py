"""`make demo`'s simulator, briefly, against the running platform: it enrols persons through the
gateway, reports them in, and keeps sending fixes and notices."""

from __future__ import annotations

import httpx

from tests.e2e.test_thin_slice import staff
from tests.waiting import eventually
from tools.devstack.simulator import Demo


async def test_the_simulator_feeds_the_platform(platform):
    demo = Demo(platform.url("exchange"), persons=20, seed=7, console_url=platform.url("command_centre"))
    await demo.run(interval=0.5, duration=3)
    assert sum(1 for p in demo.persons if p.person_id) == 20
    assert demo.stats["fixes"] >= 20 * 3 and demo.stats["notices"] >= 1
    async with httpx.AsyncClient(timeout=10) as client:
        duty = await staff(client, platform.url("command_centre"), "duty-demo")
        page = await client.get(
            f"{platform.url('command_centre')}/api/v1/persons/{demo.persons[0].person_id}", headers=duty
        )
        assert page.status_code == 200 and page.json()["jurisdiction"] == demo.persons[0].town
        # 协矫通 in the demo: the volunteer's account on teams of 澄江街道, and the office's registry.
        volunteer = await staff(client, platform.url("command_centre"), "team-demo")
        mine = (await client.get(f"{platform.url('command_centre')}/api/v1/team/persons", headers=volunteer)).json()
        ids = {p.person_id for p in demo.persons if p.town == "澄江街道"}
        assert ids and len(ids & {m["person_id"] for m in mine}) == min(3, len(ids))
        forces = (await client.get(f"{platform.url('command_centre')}/api/v1/social-forces", headers=duty)).json()
        assert {"陈社工", "李志愿"} <= {f["name"] for f in forces if f["office"] == "澄江街道"}

        # 安置帮教 on the demo's data: the resettlement measures of 澄江街道 are computed.
        async def measured() -> dict | None:
            stats = (await client.get(f"{platform.url('command_centre')}/api/v1/statistics", headers=duty)).json()
            office = next(o for o in stats["offices"] if o["office"] == "澄江街道")
            return office if office.get("resettlement_cases") else None  # the cases open through Kafka

        office = await eventually(measured, 30)
        assert office["placement_rate"] is not None and office["employment_service_rate"] is not None
        assert office["help_plan_rate"] == 0.0  # none made yet: the demo leaves them to the office
        visits = (await client.get(f"{platform.url('command_centre')}/api/v1/visits", headers=duty)).json()
        assert any(v["office"] == "澄江街道" and v["family"]["name_masked"].startswith("演*") for v in visits)
