"""Supervision in process against the real broker and database, on a policy copy with windows of
seconds: intake missed across a restart (exactly once), device offline, strap cut, exclusion
zone, and the same fix delivered twice."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.supervision.main import SupervisionSettings, create_app
from shared import topics
from shared.envelope import encode, new_event
from shared.events import Checkin, CourtOrderIngested, LocationFix, MaskedPerson
from shared.kafka.producer import EventProducer
from shared.paths import POLICY_DIR
from tests.internal_calls import report_intake
from tests.kafka_helpers import header, published_by, read_topic, start_groups_at_end
from tests.waiting import eventually

ZONE = {
    "name": "受害人住所",
    "polygon": {
        "type": "Polygon",
        "coordinates": [[[120.28, 31.90], [120.29, 31.90], [120.29, 31.91], [120.28, 31.91], [120.28, 31.90]]],
    },
}


PROGRAMMES = (
    "positioning: {term_months: 3, ending_notice_day: 80}\n"
    "aftercare: {phone_every_months: 1, visit_every_months: 3, unreported_trip_days: 3,"
    " serious_unreported_trips: 3}\n"
    "targets: {aftercare_rate: 0.9, abstinence_rate: 0.5}\n"
    "key_persons: {risk_levels: [high], sanctions_in_month: 1, serious_alerts_in_month: 1}\n"
    "map: {track_every: PT5M}\n"
)


@pytest.fixture(scope="module")
def quick_policy(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("policy-supervision")
    shutil.copytree(POLICY_DIR, d, dirs_exist_ok=True)
    (d / "supervision.yaml").write_text(
        "intake: {report_within: P10D}\n"  # its timers are moved to the past by the tests (_due_now)
        "leave: {office_may_approve_up_to: P7D, longest: P30D}\n"
        "devices: {offline_after: PT2S, park_without_case: PT2S}\n"
        "levels: {first_months_strict: 2, checkin_every: {strict: PT3S, ordinary: PT7S, lenient: PT14S}}\n"
        "contact: {lost_after: PT5S, check_within: PT2S}\n" + PROGRAMMES,
        encoding="utf-8",
    )
    return d


@contextlib.asynccontextmanager
async def supervision(stack, policy_dir: Path, name: str = "supervision_it"):
    settings = SupervisionSettings(
        service_name=name,
        demo_mode=True,
        kafka_bootstrap_servers=stack.bootstrap,
        database_url=stack.database_url,
        policy_dir=policy_dir,
        outbox_poll_interval_s=0.2,
    )
    app = create_app(settings)
    await start_groups_at_end(stack.bootstrap, app.state.parts.runtime.consumer_groups())
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.parts.runtime.started.wait(), timeout=60)
        yield app


def order(person_id: uuid.UUID, effective: date, zones=()) -> bytes:
    data = CourtOrderIngested(
        order_no=f"T-{uuid.uuid4().hex[:10]}",
        court="江阴市人民法院",
        person_id=person_id,
        person=MaskedPerson(
            name_masked="王*", id_number_masked="3202**********1234", sex="M", residence_town="澄江街道"
        ),
        sentence_kind="probation",
        offence="盗窃罪",
        offence_category="property",
        term_start=effective,
        term_end=effective + timedelta(days=365),
        judgment_effective=effective,
        exclusion_zones=list(zones),
    )
    return encode(new_event("sps.ingest.court-order", "/sps/exchange", data, subject=str(person_id)))


def fix(
    person_id: uuid.UUID, lat: float, lon: float, at: datetime, accuracy: float = 10, strap: bool | None = None
) -> bytes:
    data = LocationFix(
        person_id=person_id,
        device_id="EM-IT",
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        recorded_at=at,
        strap_intact=strap,
    )
    return encode(new_event("sps.ingest.location", "/sps/exchange", data, subject=str(person_id)))


async def send(stack, topic: str, person_id: uuid.UUID, values: list[bytes]) -> None:
    producer = EventProducer(stack.bootstrap, "test")
    await producer.start()
    try:
        await producer.publish_raw([(topic, str(person_id), v, []) for v in values])
    finally:
        await producer.stop()


async def events_for(app, stack, person_id: uuid.UUID, kind: str | None = None) -> list[dict]:
    events = await published_by(app.state.parts.runtime.engine, stack.bootstrap, topics.SUPERVISION_EVENTS)
    return [e for e in events if e["subject"] == str(person_id) and (kind is None or e["type"] == kind)]


async def test_a_fix_before_its_order_is_judged_when_the_case_opens_or_dead_lettered(stack, quick_policy):
    early, never = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with supervision(stack, quick_policy) as app:
        # The fixes overtake the orders (another topic): the first person's order comes after.
        await send(stack, topics.LOCATIONS, early, [fix(early, 31.23, 121.47, now)])
        await send(stack, topics.LOCATIONS, never, [fix(never, 31.23, 121.47, now)])
        await send(stack, topics.COURT_ORDERS, early, [order(early, now.date())])
        exited = await eventually(lambda: events_for(app, stack, early, "sps.supervision.zone-exited"))
        assert exited[0]["data"]["lat"] == 31.23

        async def dead_for_never():
            records = await read_topic(stack.bootstrap, topics.dlq(topics.LOCATIONS))
            return [r for r in records if r.key == str(never).encode()]

        dead = await eventually(dead_for_never, 20)
        assert header(dead[0], "sps-error") == "no-open-case" and len(dead) == 1
        assert not await events_for(app, stack, never)


async def test_intake_missed_fires_exactly_once_across_a_restart_and_not_for_one_who_reported(stack, quick_policy):
    from shared.county import default_county

    missing, reporting = uuid.uuid4(), uuid.uuid4()
    # The county's today: its tomorrow starts at 16:00 UTC, so a UTC date would put the deadline
    # in the past for eight hours of every day (docs/domain.md §5).
    today = default_county().day_of(datetime.now(UTC))
    async with supervision(stack, quick_policy) as app:
        await send(stack, topics.COURT_ORDERS, missing, [order(missing, today + timedelta(days=1))])
        await send(stack, topics.COURT_ORDERS, reporting, [order(reporting, today + timedelta(days=1))])
        await eventually(lambda: events_for(app, stack, reporting, "sps.supervision.case-opened"))
        # A device's in-person check-in is no 报到 (contract §7.5): the missing one sends one too.
        await send(stack, topics.CHECKINS, missing, [checkin(missing, "in_person")])
        await report_intake(app, reporting)  # the office records that the reporting one came
        await eventually(lambda: events_for(app, stack, reporting, "sps.supervision.intake-reported"))
    # The deadline (tomorrow 00:00 + 3 s) is in the future: move it to the past after a restart.
    async with supervision(stack, quick_policy) as app:
        await _due_now(app, [missing, reporting])
        await eventually(lambda: events_for(app, stack, missing, "sps.supervision.intake-missed"))
    async with supervision(stack, quick_policy) as app:  # and once more: nothing fires twice
        # The canary: a third person's intake deadline, put in the past after this start; once the
        # timer loop has fired it, it has been over the first two's timers again.
        canary = uuid.uuid4()
        await send(stack, topics.COURT_ORDERS, canary, [order(canary, today + timedelta(days=1))])
        await eventually(lambda: events_for(app, stack, canary, "sps.supervision.case-opened"))
        await _due_now(app, [canary])
        await eventually(lambda: events_for(app, stack, canary, "sps.supervision.intake-missed"))
        missed = await events_for(app, stack, missing, "sps.supervision.intake-missed")
        assert len(missed) == 1 and missed[0]["data"]["cause"].startswith("intake:")
        assert not await events_for(app, stack, reporting, "sps.supervision.intake-missed")


async def _due_now(app, persons: list[uuid.UUID]) -> None:
    """The persons' unfired intake deadlines moved to a second ago."""
    import sqlalchemy as sa

    from shared.timers import timers

    async with app.state.parts.runtime.engine.begin() as conn:
        await conn.execute(
            sa.update(timers)
            .where(
                timers.c.kind == "intake.due",
                timers.c.fired_at.is_(None),
                timers.c.payload["person_id"].astext.in_([str(p) for p in persons]),
            )
            .values(due_at=sa.func.now() - sa.text("interval '1 second'"))
        )


async def test_device_offline_strap_cut_and_exclusion_zone(stack, quick_policy):
    person = uuid.uuid4()
    async with supervision(stack, quick_policy) as app:
        await send(stack, topics.COURT_ORDERS, person, [order(person, datetime.now(UTC).date(), [ZONE])])
        await eventually(lambda: events_for(app, stack, person, "sps.supervision.case-opened"))
        # Dated in the past, as real fixes are when they arrive: one dated ahead of its arrival would
        # count from its arrival (L7, docs/security.md), and the offline event would say so.
        now = datetime.now(UTC) - timedelta(seconds=2)
        in_zone = fix(person, 31.905, 120.285, now, accuracy=10)  # ~500 m inside the zone
        await send(
            stack,
            topics.LOCATIONS,
            person,
            [
                in_zone,
                in_zone,  # the same fix twice
                fix(person, 31.905, 120.285, now + timedelta(seconds=1), strap=False),
                fix(person, 31.905, 120.285, now + timedelta(seconds=1.5), strap=False),
            ],
        )
        entered = await eventually(lambda: events_for(app, stack, person, "sps.supervision.exclusion-zone-entered"))
        cut = await eventually(lambda: events_for(app, stack, person, "sps.supervision.device-tampered"))
        offline = await eventually(lambda: events_for(app, stack, person, "sps.supervision.device-offline"), 20)
        # No second offline without a new fix: the watchdog is spent, and only a fix arms it again.
        assert await _watchdog_spent(app, f"offline:{person}")
        assert len(await events_for(app, stack, person, "sps.supervision.device-offline")) == 1
        assert len(entered) == 1 and entered[0]["data"]["zone"] == "受害人住所"
        assert len(cut) == 1 and cut[0]["data"]["device_id"] == "EM-IT"
        assert offline[0]["data"]["last_fix_at"].startswith((now + timedelta(seconds=1.5)).isoformat()[:19])
        # A new fix re-arms the offline rule: a new episode, a new cause.
        await send(stack, topics.LOCATIONS, person, [fix(person, 31.95, 120.20, datetime.now(UTC))])
        await eventually(lambda: _count(events_for(app, stack, person, "sps.supervision.device-offline"), 2), 20)
        causes = {e["data"]["cause"] for e in await events_for(app, stack, person, "sps.supervision.device-offline")}
        assert len(causes) == 2


async def _watchdog_spent(app, key: str) -> bool:
    """The timer `key` has fired and waits for nothing: it fires again only if something arms it."""
    import sqlalchemy as sa

    from shared.timers import timers

    async with app.state.parts.runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(timers.c.fired_at).where(timers.c.key == key))).first()
    return row is not None and row.fired_at is not None


async def _count(coro, n: int) -> bool:
    return len(await coro) >= n


def checkin(person_id: uuid.UUID, channel: str = "app") -> bytes:
    data = Checkin(person_id=person_id, channel=channel, recorded_at=datetime.now(UTC))
    return encode(new_event("sps.ingest.checkin", "/sps/exchange", data, subject=str(person_id)))


async def test_missed_checkins_by_schedule_and_contact_lost(stack, quick_policy):
    silent, diligent = uuid.uuid4(), uuid.uuid4()
    async with supervision(stack, quick_policy) as app:
        for person in (silent, diligent):
            await send(stack, topics.COURT_ORDERS, person, [order(person, datetime.now(UTC).date())])
            await eventually(lambda p=person: events_for(app, stack, p, "sps.supervision.case-opened"))
            await report_intake(app, person)  # 报到: the schedule starts

        async def keep_checking_in() -> None:  # the diligent one, well within the 3 s schedule, throughout
            while True:
                await send(stack, topics.CHECKINS, diligent, [checkin(diligent)])
                await asyncio.sleep(0.5)

        diligence = asyncio.create_task(keep_checking_in())  # the silent one never checks in again
        try:
            await _checks_windows(app, stack, silent, diligent)
        finally:
            diligence.cancel()
            await asyncio.gather(diligence, return_exceptions=True)


async def _checks_windows(app, stack, silent: uuid.UUID, diligent: uuid.UUID) -> None:
    """The silent one misses, is due a contact check, and is lost; the diligent one never."""
    missed = await eventually(lambda: events_for(app, stack, silent, "sps.supervision.checkin-missed"))
    assert missed[0]["data"]["cause"].startswith("checkin:")
    # Check-ins only: the window starts at the missed check-in; the office gets a check to make,
    # and no result recorded in time is contact lost.
    due = await eventually(lambda: events_for(app, stack, silent, "sps.supervision.contact-check-due"), 20)
    assert due[0]["data"]["basis"] == "checkin"
    lost = await eventually(lambda: events_for(app, stack, silent, "sps.supervision.contact-lost"), 20)
    assert len(lost) == 1 and lost[0]["data"]["reason"] == "no_result"
    assert lost[0]["data"]["cause"] == due[0]["data"]["cause"]
    assert not await events_for(app, stack, diligent, "sps.supervision.checkin-missed")
    assert not await events_for(app, stack, diligent, "sps.supervision.contact-lost")
    # That each missed period is its own cause is the handlers' logic, shown without waiting in
    # tests/unit/test_supervision_handlers.py; this test proves the wiring: timers in PostgreSQL
    # firing through the timer loop, events on Kafka.


async def test_a_fix_forged_ahead_on_kafka_itself_hides_no_real_fix_after_it(stack, quick_policy):
    """L7 on the Kafka door (docs/security.md): a producer writing ingest.locations.v1 itself dates
    the fix and its envelope four minutes ahead (inside the tolerance). The broker stamps the
    record's arrival (LogAppendTime), so the fix counts from then, and the real fix outside the
    county a moment later is newer, not "older": it raises the exit."""
    person = uuid.uuid4()
    async with supervision(stack, quick_policy) as app:
        await send(stack, topics.COURT_ORDERS, person, [order(person, datetime.now(UTC).date())])
        await eventually(lambda: events_for(app, stack, person, "sps.supervision.case-opened"))
        ahead = datetime.now(UTC) + timedelta(minutes=4)
        forged = LocationFix(
            person_id=person, device_id="EM-IT", lat=31.91, lon=120.28, accuracy_m=10, recorded_at=ahead
        )
        forged_record = encode(
            new_event("sps.ingest.location", "/sps/exchange", forged, subject=str(person), time=ahead)
        )
        await send(stack, topics.LOCATIONS, person, [forged_record])
        await send(stack, topics.LOCATIONS, person, [fix(person, 31.23, 121.47, datetime.now(UTC))])  # Shanghai
        assert await eventually(lambda: events_for(app, stack, person, "sps.supervision.zone-exited"), 30)
