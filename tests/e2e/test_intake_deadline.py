"""The intake deadline counted as the law counts it (docs/rules.md), black-box on the running
platform: a judgment that took effect ten county days ago leaves the person all of today, so no
red `intake_missed` (and no police search) comes; one that took effect eleven days ago was
missed at 00:00 today, and raises it.

When yesterday was a weekend or holiday, the tenth day of the eleven-days-ago judgment moved to
the next working day (the law's rule), so the missed judgment is taken from further back: the
latest whose last day is over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from shared.county import default_county
from shared.periods import within_days
from tests.e2e.test_thin_slice import alerts_for, case_open, gateway_token, staff
from tests.factories import court_order
from tests.waiting import eventually

INTAKE_DAYS = 10  # policy/supervision.yaml intake.report_within


def latest_missed(today: date) -> date:
    """The latest effective day whose intake deadline is over today: eleven days ago, unless the
    holiday rule moved its last day to today or later."""
    county = default_county()
    day = today - timedelta(days=INTAKE_DAYS + 1)
    while not within_days(county, day, INTAKE_DAYS).last_day < today:
        day -= timedelta(days=1)
    return day


async def test_ten_days_ago_is_not_missed_today_and_eleven_days_ago_is(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    county = default_county()
    today = county.day_of(datetime.now(UTC))
    in_time, missed = today - timedelta(days=INTAKE_DAYS), latest_missed(today)
    async with httpx.AsyncClient(timeout=10) as client:
        court = await gateway_token(client, gw, "court")
        duty = await staff(client, cc, "duty-demo")
        persons = {}
        for name, effective in (("in_time", in_time), ("missed", missed)):  # the one in time first
            order = court_order(
                electronic_monitoring=False,
                judgment_effective=effective.isoformat(),
                term_start=effective.isoformat(),
                term_end=(effective + timedelta(days=365)).isoformat(),
            )
            r = await client.post(f"{gw}/v1/court-orders", json=order, headers=court)
            assert r.status_code == 202, r.text
            persons[name] = r.json()["person_id"]
            await case_open(client, cc, persons[name])

        raised = await alerts_for(platform.bootstrap, persons["missed"], rule="intake_missed")
        assert any(a["data"]["rule_id"] == "intake_missed" and a["data"]["colour"] == "red" for a in raised), raised

        async def missed_on_file(person: str) -> bool:
            timeline = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=duty)).json()
            return any(t["event_type"] == "sps.supervision.intake-missed" for t in timeline)

        assert await eventually(lambda: missed_on_file(persons["missed"]), 30)
        # The deadline of the one in time is tomorrow's 00:00 or later: nothing on its file.
        assert within_days(county, in_time, INTAKE_DAYS).last_day >= today
        assert not await missed_on_file(persons["in_time"])
        assert [a for a in await alerts_for(platform.bootstrap, persons["in_time"], min_count=0)] == []
