"""A past month's statistics answer the same whenever asked (docs/indicators.md): once final
(`final_after_days` after the month, policy/console.yaml; the test platform's is longer, see
tests/session_stack.py) they are kept, and a record made for the month later changes nothing; the
month under way is worked out afresh, marked provisional."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from shared.county import default_county
from tests.e2e.test_thin_slice import staff
from tests.faults.helpers import db_url, execute

PAST = "2025-06"  # final even after the test platform's FINAL_AFTER_DAYS, and before any test's records
LATE_ALERT = """
insert into alert_view (alert_id, person_id, colour, status, rule_id, jurisdiction, raised_at, version, data)
values (:a, :p, 'red', 'closed', 'zone_exit', :office, :at, 1, '{}'::jsonb)
"""


async def test_a_final_months_figures_are_kept_and_the_month_under_way_is_provisional(platform):
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=30) as client:
        duty, officer = await staff(client, cc, "duty-demo"), await staff(client, cc, "officer-demo")
        first = (await client.get(f"{cc}/api/v1/statistics", params={"month": PAST}, headers=duty)).json()
        assert first["final"] is True and first["kept_at"]
        assert datetime.fromisoformat(first["final_from"]) < datetime.fromisoformat(first["kept_at"])
        # A record of that month made now (an alert the projection learns of late): the kept answer
        # stands. The row is closed, of no office, and taken out again, so no other test meets it.
        late, url = uuid.uuid4(), db_url(platform, "command_centre")
        office = f"测试司法所-{uuid.uuid4().hex[:6]}"
        at = datetime(2025, 6, 15, 2, tzinfo=UTC)
        await execute(url, LATE_ALERT, a=late, p=uuid.uuid4(), at=at, office=office)
        try:
            again = (await client.get(f"{cc}/api/v1/statistics", params={"month": PAST}, headers=duty)).json()
        finally:
            await execute(url, "delete from alert_view where alert_id = :a", a=late)
        assert again["kept_at"] == first["kept_at"] and again["total"] == first["total"]
        assert again["total"]["alerts"].get("red", 0) == first["total"]["alerts"].get("red", 0)
        mine = (await client.get(f"{cc}/api/v1/statistics", params={"month": PAST}, headers=officer)).json()
        assert [o["office"] for o in mine["offices"]] == ["澄江街道"] and mine["total"] is None
        assert mine["kept_at"] == first["kept_at"]

        now = default_county().month_of(datetime.now(UTC))
        live = (await client.get(f"{cc}/api/v1/statistics", params={"month": now}, headers=duty)).json()
        assert live["final"] is False and "kept_at" not in live
        assert datetime.fromisoformat(live["final_from"]) > datetime.now(UTC)
