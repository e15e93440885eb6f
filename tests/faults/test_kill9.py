"""kill -9 each consuming service in turn while fixes and pre-release notices flow; restart it.
Every expected alert exists exactly once (by alert_id) in alerting's database and is raised once
on alerts.v1; every notice gets exactly one receipt. (Issue #10: the first of its faults.)"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench import load
from bench.raw import produce, producer
from shared import topics
from shared.envelope import encode, new_event
from shared.events import MaskedPerson, ReleaseNoticeIngested
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.faults

PERSONS, FIXES_EACH, NOTICES = 200, 100, 1000
OUTSIDE_FROM = 50   # persons with index ≥ this leave the county half-way: one zone_exit each
FIRST = 900_000     # bench person indexes of their own, apart from every other test's persons


def notice(k: int, run: str) -> tuple[bytes, bytes, list]:
    pid = uuid.uuid5(uuid.NAMESPACE_URL, f"sps-faults-{run}-{k}")
    data = ReleaseNoticeIngested(
        notice_no=f"FAULT-{run}-{k:05d}", prison="江苏省苏州监狱", person_id=pid,
        person=MaskedPerson(name_masked="故*", id_number_masked="3202**********0000", sex="M",
                            residence_town=load.OFFICES[k % 17]),
        offence="测试", offence_category="property", release_date=date.today() + timedelta(days=40),
        sentence_months=12, reform_performance="good", prison_risk_rating="low",
        destination_town=load.OFFICES[k % 17])
    return str(pid).encode(), encode(new_event("sps.ingest.release-notice", "/sps/exchange", data,
                                               subject=str(pid))), []


def fixes() -> list:
    """Round-robin over the persons; the second half of the outside-goers' fixes far outside."""
    out = []
    for round_ in range(FIXES_EACH):
        for i in range(PERSONS):
            outside = i >= OUTSIDE_FROM and round_ >= FIXES_EACH // 2
            lon, lat = load.SHANGHAI if outside else load.INSIDE
            out.append(load.fix(FIRST + i, lon, lat, datetime.now(UTC) + timedelta(milliseconds=round_)))
    return out


async def count(url: str, sql: str, **params) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text(sql), params)
    finally:
        await engine.dispose()


async def test_kill_9_each_service_under_load_loses_and_doubles_nothing(platform):
    run = uuid.uuid4().hex[:6]
    base = platform.database_url.rsplit("/", 1)[0]
    p = producer(platform.bootstrap)
    await p.start()
    try:
        await produce(p, topics.COURT_ORDERS, [load.court_order(FIRST + i) for i in range(PERSONS)])
        deadline = time.monotonic() + 120
        while await count(f"{base}/sps_supervision", "select count(*) from cases where source_ref like :p",
                          p="court-order:BENCH-09%") < PERSONS:
            assert time.monotonic() < deadline, "cases never opened"
            await asyncio.sleep(0.5)
        all_fixes, notices = fixes(), [notice(k, run) for k in range(NOTICES)]
        chunk, kills = len(all_fixes) // 4, ["supervision", "alerting", "handover"]
        killed_at: dict[str, float] = {}
        for step in range(4):
            await produce(p, topics.LOCATIONS, all_fixes[step * chunk:(step + 1) * chunk])
            await produce(p, topics.RELEASE_NOTICES, notices[step * NOTICES // 4:(step + 1) * NOTICES // 4])
            if step < len(kills):
                name = kills[step]
                await asyncio.sleep(0.3)              # mid-stream: records in flight, batches half done
                assert platform.stop_service(name, kill=True), f"{name} was not running"
                killed_at[name] = time.monotonic()
                platform.start_service(name)
        await asyncio.to_thread(platform.wait_ready, None, 120)
    finally:
        await p.stop()

    expected = {str(load.person_id(FIRST + i)) for i in range(OUTSIDE_FROM, PERSONS)}
    alerts_db = f"{base}/sps_alerting"
    deadline = time.monotonic() + 180
    while (n := await count(alerts_db, "select count(distinct person_id) from alerts where rule_id = 'zone_exit' "
                            "and person_id = any(cast(:ids as uuid[]))", ids=list(expected))) < len(expected):
        assert time.monotonic() < deadline, f"only {n} of {len(expected)} zone_exit alerts after the kills"
        await asyncio.sleep(1.0)
    await asyncio.sleep(3.0)  # anything doubled would show by now
    rows = await count(alerts_db, "select count(*) from alerts where rule_id = 'zone_exit' "
                       "and person_id = any(cast(:ids as uuid[]))", ids=list(expected))
    assert rows == len(expected), f"{rows} alert rows for {len(expected)} expected alerts"

    raised = Counter()
    redelivered = 0
    seen_ids: set[str] = set()
    for r in await read_topic(platform.bootstrap, topics.ALERTS, timeout_s=30):
        event = orjson.loads(r.value)
        data = event.get("data", {})
        if event.get("type") == "sps.alert.raised" and data.get("person_id") in expected \
                and data.get("rule_id") == "zone_exit":
            if event["id"] in seen_ids:
                redelivered += 1          # the same event again: consumers' inboxes drop it
                continue
            seen_ids.add(event["id"])
            raised[data["alert_id"]] += 1
    assert len(raised) == len(expected) and set(raised.values()) == {1}, raised.most_common(3)

    receipts = Counter()
    receipt_ids: set[str] = set()
    for r in await read_topic(platform.bootstrap, topics.EXCHANGE_OUTBOUND, timeout_s=30):
        event = orjson.loads(r.value)
        no = event.get("data", {}).get("notice_no", "")
        if event.get("type") == "sps.exchange.receipt" and no.startswith(f"FAULT-{run}-") \
                and event["id"] not in receipt_ids:
            receipt_ids.add(event["id"])
            receipts[no] += 1
    assert len(receipts) == NOTICES and set(receipts.values()) == {1}, (len(receipts), receipts.most_common(3))
    print(f"\n[faults] kill -9 of {', '.join(killed_at)} under {len(all_fixes):,} fixes and {NOTICES:,} notices: "
          f"{len(expected)} alerts and {NOTICES} receipts, each once; {redelivered} raised records redelivered "
          f"with the same id (dropped by consumers)")
