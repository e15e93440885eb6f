"""Supervision's event and timer handlers on a fake unit of work and store, with a fixed clock:
the logic the integration tests otherwise check by waiting out short windows (intake missed,
check-ins missed by level, contact lost, leave overdue, device offline, a fix leaving the county).
No Kafka, no PostgreSQL; the integration tests keep proving the real wiring."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.supervision import fixes as sv_fixes
from services.supervision import handlers as sv_handlers
from services.supervision import programmes as sv_programmes
from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.policy import load_supervision_policy
from shared.county import default_county
from shared.envelope import IncomingEvent, decode, encode, new_event
from shared.events import (
    Checkin,
    CourtOrderIngested,
    EventData,
    LeaveApproved,
    LeaveReturned,
    LocationFix,
    MaskedPerson,
    PositioningEnded,
)
from shared.geography import load_geography
from shared.paths import POLICY_DIR
from shared.timers import Postpone, Timer
from tests.fakes import missing_methods
from tests.fakes.supervision_store import FakeSupervisionStore
from tests.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)
POLICY = load_supervision_policy(POLICY_DIR)
OUTSIDE = (121.47, 31.23)  # Shanghai: far outside the county
INSIDE = (120.28, 31.91)


@pytest.fixture
def world() -> tuple[SupervisionContext, FakeUnitOfWork, FakeSupervisionStore]:
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    uow = FakeUnitOfWork("supervision")
    store = FakeSupervisionStore(uow)
    handlers = SupervisionContext(
        directory, POLICY, clock=lambda: NOW, store=lambda _uow: cast(SupervisionStore, store)
    )
    return handlers, uow, store


def incoming(data: EventData, type_: str, at: datetime | None = None) -> IncomingEvent:
    """As the gateway makes it: at `at`, or a record dated when it is sent arrives then."""
    when = at or getattr(data, "recorded_at", None) or NOW
    return decode(encode(new_event(type_, "/sps/test", data, subject=str(data.person_id), time=when)))  # type: ignore[attr-defined]


def order(person_id: uuid.UUID, effective: date) -> CourtOrderIngested:
    return CourtOrderIngested(
        order_no=f"T-{uuid.uuid4().hex[:8]}",
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
    )


def timer_of(store: FakeSupervisionStore, prefix: str) -> Timer:
    key, (kind, due, payload) = next((k, v) for k, v in store.timers.items() if k.startswith(prefix))
    return Timer(key=key, kind=kind, due_at=due, payload=payload)


async def opened(handlers: SupervisionContext, uow: FakeUnitOfWork, person: uuid.UUID) -> None:
    o = order(person, NOW.date() - timedelta(days=3))
    async with uow:
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
        await sv_handlers.on_court_order(
            handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow)
        )  # sent again


def test_the_fake_store_has_every_method_of_the_real_one():
    assert missing_methods(SupervisionStore, FakeSupervisionStore(None)) == []


async def test_an_order_opens_one_case_and_intake_is_missed_unless_the_person_reports(world):
    handlers, uow, store = world
    person, reporter = uuid.uuid4(), uuid.uuid4()
    await opened(handlers, uow, person)
    await opened(handlers, uow, reporter)
    assert len(store.cases) == 2 and uow.types().count("sps.supervision.case-opened") == 2
    intake = timer_of(store, f"intake:{store.cases[0]['case_id']}")
    # effective Monday 7 December: the 17th is the tenth day, the person's in full (docs/rules.md)
    assert intake.due_at == default_county().start_of(date(2026, 12, 18))
    # N8 (contract §7.5): a device's check-in is no 报到, whatever channel it names.
    for channel in ("in_person", "video"):
        visit = Checkin(person_id=person, channel=channel, recorded_at=NOW)
        async with uow:
            await sv_handlers.on_checkin(handlers, incoming(visit, "sps.ingest.checkin"), visit, cast(Any, uow))
    assert "sps.supervision.intake-reported" not in uow.types()
    async with uow:  # the office records that the reporter came
        await sv_handlers.intake_reported(handlers, cast(Any, uow), reporter, NOW, "officer-demo", None)
    assert uow.types()[-2:] == ["sps.supervision.intake-reported", "sps.supervision.level-changed"]
    assert uow.published[-1][1].data["level"] == "strict"  # the first months are strict
    async with uow:
        await sv_handlers.on_intake_due(handlers, intake, cast(Any, uow))
        await sv_handlers.on_intake_due(
            handlers, timer_of(store, f"intake:{store.cases[1]['case_id']}"), cast(Any, uow)
        )
    missed = [e for _, e in uow.published if e.type == "sps.supervision.intake-missed"]
    assert [e.subject for e in missed] == [str(person)]


async def test_a_strict_case_misses_a_check_in_a_day_each_period_its_own_cause(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    async with uow:  # 报到, recorded by the office
        await sv_handlers.intake_reported(handlers, cast(Any, uow), person, NOW, "officer-demo", None)
    first = timer_of(store, "checkin:")
    assert first.due_at == NOW + POLICY.levels.checkin_every["strict"]
    async with uow:
        await sv_handlers.on_checkin_due(handlers, first, cast(Any, uow))
    second = timer_of(store, "checkin:")
    assert second.due_at == first.due_at + POLICY.levels.checkin_every["strict"]
    async with uow:
        await sv_handlers.on_checkin_due(handlers, second, cast(Any, uow))
    causes = [e.data["cause"] for _, e in uow.published if e.type == "sps.supervision.checkin-missed"]
    assert len(causes) == 2 and len(set(causes)) == 2


async def opened_monitored(handlers: SupervisionContext, uow: FakeUnitOfWork, person: uuid.UUID) -> None:
    o = order(person, NOW.date() - timedelta(days=3)).model_copy(update={"electronic_monitoring": True})
    async with uow:
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))


def types_of(uow: FakeUnitOfWork, *wanted: str) -> list[str]:
    return [t for t in uow.types() if t in wanted]


CONTACT = ("sps.supervision.contact-check-due", "sps.supervision.contact-checked", "sps.supervision.contact-lost")


async def test_a_location_feed_window_opens_a_check_and_no_result_in_time_is_contact_lost(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened_monitored(handlers, uow, person)
    fix = LocationFix(person_id=person, device_id="EM-1", lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW)
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    assert store.positions[person]["last_fix_at"] == NOW  # written once, at commit
    contact, offline = timer_of(store, "contact:"), timer_of(store, "offline:")
    assert contact.due_at == NOW + POLICY.contact.lost_after and offline.due_at == NOW + POLICY.devices.offline_after
    early = Timer(key=contact.key, kind=contact.kind, due_at=NOW + timedelta(minutes=1), payload=contact.payload)
    async with uow:
        assert await sv_handlers.on_contact_lost(handlers, early, cast(Any, uow)) == Postpone(contact.due_at)
        assert await sv_handlers.on_contact_lost(handlers, contact, cast(Any, uow)) is None
        assert await sv_handlers.on_contact_lost(handlers, contact, cast(Any, uow)) is None  # fired again: one check
        assert await sv_fixes.on_device_offline(handlers, offline, cast(Any, uow)) is None
    assert types_of(uow, *CONTACT) == ["sps.supervision.contact-check-due"]  # a task, not yet red
    due = next(e for _, e in uow.published if e.type == "sps.supervision.contact-check-due")
    assert due.data["basis"] == "location" and len(store.checks) == 1
    check = timer_of(store, "contact-check:")
    assert check.due_at == contact.due_at + POLICY.contact.check_within
    async with uow:
        await sv_handlers.on_contact_check_due(handlers, check, cast(Any, uow))
    assert types_of(uow, *CONTACT)[1:] == ["sps.supervision.contact-checked", "sps.supervision.contact-lost"]
    lost = uow.published[-1][1]
    assert lost.data["reason"] == "no_result" and lost.data["cause"] == due.data["cause"]


async def test_a_sign_of_life_before_the_result_is_due_loses_no_contact(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened_monitored(handlers, uow, person)
    fix = LocationFix(person_id=person, device_id="EM-1", lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW)
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    contact = timer_of(store, "contact:")
    async with uow:
        await sv_handlers.on_contact_lost(handlers, contact, cast(Any, uow))
    later = fix.model_copy(update={"recorded_at": contact.due_at + timedelta(minutes=5)})
    handlers.clock = lambda: later.recorded_at  # time has moved on to the sign of life
    async with uow:
        await sv_fixes.on_location(handlers, incoming(later, "sps.ingest.location"), later, cast(Any, uow))
    async with uow:
        await sv_handlers.on_contact_check_due(handlers, timer_of(store, "contact-check:"), cast(Any, uow))
    assert types_of(uow, *CONTACT) == ["sps.supervision.contact-check-due", "sps.supervision.contact-checked"]
    assert store.checks[0]["outcome"] == "sign_of_life"


async def test_check_ins_only_no_red_for_lacking_a_device_only_a_missed_check_in_not_made_up(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)  # no electronic monitoring: check-ins only
    async with uow:  # 报到, recorded by the office
        await sv_handlers.intake_reported(handlers, cast(Any, uow), person, NOW, "officer-demo", None)
    assert not any(k.startswith("contact:") for k in store.timers)  # a check-in starts no window
    missed = timer_of(store, "checkin:")
    async with uow:
        await sv_handlers.on_checkin_due(handlers, missed, cast(Any, uow))
    window = timer_of(store, "contact:")
    assert window.due_at == missed.due_at + POLICY.contact.lost_after and window.payload["basis"] == "checkin"
    made_up = Checkin(person_id=person, channel="app", recorded_at=missed.due_at + timedelta(hours=2))
    handlers.clock = lambda: made_up.recorded_at
    async with uow:
        await sv_handlers.on_checkin(handlers, incoming(made_up, "sps.ingest.checkin"), made_up, cast(Any, uow))
    assert not any(k.startswith("contact:") for k in store.timers)  # made up within the window
    store.timers.pop(next(k for k in store.timers if k.startswith("checkin:")))
    async with uow:
        await sv_handlers.on_checkin_due(handlers, missed, cast(Any, uow))  # missed again, never made up
        await sv_handlers.on_contact_lost(handlers, timer_of(store, "contact:"), cast(Any, uow))
    due = next(e for _, e in uow.published if e.type == "sps.supervision.contact-check-due")
    assert due.data["basis"] == "checkin" and types_of(uow, *CONTACT) == ["sps.supervision.contact-check-due"]


async def test_a_fix_outside_the_county_exits_once_unless_on_leave_and_a_leave_ends_overdue(world):
    handlers, uow, store = world
    person, away = uuid.uuid4(), uuid.uuid4()
    await opened(handlers, uow, person)
    await opened(handlers, uow, away)
    leave = LeaveApproved(
        person_id=away,
        case_id=store.cases[1]["case_id"],
        leave_id=uuid.uuid4(),
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=5),
        destination="上海",
        approval_level="justice_office",
        approved_by="officer-demo",
    )
    async with uow:
        await sv_handlers.on_leave_approved(
            handlers, incoming(leave, "sps.supervision.leave-approved"), leave, cast(Any, uow)
        )
    for minutes in (0, 1):
        for who in (person, away):
            fix = LocationFix(
                person_id=who,
                device_id="EM-1",
                lon=OUTSIDE[0],
                lat=OUTSIDE[1],
                accuracy_m=10,
                recorded_at=NOW + timedelta(minutes=minutes),
            )
            async with uow:
                await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    exits = [e.subject for _, e in uow.published if e.type == "sps.supervision.zone-exited"]
    assert exits == [str(person)]  # once, and not for the one on leave
    end = Timer(
        key=f"leave-end:{leave.leave_id}",
        kind="leave.end",
        due_at=leave.ends_at,
        payload={"leave_id": str(leave.leave_id), "person_id": str(away), "case_id": str(leave.case_id)},
    )
    async with uow:
        await sv_handlers.on_leave_end(handlers, end, cast(Any, uow))
    assert uow.types()[-1] == "sps.supervision.leave-overdue"


async def test_a_return_from_leave_ends_its_cover_at_the_return(world):
    handlers, uow, store = world
    away = uuid.uuid4()
    await opened(handlers, uow, away)
    leave = LeaveApproved(
        person_id=away,
        case_id=store.cases[0]["case_id"],
        leave_id=uuid.uuid4(),
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(days=2),
        destination="上海",
        approval_level="justice_office",
        approved_by="officer-demo",
    )
    back = LeaveReturned(
        person_id=away, case_id=leave.case_id, leave_id=leave.leave_id, returned_at=NOW, recorded_by="officer-demo"
    )
    async with uow:  # every replica applies the leave once it is committed
        await sv_handlers.on_leave_approved(
            handlers, incoming(leave, "sps.supervision.leave-approved"), leave, cast(Any, uow)
        )
    fix = outside_fix(away)
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    assert "sps.supervision.zone-exited" not in uow.types()  # covered by the leave
    async with uow:
        await sv_handlers.on_leave_returned(
            handlers, incoming(back, "sps.supervision.leave-returned"), back, cast(Any, uow)
        )
    later = outside_fix(away, NOW + timedelta(minutes=5))  # the leave still had two days to run
    async with uow:
        await sv_fixes.on_location(handlers, incoming(later, "sps.ingest.location"), later, cast(Any, uow))
    assert uow.types()[-1] == "sps.supervision.zone-exited"


def outside_fix(person: uuid.UUID, at: datetime = NOW) -> LocationFix:
    return LocationFix(
        person_id=person, device_id="EM-1", lon=OUTSIDE[0], lat=OUTSIDE[1], accuracy_m=10, recorded_at=at
    )


async def test_a_fix_that_overtakes_its_order_is_parked_and_judged_when_the_case_opens(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    fix = outside_fix(person)
    early = incoming(fix, "sps.ingest.location")
    async with uow:
        await sv_fixes.on_location(handlers, early, fix, cast(Any, uow))
    assert uow.published == [] and [p["event_id"] for p in store.parked] == [early.id]
    assert timer_of(store, f"parked:{person}").due_at == NOW + POLICY.devices.park_without_case
    await opened(handlers, uow, person)
    exited = [e for _, e in uow.published if e.type == "sps.supervision.zone-exited"]
    assert [e.causationid for e in exited] == [str(early.id)]  # judged, and caused by the parked fix
    assert store.parked == [] and not any(k.startswith("parked:") for k in store.timers)
    assert uow.dead_letters == []


async def test_a_fix_and_its_order_in_one_batch_are_judged_whichever_comes_first(world):
    handlers, uow, store = world
    first_fix, first_order = uuid.uuid4(), uuid.uuid4()
    async with uow:
        f = outside_fix(first_fix)
        await sv_fixes.on_location(handlers, incoming(f, "sps.ingest.location"), f, cast(Any, uow))
        o = order(first_fix, NOW.date())
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
        o = order(first_order, NOW.date())
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
        f = outside_fix(first_order)
        await sv_fixes.on_location(handlers, incoming(f, "sps.ingest.location"), f, cast(Any, uow))
    exits = {e.subject for _, e in uow.published if e.type == "sps.supervision.zone-exited"}
    assert exits == {str(first_fix), str(first_order)} and store.parked == []


async def test_a_parked_fix_whose_case_never_opens_is_dead_lettered_after_the_window(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    window = POLICY.devices.park_without_case
    fix = outside_fix(person)
    early = incoming(fix, "sps.ingest.location")
    async with uow:
        await sv_fixes.on_location(handlers, early, fix, cast(Any, uow))
    timer = timer_of(store, f"parked:{person}")
    handlers.clock = lambda: NOW + window / 2  # a second fix, parked later, waits its own window
    later_fix = outside_fix(person, NOW + timedelta(minutes=1))
    async with uow:
        await sv_fixes.on_location(handlers, incoming(later_fix, "sps.ingest.location"), later_fix, cast(Any, uow))
    assert timer_of(store, f"parked:{person}").due_at == timer.due_at  # armed once
    async with uow:
        again = await sv_fixes.on_parked_fixes_due(handlers, timer, cast(Any, uow))
    assert uow.dead_letters == [("ingest.locations.v1", early.id, "no-open-case")]
    assert again == Postpone(NOW + window / 2 + window) and len(store.parked) == 1
    assert uow.published == []


async def test_a_closed_case_leaves_every_schedule(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    case_id = store.cases[0]["case_id"]
    fix = LocationFix(person_id=person, device_id="EM-1", lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW)
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
        await sv_programmes.schedule_followups(handlers, cast(Any, uow), case_id, person, NOW)
    positioning = uuid.uuid4()
    store.orders[positioning] = {
        "positioning_id": positioning,
        "case_id": case_id,
        "person_id": person,
        "device_id": "EM-1",
        "status": "active",
    }
    store.timers[f"positioning-end:{positioning}:2027-03-10"] = ("positioning.end", NOW, {})
    mine = [k for k in store.timers if str(case_id) in k or str(person) in k or str(positioning) in k]
    assert {k.split(":")[0] for k in mine} >= {
        "intake",
        "case-end",
        "contact",
        "offline",
        "followup",
        "positioning-end",
    }
    async with uow:
        await sv_programmes.close_case(handlers, cast(Any, uow), case_id, "ended", None, None)
    left = [k for k in store.timers if str(case_id) in k or str(person) in k or str(positioning) in k]
    assert left == [] and store.orders[positioning]["status"] == "ended"
    assert uow.types()[-4:] == [
        "sps.supervision.positioning-ended",
        "sps.supervision.case-closed",
        "sps.exchange.exit-control",  # 不准出境报备 lifted for the police
        "sps.exchange.case-ending",  # 解除社区矫正 for the court, procuratorate and police
    ]
    control = [e.data for _, e in uow.published if e.type == "sps.exchange.exit-control"]
    assert [c["action"] for c in control] == ["imposed", "lifted"]
    assert control[0]["control_id"] == control[1]["control_id"] and control[0]["until"] is not None
    # Every replica's device registry then lets the device go (it is no longer this person's).
    handlers.directory.bind("EM-1", person)
    ended = next(e for _, e in uow.published if e.type == "sps.supervision.positioning-ended")
    data = PositioningEnded.model_validate(ended.data)
    assert data.device_id == "EM-1" and data.reason == "case_closed"
    async with uow:
        await sv_handlers.on_positioning_ended(handlers, cast(Any, None), data, cast(Any, uow))
    assert handlers.directory.owner("EM-1") is None and not handlers.directory.bound(person)


async def test_an_order_number_held_by_another_persons_case_is_refused_not_dropped(world):
    from shared.kafka.consumer import RejectedRecord

    handlers, uow, store = world
    first, second = uuid.uuid4(), uuid.uuid4()
    o = order(first, NOW.date())
    async with uow:
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    taken = o.model_copy(update={"person_id": second})
    with pytest.raises(RejectedRecord, match="order-number-taken"):
        async with uow:
            await sv_handlers.on_court_order(handlers, incoming(taken, "sps.ingest.court-order"), taken, cast(Any, uow))
    assert [c["person_id"] for c in store.cases] == [first]


async def test_a_record_from_the_future_is_refused_not_allowed_to_blind_monitoring(world):
    from shared.kafka.consumer import RejectedRecord

    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    ahead = NOW + handlers.future_tolerance + timedelta(seconds=1)
    forged = LocationFix(
        person_id=person, device_id="EM-1", lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=ahead
    )
    with pytest.raises(RejectedRecord, match="future-record"):
        async with uow:
            await sv_fixes.on_location(handlers, incoming(forged, "sps.ingest.location"), forged, cast(Any, uow))
    assert person not in store.positions  # nothing moved the person's clock on
    fast = forged.model_copy(update={"recorded_at": NOW + handlers.future_tolerance})  # a clock a little fast: fine
    async with uow:
        await sv_fixes.on_location(
            handlers, incoming(fast, "sps.ingest.location", NOW), fast, cast(Any, uow)
        )  # came in now
    # L7: it counts from its arrival, so the real fixes after it are not "older", and ignored.
    assert store.positions[person]["last_fix_at"] == NOW
    real = outside_fix(person, NOW + timedelta(seconds=1))
    async with uow:
        await sv_fixes.on_location(handlers, incoming(real, "sps.ingest.location"), real, cast(Any, uow))
    assert uow.types()[-1] == "sps.supervision.zone-exited"


async def test_a_fast_devices_fixes_keep_the_order_they_came_in_when_redelivered(world):
    """L7's other side: a device whose clock runs two minutes fast. Its fixes count from their
    arrival, which a redelivery keeps, so an earlier fix redelivered is still older: no second
    exit or return (the scale-out fault's doubled transitions)."""
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    fast = timedelta(minutes=2)

    def fix(lonlat: tuple[float, float], sent: datetime) -> tuple[LocationFix, IncomingEvent]:
        data = LocationFix(
            person_id=person, device_id="EM-1", lon=lonlat[0], lat=lonlat[1], accuracy_m=10, recorded_at=sent + fast
        )
        return data, incoming(data, "sps.ingest.location", sent)

    run = [fix(INSIDE, NOW), fix(OUTSIDE, NOW + timedelta(seconds=30)), fix(INSIDE, NOW + timedelta(seconds=60))]
    for n, (data, event) in enumerate(run + run[:2]):  # the first two again, as a redelivery brings them
        judged = event.time if n < 3 else NOW + timedelta(seconds=90)  # judged as it comes
        handlers.clock = lambda at=judged: at
        async with uow:
            await sv_fixes.on_location(handlers, event, data, cast(Any, uow))
    moves = [t for t in uow.types() if t in ("sps.supervision.zone-exited", "sps.supervision.zone-returned")]
    assert moves == ["sps.supervision.zone-exited", "sps.supervision.zone-returned"]


async def test_the_device_registry_trusts_only_a_persons_bound_devices(world):
    from datetime import date as _date

    from shared.events import PositioningStarted
    from shared.kafka.consumer import RejectedRecord

    handlers, uow, store = world
    wearer, other, unbound = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for person in (wearer, other, unbound):
        await opened(handlers, uow, person)
    order = PositioningStarted(
        positioning_id=uuid.uuid4(),
        person_id=wearer,
        case_id=store.cases[0]["case_id"],
        jurisdiction="澄江街道",
        ground="revocation_pending",
        approved_by="head-demo",
        device_id="EM-7",
        starts_on=_date(2026, 12, 10),
        ends_on=_date(2027, 3, 10),
    )
    async with uow:
        await sv_handlers.on_positioning_started(
            handlers, incoming(order, "sps.supervision.positioning-started"), order, cast(Any, uow)
        )

    def fix(person: uuid.UUID, device: str) -> LocationFix:
        return LocationFix(
            person_id=person, device_id=device, lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW
        )

    for person, device in ((wearer, "EM-7"), (unbound, "PHONE-1")):  # its own device; a person with none bound
        async with uow:
            await sv_fixes.on_location(
                handlers, incoming(fix(person, device), "sps.ingest.location"), fix(person, device), cast(Any, uow)
            )
    assert {wearer, unbound} <= set(store.positions)
    for person, device, reason in ((other, "EM-7", "device-bound-elsewhere"), (wearer, "EM-9", "device-not-bound")):
        with pytest.raises(RejectedRecord, match=reason):
            async with uow:
                await sv_fixes.on_location(
                    handlers, incoming(fix(person, device), "sps.ingest.location"), fix(person, device), cast(Any, uow)
                )
    assert other not in store.positions
    handlers.directory.remove(wearer)  # the case closed: the device is free again
    assert handlers.directory.owner("EM-7") is None


async def test_a_courts_monitoring_device_is_bound_from_the_order_and_a_positioning_term_end_frees_its_device(world):
    from shared.kafka.consumer import RejectedRecord

    handlers, uow, store = world
    wearer, stranger = uuid.uuid4(), uuid.uuid4()
    monitored = order(wearer, NOW.date() - timedelta(days=3)).model_copy(
        update={"electronic_monitoring": True, "device_id": "COURT-EM-1"}
    )
    async with uow:
        await sv_handlers.on_court_order(
            handlers, incoming(monitored, "sps.ingest.court-order"), monitored, cast(Any, uow)
        )
    await opened(handlers, uow, stranger)
    assert handlers.directory.owner("COURT-EM-1") == wearer.int and store.cases[0]["device_id"] == "COURT-EM-1"

    def fix(person: uuid.UUID, device: str) -> LocationFix:
        return LocationFix(
            person_id=person, device_id=device, lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW
        )

    for person, device, reason in (
        (stranger, "COURT-EM-1", "device-bound-elsewhere"),
        (wearer, "EM-9", "device-not-bound"),
    ):
        with pytest.raises(RejectedRecord, match=reason):
            async with uow:
                await sv_fixes.on_location(
                    handlers, incoming(fix(person, device), "sps.ingest.location"), fix(person, device), cast(Any, uow)
                )

    # A positioning order's term runs out unrenewed: its device goes with it.
    case_id = store.cases[1]["case_id"]
    positioning = uuid.uuid4()
    store.orders[positioning] = {
        "positioning_id": positioning,
        "case_id": case_id,
        "person_id": stranger,
        "device_id": "EM-3",
        "status": "active",
        "ends_on": date(2027, 3, 10),
    }
    handlers.directory.bind("EM-3", stranger)
    timer = Timer(
        "positioning-end:x", "positioning.end", NOW, {"positioning_id": str(positioning), "ends_on": "2027-03-10"}
    )
    async with uow:
        await sv_programmes.on_positioning_end(handlers, timer, cast(Any, uow))
    [(_, ended)] = [(t, e) for t, e in uow.published if e.type == "sps.supervision.positioning-ended"]
    data = PositioningEnded.model_validate(ended.data)
    assert data.reason == "term_end" and data.device_id == "EM-3" and store.orders[positioning]["status"] == "ended"
    async with uow:
        await sv_handlers.on_positioning_ended(handlers, cast(Any, None), data, cast(Any, uow))
    assert handlers.directory.owner("EM-3") is None


async def test_an_office_that_has_not_confirmed_its_list_by_the_fifth_is_reminded(world):
    """D6: the month's reminder falls due when its first five days are over (policy, the one period
    rule); each office with corrections and no confirmed list gets a yellow signal, about the
    office and no person; a confirmed office gets none; the next month's reminder follows."""
    from shared.county import default_county
    from shared.security_signals import NO_PERSON
    from shared.timers import Timer

    handlers, uow, store = world
    store.add_case(jurisdiction="澄江街道", status="under_supervision")
    store.add_case(jurisdiction="华士镇", status="under_supervision")
    store.lists[("华士镇", "2027-03")] = {"persons": []}
    await sv_programmes.schedule_key_persons_reminder(handlers, cast(Any, uow), "2027-03")
    kind, due, payload = store.timers["key-persons-reminder:2027-03"]
    assert due == default_county().start_of(date(2027, 3, 6))  # 1–5 March, the 5th in full (a Friday)
    await sv_programmes.on_key_persons_reminder(
        handlers, Timer(key="key-persons-reminder:2027-03", kind=kind, due_at=due, payload=payload), cast(Any, uow)
    )
    (reminder,) = [e for _, e in uow.published if e.type == "sps.supervision.key-persons-unconfirmed"]
    assert reminder.data["jurisdiction"] == "澄江街道" and reminder.subject == str(NO_PERSON)
    assert "key-persons-reminder:2027-04" in store.timers
