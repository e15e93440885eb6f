"""kill -9 each consuming service in turn while fixes and pre-release notices flow; restart it.
Every expected alert exists exactly once (by alert_id) in alerting's database and is raised once
on alerts.v1; every notice opens exactly one handover; every arrival deadline that falls due while
the services die and come back fires exactly once (漏管: one alert per person)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from bench import load
from bench.raw import produce, producer
from shared import topics
from shared.envelope import encode, new_event
from shared.events import MaskedPerson, ReleaseNoticeIngested
from tests.faults.conftest import Figure, scaled
from tests.faults.helpers import alerts_once, execute, open_cases, opened_once, scalar, wait_alerts
from tests.kafka_helpers import decoded, read_topic

pytestmark = pytest.mark.faults

PERSONS, FIXES_EACH, NOTICES = 200, scaled(100, 20), scaled(1000, 100)  # full: 20,000 fixes, 1,000 notices
OUTSIDE_FROM = 50  # persons with index ≥ this leave the county half-way: one zone_exit each
FIRST = 900_000  # bench person indexes of their own, apart from every other test's persons
KEY_EVERY, KEY_BELOW = 3, scaled(140, 12)  # key persons (必接必送) in the first slice: an arrival deadline each


def notice(k: int, run: str) -> tuple[bytes, bytes, list]:
    pid = uuid.uuid5(uuid.NAMESPACE_URL, f"sps-faults-{run}-{k}")
    data = ReleaseNoticeIngested(
        notice_no=f"FAULT-{run}-{k:05d}",
        prison="江苏省苏州监狱",
        person_id=pid,
        person=MaskedPerson(
            name_masked="故*", id_number_masked="3202**********0000", sex="M", residence_town=load.OFFICES[k % 17]
        ),
        offence="测试",
        offence_category="property",
        release_date=date.today() + timedelta(days=40),
        sentence_months=12,
        reform_performance="poor" if is_key(k) else "good",
        prison_risk_rating="low",
        destination_town=load.OFFICES[k % 17],
    )
    return (
        str(pid).encode(),
        encode(new_event("sps.ingest.release-notice", "/sps/exchange", data, subject=str(pid))),
        [],
    )


def is_key(k: int) -> bool:
    return k < KEY_BELOW and k % KEY_EVERY == 0


def fixes() -> list:
    """Round-robin over the persons; the second half of the outside-goers' fixes far outside."""
    out = []
    for round_ in range(FIXES_EACH):
        for i in range(PERSONS):
            outside = i >= OUTSIDE_FROM and round_ >= FIXES_EACH // 2
            lon, lat = load.SHANGHAI if outside else load.INSIDE
            out.append(load.fix(FIRST + i, lon, lat, datetime.now(UTC) + timedelta(milliseconds=round_)))
    return out


# The arrival deadlines of this run's key persons, spread over the next seconds: they fall due
# while supervision, alerting and handover are killed and restarted.
_BRING_FORWARD = """
update timers t set due_at = now() + make_interval(secs => r.n * :spacing)
from (select tm.id, row_number() over (order by tm.id) as n from timers tm
      join handovers h on tm.payload->>'handover_id' = h.handover_id::text
      where tm.kind = 'handover.arrival' and tm.fired_at is null and h.notice_no like :p) r
where t.id = r.id"""


async def test_kill_9_each_service_under_load_loses_and_doubles_nothing(platform, figures):
    run = uuid.uuid4().hex[:6]
    base = platform.database_url.rsplit("/", 1)[0]
    p = producer(platform.bootstrap)
    await p.start()
    try:
        # By person id: a pattern on order numbers also matched other tests' persons, so fixes
        # could overtake their own court orders (and be dropped as fixes without a case).
        await open_cases(platform, p, FIRST, PERSONS)
        all_fixes, notices = fixes(), [notice(k, run) for k in range(NOTICES)]
        keys = sum(is_key(k) for k in range(NOTICES))
        kills = ["supervision", "alerting", "handover", "risk", "exchange", "command_centre"]
        slices = len(kills) + 1
        chunk, per_slice = -(-len(all_fixes) // slices), -(-NOTICES // slices)
        killed_at: dict[str, float] = {}
        handover_db = f"{base}/sps_handover"
        for step in range(slices):
            await produce(p, topics.LOCATIONS, all_fixes[step * chunk : (step + 1) * chunk])
            await produce(p, topics.RELEASE_NOTICES, notices[step * per_slice : (step + 1) * per_slice])
            if step == 0:
                deadline = time.monotonic() + 60
                while (
                    await scalar(
                        handover_db,
                        "select count(*) from timers tm join handovers h on "
                        "tm.payload->>'handover_id' = h.handover_id::text where tm.kind = "
                        "'handover.arrival' and h.notice_no like :p",
                        p=f"FAULT-{run}-%",
                    )
                    < keys
                ):
                    assert time.monotonic() < deadline, "the key persons' arrival deadlines were never set"
                    await asyncio.sleep(0.2)
                moved = await execute(handover_db, _BRING_FORWARD, spacing=0.15, p=f"FAULT-{run}-%")
                assert moved == keys
            if step < len(kills):
                name = kills[step]
                await asyncio.sleep(0.3)  # mid-stream: records in flight, batches half done
                assert platform.stop_service(name, kill=True), f"{name} was not running"
                killed_at[name] = time.monotonic()
                platform.start_service(name)
        await asyncio.to_thread(platform.wait_ready, None, 120)
    finally:
        await p.stop()

    restarted = time.monotonic()
    expected = [str(load.person_id(FIRST + i)) for i in range(OUTSIDE_FROM, PERSONS)]
    key_ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"sps-faults-{run}-{k}")) for k in range(NOTICES) if is_key(k)]
    await wait_alerts(platform, "zone_exit", expected)
    await wait_alerts(platform, "release_intake_missed", key_ids)
    recovery_s = time.monotonic() - restarted
    await asyncio.sleep(3.0)  # anything doubled would show by now
    rows, raised, redelivered = await alerts_once(platform, "zone_exit", expected)
    assert rows == len(expected), f"{rows} alert rows for {len(expected)} expected alerts"
    assert len(raised) == len(expected) and set(raised.values()) == {1}, raised.most_common(3)
    intake_rows, intake_raised, _ = await alerts_once(platform, "release_intake_missed", key_ids)
    assert intake_rows == keys and len(intake_raised) == keys and set(intake_raised.values()) == {1}, (
        intake_rows,
        intake_raised.most_common(3),
    )
    unfired = await scalar(
        handover_db,
        "select count(*) from timers tm join handovers h on tm.payload->>'handover_id'"
        " = h.handover_id::text where tm.kind = 'handover.arrival' and tm.fired_at is null "
        "and h.notice_no like :p",
        p=f"FAULT-{run}-%",
    )
    assert unfired == 0, f"{unfired} arrival deadlines never fired"
    fired: dict[str, set[str]] = {}  # deadline (the timer's key) → distinct event ids that reported it
    for _, event in decoded(await read_topic(platform.bootstrap, topics.HANDOVER_EVENTS, timeout_s=30)):
        if event.get("type") == "sps.handover.release-intake-missed" and event.get("subject") in set(key_ids):
            fired.setdefault(event["data"]["cause"], set()).add(event["id"])
    assert len(fired) == keys and {len(ids) for ids in fired.values()} == {1}, (
        len(fired),
        sorted(len(ids) for ids in fired.values())[-3:],
    )
    opened = await opened_once(platform, f"FAULT-{run}-")
    assert len(opened) == NOTICES and set(opened.values()) == {1}, (len(opened), opened.most_common(3))
    figures.add(
        Figure(
            fault="kill -9 of each consuming service under load",
            how=(
                f"{PERSONS} persons' {len(all_fixes):,} fixes and {NOTICES:,} pre-release notices ({keys} of them key "
                f"persons, 必接必送) are produced in {slices} slices; after each of the first {len(kills)}, one "
                f"service in turn ({', '.join(kills)}) is killed with SIGKILL 0.3 s later, mid-batch, and "
                f"restarted. The key persons' "
                f"{keys} arrival deadlines are brought forward to fall due, 0.15 s apart, during the kills."
            ),
            events_sent=len(all_fixes) + NOTICES + PERSONS,
            faults_injected=len(killed_at),
            expected=len(expected) + NOTICES + keys,
            delivered_once=len(raised) + len(opened) + len(fired),
            lost=0,
            doubled=0,
            recovery_s=round(recovery_s, 1),
            notes=[
                f"{len(expected)} zone_exit alerts: each once in alerting's database and raised once on alerts.v1 "
                f"(by alert_id); {redelivered} raised records were redelivered with the same CloudEvent id and "
                "dropped by consumers' inboxes",
                f"{NOTICES:,} handovers opened on handover.events.v1, each once",
                f"{keys} arrival deadlines (漏管): each fired once (one release-intake-missed event per deadline) "
                "and one release_intake_missed alert per person",
            ],
        )
    )
