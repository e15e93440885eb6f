"""Handover and resettlement indicators as docs/indicators.md defines them: by the month of
release (not of the notice), everyone due counted (a releasee who never registered too), 信息核查
only when a member of staff verified, 社区管控 only when the police acknowledged, and the plan's
four yearly resettlement measures from later court orders and recorded services. Pure: no
database."""

from __future__ import annotations

import uuid
from datetime import date

from services.handover.domain.indicators import Release, monthly, yearly
from shared.county import default_county
from shared.periods import Deadline, within_days

DEC_1, JAN_1 = date(2026, 12, 1), date(2027, 1, 1)


def seven_days(release_date: date) -> Deadline:
    return within_days(default_county(), release_date, 7)  # policy/handover.yaml arrival.key_person_within


def release(on: date, office: str = "澄江街道", key: bool = False, **facts) -> Release:
    return Release(person_id=uuid.uuid4(), office=office, release_date=on, key_person=key, **facts)


def test_a_month_counts_the_releases_due_that_month_registered_or_not() -> None:
    rows = [
        release(date(2026, 12, 3), key=True, verified=True, receipted=True, picked_up=True, police_acknowledged=True),
        release(date(2026, 12, 10), key=True, receipted=True),  # never verified, never registered
        release(date(2026, 12, 20), verified=True, picked_up=True, arrived_on=date(2026, 12, 21), applied=True),
        release(date(2026, 12, 21), applied=True, agreement=True),  # applied themselves, and signed
        release(date(2026, 11, 28), key=True, verified=True),  # November's release: not December's
        release(date(2027, 1, 2), key=True),  # January's
    ]
    (office,) = monthly(rows, DEC_1, JAN_1, today=date(2026, 12, 31), arrival=seven_days)
    assert office == {
        "office": "澄江街道",
        "releases": 4,
        "key_releases": 2,
        "verification_rate": 0.5,  # verified by a person, not merely linked
        "receipt_rate": 0.5,
        "key_pickup_rate": 0.5,
        "ordinary_pickup_rate": 0.5,
        "police_control_rate": 0.5,  # acknowledged by the police, not merely handed over
        "key_agreement_rate": 0.0,
        "applied_agreement_rate": 0.5,  # of the two who applied themselves, one signed
        "release_intake_missed": 2,  # both key persons: not registered 7 days after release
    }


def test_intake_is_missed_only_once_the_window_is_over() -> None:
    """Released Sunday 20 December: the seventh day is Sunday the 27th, so the last day is Monday
    the 28th, in full (docs/rules.md); an arrival that day is in time."""
    late = release(date(2026, 12, 20), key=True)
    (office,) = monthly([late], DEC_1, JAN_1, today=date(2026, 12, 28), arrival=seven_days)
    assert office["release_intake_missed"] == 0
    (office,) = monthly([late], DEC_1, JAN_1, today=date(2026, 12, 29), arrival=seven_days)
    assert office["release_intake_missed"] == 1
    on_the_last_day = release(date(2026, 12, 20), key=True, arrived_on=date(2026, 12, 28))
    (office,) = monthly([on_the_last_day], DEC_1, JAN_1, today=date(2026, 12, 29), arrival=seven_days)
    assert office["release_intake_missed"] == 0


def test_the_years_resettlement_measures() -> None:
    this_year = [
        release(
            date(2026, 3, 1), services=(("placed_employment", date(2026, 4, 1)), ("skills_training", date(2026, 5, 1)))
        ),
        release(date(2026, 6, 1), services=(("job_referral", date(2026, 6, 20)),), new_orders=(date(2026, 11, 5),)),
        # re-offends next year: not this year's; placed next year: not this year's figure either (D11)
        release(date(2026, 9, 1), new_orders=(date(2027, 2, 1),), services=(("placed_family", date(2027, 1, 5)),)),
        release(date(2026, 12, 15)),
        # 救助帮扶率: this year's requests, granted or referred ÷ made (one helped, one not yet answered);
        # a request from last year does not count.
        release(date(2025, 6, 1), assistance=((date(2025, 7, 1), True), (date(2026, 2, 1), True))),
        release(date(2026, 4, 1), assistance=((date(2026, 5, 1), False),)),
    ]
    earlier = [
        release(date(2022, 1, 10), new_orders=(date(2023, 5, 1),)),  # within five years
        release(date(2021, 12, 31), new_orders=(date(2022, 3, 1),)),  # released more than 5 years before the end
        release(date(2023, 4, 1), new_orders=(date(2018, 1, 1),)),  # an order from before the release
    ]
    (office,) = yearly(this_year + earlier, JAN_1, window_years=5)
    assert office == {
        "office": "澄江街道",
        "released_this_year": 5,
        "assistance_rate": 0.5,
        "reoffending_same_year_rate": 0.2,
        "reoffending_5y_rate": round(2 / 8, 3),  # of the eight released since 1 January 2022
        "placement_rate": 0.2,
        "employment_service_rate": 0.4,
    }


def test_an_office_without_releases_has_no_rate_rather_than_a_perfect_one() -> None:
    (office,) = monthly([release(date(2026, 12, 3), office="华士镇")], DEC_1, JAN_1, date(2026, 12, 31), seven_days)
    assert office["key_pickup_rate"] is None and office["police_control_rate"] is None


def test_a_notice_on_the_countys_unlinked_list_counts_in_the_county_row_only() -> None:
    """D3: a notice no office has (never linked, or sent back by an office's 核查) is due a receipt
    from the county: it counts in 全市's releases and receipt rate, in no office's."""
    from services.handover.domain.indicators import COUNTY_TOTAL, county_total

    rows = [
        release(date(2026, 12, 3), verified=True, receipted=True),
        release(date(2026, 12, 5), office=""),  # on the unlinked list, no receipt yet
    ]
    (office,) = monthly(rows, DEC_1, JAN_1, today=date(2026, 12, 31), arrival=seven_days)
    assert (office["office"], office["releases"], office["receipt_rate"]) == ("澄江街道", 1, 1.0)
    total = county_total(rows, DEC_1, JAN_1, date(2026, 12, 31), seven_days, 5)
    assert (total["office"], total["releases"], total["receipt_rate"]) == (COUNTY_TOTAL, 2, 0.5)
    assert total["verification_rate"] == 0.5


def test_a_person_notified_from_rehabilitation_who_never_came_is_counted_as_owed_aftercare() -> None:
    """D9: 照管对象一个不漏. Released before the month's end and not registered by then: owed
    aftercare, in the denominators of 后续照管率 and 操守保持率 beside the cases."""
    from services.command_centre.domain.indicators import with_aftercare_not_arrived
    from services.handover.domain.indicators import aftercare_not_arrived

    rehab = [
        ("澄江街道", date(2026, 10, 3), None),  # never came
        ("澄江街道", date(2026, 12, 20), date(2027, 1, 4)),  # came, but after December
        ("澄江街道", date(2026, 11, 1), date(2026, 11, 9)),  # came: an aftercare case, counted there
        ("华士镇", date(2027, 1, 2), None),  # released after December
    ]
    assert aftercare_not_arrived(rehab, JAN_1) == {"澄江街道": 2}
    row = {"office": "澄江街道", "aftercare_cases": 2, "aftercare_followed": 2, "abstinence_kept": 1}
    row["aftercare_not_arrived"] = 2
    assert with_aftercare_not_arrived(row)["aftercare_rate"] == 0.5  # not 1.0: two never came
    assert row["abstinence_rate"] == 0.25
    assert with_aftercare_not_arrived({"office": "华士镇"}) == {"office": "华士镇"}  # nothing to count
