"""Supervision's event and timer handlers on a fake unit of work and store, with a fixed clock:
the logic the integration tests otherwise check by waiting out short windows (intake missed,
check-ins missed by level, contact lost, leave overdue, device offline, a fix leaving the county).
No Kafka, no PostgreSQL; the integration tests keep proving the real wiring."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import SupervisionStore
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.handlers import SupervisionHandlers
from shared.envelope import IncomingEvent, decode, encode, new_event
from shared.events import Checkin, CourtOrderIngested, EventData, LeaveApproved, LocationFix, MaskedPerson
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
def world() -> tuple[SupervisionHandlers, FakeUnitOfWork, FakeSupervisionStore]:
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    uow = FakeUnitOfWork("supervision")
    store = FakeSupervisionStore(uow)
    handlers = SupervisionHandlers(
        directory, POLICY, clock=lambda: NOW, store=lambda _uow: cast(SupervisionStore, store)
    )
    return handlers, uow, store


def incoming(data: EventData, type_: str, at: datetime = NOW) -> IncomingEvent:
    return decode(encode(new_event(type_, "/sps/test", data, subject=str(data.person_id), time=at)))  # type: ignore[attr-defined]


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


async def opened(handlers: SupervisionHandlers, uow: FakeUnitOfWork, person: uuid.UUID) -> None:
    o = order(person, NOW.date() - timedelta(days=3))
    async with uow:
        await handlers.on_court_order(incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
        await handlers.on_court_order(incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))  # sent again


def test_the_fake_store_has_every_method_of_the_real_one():
    assert missing_methods(SupervisionStore, FakeSupervisionStore(None)) == []


async def test_an_order_opens_one_case_and_intake_is_missed_unless_the_person_reports(world):
    handlers, uow, store = world
    person, reporter = uuid.uuid4(), uuid.uuid4()
    await opened(handlers, uow, person)
    await opened(handlers, uow, reporter)
    assert len(store.cases) == 2 and uow.types().count("sps.supervision.case-opened") == 2
    intake = timer_of(store, f"intake:{store.cases[0]['case_id']}")
    assert intake.due_at.date() == NOW.date() - timedelta(days=3) + POLICY.intake.report_within
    visit = Checkin(person_id=reporter, channel="in_person", recorded_at=NOW)
    async with uow:
        await handlers.on_checkin(incoming(visit, "sps.ingest.checkin"), visit, cast(Any, uow))
    assert uow.types()[-2:] == ["sps.supervision.intake-reported", "sps.supervision.level-changed"]
    assert uow.published[-1][1].data["level"] == "strict"  # the first months are strict
    async with uow:
        await handlers.on_intake_due(intake, cast(Any, uow))
        await handlers.on_intake_due(timer_of(store, f"intake:{store.cases[1]['case_id']}"), cast(Any, uow))
    missed = [e for _, e in uow.published if e.type == "sps.supervision.intake-missed"]
    assert [e.subject for e in missed] == [str(person)]


async def test_a_strict_case_misses_a_check_in_a_day_each_period_its_own_cause(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    visit = Checkin(person_id=person, channel="in_person", recorded_at=NOW)
    async with uow:
        await handlers.on_checkin(incoming(visit, "sps.ingest.checkin"), visit, cast(Any, uow))
    first = timer_of(store, "checkin:")
    assert first.due_at == NOW + POLICY.levels.checkin_every["strict"]
    async with uow:
        await handlers.on_checkin_due(first, cast(Any, uow))
    second = timer_of(store, "checkin:")
    assert second.due_at == first.due_at + POLICY.levels.checkin_every["strict"]
    async with uow:
        await handlers.on_checkin_due(second, cast(Any, uow))
    causes = [e.data["cause"] for _, e in uow.published if e.type == "sps.supervision.checkin-missed"]
    assert len(causes) == 2 and len(set(causes)) == 2


async def test_contact_lost_waits_for_the_last_fix_and_device_offline_likewise(world):
    handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    fix = LocationFix(person_id=person, device_id="EM-1", lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10, recorded_at=NOW)
    async with uow:
        await handlers.on_location(incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    assert store.positions[person]["last_fix_at"] == NOW  # written once, at commit
    contact, offline = timer_of(store, "contact:"), timer_of(store, "offline:")
    assert contact.due_at == NOW + POLICY.contact.lost_after and offline.due_at == NOW + POLICY.devices.offline_after
    early = Timer(key=contact.key, kind=contact.kind, due_at=NOW + timedelta(minutes=1), payload=contact.payload)
    async with uow:
        assert await handlers.on_contact_lost(early, cast(Any, uow)) == Postpone(contact.due_at)
        assert await handlers.on_contact_lost(contact, cast(Any, uow)) is None
        assert await handlers.on_device_offline(offline, cast(Any, uow)) is None
    assert uow.types()[-2:] == ["sps.supervision.contact-lost", "sps.supervision.device-offline"]


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
        await handlers.on_leave_approved(incoming(leave, "sps.supervision.leave-approved"), leave, cast(Any, uow))
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
                await handlers.on_location(incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
    exits = [e.subject for _, e in uow.published if e.type == "sps.supervision.zone-exited"]
    assert exits == [str(person)]  # once, and not for the one on leave
    end = Timer(
        key=f"leave-end:{leave.leave_id}",
        kind="leave.end",
        due_at=leave.ends_at,
        payload={"leave_id": str(leave.leave_id), "person_id": str(away), "case_id": str(leave.case_id)},
    )
    async with uow:
        await handlers.on_leave_end(end, cast(Any, uow))
    assert uow.types()[-1] == "sps.supervision.leave-overdue"
