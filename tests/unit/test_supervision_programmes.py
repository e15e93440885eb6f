"""Electronic positioning, aftercare, the correction team and the monthly key-person rules (pure domain)."""

import uuid
from datetime import UTC, date, datetime

import pytest

from services.supervision.domain.aftercare import (
    Followup,
    Trip,
    abstinent,
    counts_for,
    period_of,
    serious_breaches,
    trip_needs_report,
)
from services.supervision.domain.keypersons import Candidate, determine, newly_determined, previous_month
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.domain.positioning import GROUNDS, PositioningRefused, first_term, renewal
from services.supervision.domain.team import Member, TeamRefused, check_team
from shared.calendar import add_months
from shared.paths import POLICY_DIR

POLICY = load_supervision_policy(POLICY_DIR)


def test_positioning_needs_one_of_the_five_grounds():
    # The head's approval is the authority model's (tests/unit/test_supervision_commands.py).
    assert len(GROUNDS) == 5
    with pytest.raises(PositioningRefused) as bad_ground:
        first_term(ground="suspicious", starts_on=date(2026, 1, 1), policy=POLICY.positioning)
    assert bad_ground.value.field == "ground"


def test_positioning_term_is_three_months_with_the_notice_on_day_80():
    term = first_term(ground="left_county_without_leave", starts_on=date(2026, 1, 10), policy=POLICY.positioning)
    assert term.ends_on == date(2026, 4, 10)
    assert (term.notice_on - term.starts_on).days + 1 == 80  # day 1 is the start day
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_renewal_needs_a_review_and_continues_from_the_old_end():
    with pytest.raises(PositioningRefused):
        renewal(current_end=date(2026, 4, 10), reviewed=True, review_note=" ", policy=POLICY.positioning)
    term = renewal(current_end=date(2026, 4, 10), reviewed=True, review_note="仍需定位", policy=POLICY.positioning)
    assert (term.starts_on, term.ends_on) == (date(2026, 4, 10), date(2026, 7, 10))


def test_aftercare_phone_each_calendar_month_visit_each_calendar_quarter():
    """D8: periods of the calendar, not "a month after the last call, at the same clock time"; a
    visit is the month's contact too (policy)."""
    policy = POLICY.aftercare
    assert period_of("phone", date(2026, 1, 31), policy) == (date(2026, 1, 1), date(2026, 2, 1))
    assert period_of("phone", date(2026, 12, 7), policy) == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_of("visit", date(2026, 2, 28), policy) == (date(2026, 1, 1), date(2026, 4, 1))
    assert period_of("visit", date(2026, 12, 31), policy) == (date(2026, 10, 1), date(2027, 1, 1))
    assert counts_for("phone", "visit", policy) and counts_for("phone", "phone", policy)
    assert not counts_for("visit", "phone", policy)


def test_abstinence_holds_without_positive_test_or_police_record():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert abstinent([Followup("phone", at), Followup("visit", at, "negative")])
    assert not abstinent([Followup("visit", at, "positive")])
    assert not abstinent([Followup("visit", at, "refused")])
    assert not abstinent([Followup("phone", at, police_record=True)])


def test_trips_three_days_need_a_report_and_three_unreported_are_serious():
    assert not trip_needs_report(2, POLICY.aftercare) and trip_needs_report(3, POLICY.aftercare)
    p = POLICY.aftercare
    unreported = [Trip(3, False)] * (p.serious_unreported_trips - 1)
    assert serious_breaches(unreported, [], p) == {}
    assert serious_breaches([*unreported, Trip(3, False)], [], p) == {"unreported_trips": p.serious_unreported_trips}
    assert serious_breaches([Trip(p.serious_days_away, True)], [], p) == {}
    assert serious_breaches([Trip(p.serious_days_away + 1, True)], [], p) == {"days_away": p.serious_days_away + 1}
    at = datetime(2026, 12, 1, tzinfo=UTC)
    dodged = [Followup("visit", at, "refused")] * p.serious_dodged_tests
    assert serious_breaches([], dodged[:-1], p) == {}
    assert serious_breaches([], dodged, p) == {"dodged_tests": p.serious_dodged_tests}


def test_a_woman_under_supervision_has_a_woman_on_her_team():
    men = [Member("张某", "justice_office", "M"), Member("李某", "grid_worker", "M")]
    check_team("M", men)
    with pytest.raises(TeamRefused, match="woman"):
        check_team("F", men)
    check_team("F", [*men, Member("王某", "social_worker", "F")])
    with pytest.raises(TeamRefused, match="justice_office"):
        check_team("M", [Member("李某", "family", "M")])


def test_key_persons_from_risk_and_the_months_behaviour():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    listed = determine(
        [Candidate(a, "high"), Candidate(b, "medium", sanctions=1), Candidate(c, "medium")], POLICY.key_persons
    )
    assert [k.person_id for k in listed] == [a, b]
    assert listed[0].reasons == ["risk:high"] and listed[0].target_zh
    assert listed[1].reasons == ["sanctions:1"]


def test_newly_determined_key_persons_are_those_not_on_the_previous_months_list():
    a, b = uuid.uuid4(), uuid.uuid4()
    listed = determine([Candidate(a, "high"), Candidate(b, "high")], POLICY.key_persons)
    assert [k.person_id for k in newly_determined(listed, {a})] == [b]
    assert [k.person_id for k in newly_determined(listed, set())] == [a, b]  # an office's first list
    assert (previous_month("2026-01"), previous_month("2026-11"), previous_month("2026-10")) == (
        "2025-12",
        "2026-10",
        "2026-09",
    )
