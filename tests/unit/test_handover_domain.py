"""Classification (each category alone makes a key person; none, an ordinary one), verification and
working-day deadlines at their boundaries."""

import uuid
from datetime import UTC, date, datetime

import pytest

from services.handover.domain.classify import KEY_REASONS, key_reasons, verify_destination
from shared.county import CalendarPolicy, County, default_county
from shared.events import MaskedPerson, ReleaseNoticeIngested

ORDINARY = dict(
    notice_no="N",
    prison="P",
    person_id=uuid.uuid4(),
    offence="盗窃罪",
    offence_category="property",
    release_date=date(2027, 1, 15),
    sentence_months=24,
    reform_performance="good",
    prison_risk_rating="low",
    destination_town="华士镇",
    person=MaskedPerson(name_masked="赵*", id_number_masked="3202**********1234", sex="M", residence_town="华士镇"),
)
ALONE = {
    "deprived_political_rights": {"deprived_political_rights": True},
    "national_security": {"offence_category": "national_security"},
    "three_false": {"three_false": True},
    "household_residence_separated": {"household_residence_separated": True},
    "serious_illness": {"serious_illness": True},
    "poor_reform_performance": {"reform_performance": "poor"},
    "likely_to_reoffend": {"prison_risk_rating": "high"},
}


def test_none_of_the_categories_makes_an_ordinary_releasee():
    assert key_reasons(ReleaseNoticeIngested(**ORDINARY)) == []


@pytest.mark.parametrize("reason", list(KEY_REASONS))
def test_each_category_alone_makes_a_key_person(reason):
    assert key_reasons(ReleaseNoticeIngested(**{**ORDINARY, **ALONE[reason]})) == [reason]


def test_reasons_accumulate_and_average_or_medium_are_not_reasons():
    notice = ReleaseNoticeIngested(
        **{**ORDINARY, "three_false": True, "prison_risk_rating": "high", "reform_performance": "average"}
    )
    assert key_reasons(notice) == ["three_false", "likely_to_reoffend"]
    assert key_reasons(ReleaseNoticeIngested(**{**ORDINARY, "prison_risk_rating": "medium"})) == []


def test_verification_matches_a_jiangyin_office_or_says_why_not():
    assert verify_destination("华士镇", {"华士镇"}).linked
    v = verify_destination("苏州市吴中区", {"华士镇"})
    assert not v.linked and v.justice_office is None and "吴中区" in v.reason


def test_three_working_days_skip_weekends_and_holidays():
    from shared.periods import within_working_days

    plain = County(CalendarPolicy(years=[2026]))
    friday = datetime(2026, 11, 27, 10, tzinfo=UTC)  # 18:00 in Jiangyin
    assert within_working_days(plain, friday, 3).last_day == date(2026, 12, 2)  # Mon, Tue, Wed
    holiday = County(CalendarPolicy(years=[2026], holidays=[date(2026, 11, 30)]))
    assert within_working_days(holiday, friday, 3).last_day == date(2026, 12, 3)
    monday = datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert within_working_days(plain, monday, 3).due == plain.start_of(date(2026, 12, 4))


def test_deadlines_at_their_boundaries():
    from datetime import timedelta

    from services.handover.domain.classify import arrival_due, pickup_plan_due, receipt_due
    from services.handover.domain.policy import load_handover_policy
    from shared.paths import POLICY_DIR

    policy = load_handover_policy(POLICY_DIR)
    release = date(2027, 1, 15)
    county = default_county()
    # The county's days (00:00 in Jiangyin is 16:00 UTC the day before), each last day in full
    # (docs/rules.md): a plan by the end of 8 January, seven days before release; arrival by the
    # end of 22 January, the seventh day after.
    assert pickup_plan_due(release, policy, county) == datetime(2027, 1, 8, 16, tzinfo=UTC)
    assert arrival_due(release, policy, county) == datetime(2027, 1, 22, 16, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 9, tzinfo=UTC)  # 17:00 on Friday 27 November in Jiangyin
    # three working days after that day: Monday 30 November, 1 and 2 December, the last in full
    assert receipt_due(friday, policy, county) == datetime(2026, 12, 2, 16, tzinfo=UTC)
    assert receipt_due(friday, policy, county) - timedelta(seconds=1) < receipt_due(friday, policy, county)
