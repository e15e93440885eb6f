"""County time (docs/domain.md §5): days, months and working days are Jiangyin's, not UTC's; dates
that exist once in four years have one rule. Each test names the instant where UTC and the county
disagree (00:00–08:00 in Jiangyin is the day before in UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from pydantic import ValidationError

from services.risk import handlers as risk_handlers
from services.risk.adapters.store import RiskStore
from services.risk.context import RiskContext
from services.risk.domain.instrument import load_instrument
from services.supervision import handlers as sv_handlers
from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.aftercare import period_of
from services.supervision.domain.cases import after_arrival
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.policy import load_supervision_policy
from shared.calendar import add_months, add_years
from shared.county import CalendarPolicy, County, default_county
from shared.envelope import decode, encode, new_event
from shared.errors import Refused
from shared.events import ArrivalRegistered, CourtOrderIngested, MaskedPerson
from shared.geography import load_geography
from shared.paths import POLICY_DIR
from shared.periods import within_working_days
from shared.timers import Timer
from tests.fakes.risk_store import FakeRiskStore
from tests.fakes.supervision_store import FakeSupervisionStore
from tests.fakes.uow import FakeUnitOfWork

COUNTY = default_county()
SUPERVISION = load_supervision_policy(POLICY_DIR)
PERSON = MaskedPerson(name_masked="王*", id_number_masked="3202**********1234", sex="M", residence_town="澄江街道")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- the county's days and months ----------------------------------------------------------------


def test_a_county_day_and_month_begin_at_midnight_in_jiangyin() -> None:
    assert COUNTY.day_of(utc(2026, 11, 30, 17)) == date(2026, 12, 1)  # 01:00 on 1 December there
    assert COUNTY.month_of(utc(2026, 11, 30, 17)) == "2026-12"
    start, end = COUNTY.month_bounds("2026-12")
    assert (start, end) == (utc(2026, 11, 30, 16), utc(2026, 12, 31, 16))
    assert COUNTY.day_bounds(date(2026, 12, 1)) == (utc(2026, 11, 30, 16), utc(2026, 12, 1, 16))
    with pytest.raises(Refused):
        COUNTY.month_bounds("2026-13")


def test_working_days_skip_holidays_and_count_make_up_working_days() -> None:
    # Friday 13 February 2026: Saturday the 14th is a make-up working day (调休), then the Spring
    # Festival runs 15–23 February; the 24th and 25th are the next working days.
    friday = utc(2026, 2, 13, 2)
    assert within_working_days(COUNTY, friday, 3).last_day == date(2026, 2, 25)
    assert COUNTY.is_working_day(date(2026, 2, 14)) and not COUNTY.is_working_day(date(2026, 2, 16))
    # Counted in the county's days: 23:00 UTC on 30 September is already National Day there.
    national_day = utc(2026, 9, 30, 23)  # Thursday 1 October 07:00 in Jiangyin
    assert within_working_days(COUNTY, national_day, 1).last_day == date(2026, 10, 8)


@pytest.mark.parametrize(
    "fields, wrong",
    [
        ({"time_zone": "Asia/Jiangyin"}, "unknown time zone"),
        ({"years": [2026], "holidays": [date(2026, 5, 9)], "workdays": [date(2026, 5, 9)]}, "both"),
        ({"years": [2026], "holidays": [date(2027, 1, 1)]}, "not in `years`"),
    ],
)
def test_a_bad_calendar_is_refused_naming_what_is_wrong(fields: dict[str, Any], wrong: str) -> None:
    with pytest.raises(ValidationError, match=wrong):
        CalendarPolicy(**fields)


def test_the_shipped_calendar_covers_this_year() -> None:
    assert 2026 in COUNTY.policy.years and COUNTY.policy.time_zone == "Asia/Shanghai"


# --- dates that exist once in four years ------------------------------------------------------------


def test_months_and_years_end_on_the_last_day_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 30), 2) == date(2026, 3, 30)  # not 28 March
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)


def test_an_arrival_on_29_february_opens_its_case_for_five_years() -> None:
    case = after_arrival(
        handover_kind="release",
        arrived_at=COUNTY.local(utc(2028, 2, 28, 17)),  # 01:00 on 29 February in Jiangyin
        case_years=5,
        community_rehabilitation=False,
        county=COUNTY,
    )
    assert (case.term_start, case.term_end) == (date(2028, 2, 29), date(2033, 2, 28))


# --- handlers on the county's days ------------------------------------------------------------------


@pytest.fixture
def supervision() -> tuple[SupervisionContext, FakeUnitOfWork, FakeSupervisionStore]:
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    uow = FakeUnitOfWork("supervision")
    store = FakeSupervisionStore(uow)
    handlers = SupervisionContext(
        CaseDirectory(county_area(geography, projection), projection),
        SUPERVISION,
        clock=lambda: utc(2028, 2, 28, 17),
        store=lambda _uow: cast(SupervisionStore, store),
    )
    return handlers, uow, store


async def test_a_handler_opens_the_29_february_arrival_on_the_countys_date(supervision: Any) -> None:
    handlers, uow, store = supervision
    arrived = ArrivalRegistered(
        handover_id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        kind="release",
        justice_office="澄江街道",
        arrived_at=utc(2028, 2, 28, 17),
        release_date=date(2028, 2, 28),
        key_person=True,
        case_years=5,
        person=PERSON,
    )
    event = decode(encode(new_event("sps.handover.arrived", "/sps/test", arrived, subject=str(arrived.person_id))))
    async with uow:
        await sv_handlers.on_arrival(handlers, event, arrived, cast(Any, uow))
    assert (store.cases[0]["term_start"], store.cases[0]["term_end"]) == (date(2028, 2, 29), date(2033, 2, 28))
    assert uow.types() == ["sps.supervision.case-opened"]


async def test_intake_is_missed_after_the_tenth_county_day_after_the_judgment_in_full(supervision: Any) -> None:
    handlers, uow, store = supervision
    effective = date(2026, 12, 10)
    order = CourtOrderIngested(
        order_no="T-county",
        court="江阴市人民法院",
        person_id=uuid.uuid4(),
        person=PERSON,
        sentence_kind="probation",
        offence="盗窃罪",
        offence_category="property",
        term_start=effective,
        term_end=effective + timedelta(days=365),
        judgment_effective=effective,
    )
    event = decode(encode(new_event("sps.ingest.court-order", "/sps/test", order, subject=str(order.person_id))))
    async with uow:
        await sv_handlers.on_court_order(handlers, event, order, cast(Any, uow))
    (_, due, _) = next(v for k, v in store.timers.items() if k.startswith("intake:"))
    # Effective Thursday 10 December: the ten days run 11–20 December, and the 20th is a Sunday,
    # so the last day is Monday 21 December, in full (docs/rules.md): missed from 00:00 on the 22nd.
    assert due == utc(2026, 12, 21, 16)


def test_a_follow_ups_month_is_the_countys() -> None:
    visit = utc(2026, 1, 31, 17)  # 01:00 on 1 February in Jiangyin
    assert period_of("phone", COUNTY.day_of(visit), SUPERVISION.aftercare)[0] == date(2026, 2, 1)  # not January


async def test_a_monthly_cycle_in_a_31_day_month_makes_no_reassessment_overdue() -> None:
    instrument = load_instrument(POLICY_DIR, "2026.1")
    uow = FakeUnitOfWork("risk")
    store = FakeRiskStore(uow)
    cycle = COUNTY.start_of(date(2027, 1, 1))
    ctx = RiskContext(instrument, clock=lambda: cycle, store=lambda _uow: cast(RiskStore, store))
    person = uuid.uuid4()
    await store.learn(person, {"offence_category": "national_security"}, "澄江街道")  # high by override
    async with uow:
        await risk_handlers.on_monthly_cycle(ctx, Timer("monthly:2027-01", "risk.monthly", cycle, {}), cast(Any, uow))
    kind, due, payload = store.timers[f"reassess:{person}"]
    assert payload["level"] == "high"
    # 30 days after 1 January is 31 January, a day before the next cycle: the deadline waits for it.
    assert due == COUNTY.start_of(date(2027, 2, 1)) + instrument.monthly_cycle_grace
    assert store.assessments[0]["trigger"] == "monthly:2027-01"
    assert store.timers["monthly:2027-02"][1] == COUNTY.start_of(date(2027, 2, 1))


def test_a_county_in_another_zone_draws_its_own_days() -> None:
    urumqi = County(CalendarPolicy(time_zone="Asia/Urumqi"))
    assert urumqi.day_of(utc(2026, 11, 30, 17)) == date(2026, 11, 30)  # 23:00 there
