"""What opens a case, decided in the domain: kind, status, term (29 February included), the
community-rehabilitation report's due time; the handover's arrival rules; a notice's risk facts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.handover.domain.policy import load_handover_policy
from services.handover.domain.steps import StepRefused, case_years, check_arrival
from services.risk.domain import facts
from services.supervision.domain.cases import after_arrival
from shared.calendar import add_years
from shared.county import default_county
from shared.events import MaskedPerson, ReleaseNoticeIngested
from shared.paths import POLICY_DIR

COUNTY = default_county()


def test_a_29_february_anniversary_falls_on_28_february_in_a_common_year():
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2027, 3, 1), 1) == date(2028, 3, 1)


def test_an_arrival_on_29_february_opens_its_case():
    case = after_arrival(
        handover_kind="release",
        arrived_at=datetime(2028, 2, 29, 9, tzinfo=UTC),
        case_years=5,
        community_rehabilitation=False,
        county=COUNTY,
    )
    assert (case.kind, case.status, case.term_end) == ("resettlement", "under_supervision", date(2033, 2, 28))


def test_community_rehabilitation_is_reported_by_arriving_and_the_handover_watches_who_does_not():
    """D2: the office's arrival registration is 社区康复's report, so the case is under supervision
    at once (nothing fires for someone who came); whoever ordered to it does not come, key person
    or not, is missed within its 15 days of the release (docs/rules.md)."""
    from services.handover.domain.classify import arrival_deadline

    case = after_arrival(
        handover_kind="rehab",
        arrived_at=datetime(2026, 12, 3, 10, tzinfo=UTC),
        case_years=3,
        community_rehabilitation=True,
        county=COUNTY,
    )
    assert (case.kind, case.status, case.community_rehabilitation) == ("aftercare", "under_supervision", True)
    policy = load_handover_policy(POLICY_DIR)
    # Released Tuesday 1 December: fifteen days run 2–16 December, the 16th in full; a key
    # releasee's own window is seven days.
    assert arrival_deadline(date(2026, 12, 1), policy, COUNTY, rehab=True).last_day == date(2026, 12, 16)
    assert arrival_deadline(date(2026, 12, 1), policy, COUNTY).last_day == date(2026, 12, 8)


def test_an_arrival_is_registered_once_and_only_for_a_linked_notice():
    check_arrival(already_arrived_at=None, linked=True)
    with pytest.raises(StepRefused, match="already"):
        check_arrival(already_arrived_at=datetime(2026, 12, 1, tzinfo=UTC), linked=True)
    with pytest.raises(StepRefused, match="unlinked"):
        check_arrival(already_arrived_at=None, linked=False)
    policy = load_handover_policy(POLICY_DIR)
    assert (case_years("release", policy), case_years("rehab", policy)) == (5, 3)


def test_a_release_notice_tells_the_instrument_what_the_prison_knows():
    notice = ReleaseNoticeIngested(
        notice_no="N-1",
        prison="苏州监狱",
        person_id=uuid.uuid4(),
        person=MaskedPerson(
            name_masked="王*",
            id_number_masked="3202**********1234",
            sex="M",
            residence_town="澄江街道",
            age_band="25-34",
        ),
        offence="盗窃罪",
        offence_category="property",
        release_date=date(2027, 1, 5),
        sentence_months=30,
        three_false=True,
        reform_performance="poor",
        prison_risk_rating="high",
        destination_town="澄江街道",
    )
    learned = facts.from_release_notice(notice)
    assert learned["three_false"] == "yes" and learned["serious_illness"] == "no"
    assert (learned["sentence_kind"], learned["age_band"], learned["prison_risk_rating"]) == (
        "released",
        "25-34",
        "high",
    )
    assert facts.from_sanction("warning", 2) == {"warnings": 2} and facts.from_sanction("revocation_proposal", 1) == {}


def test_the_months_supervision_indicators_per_office():
    from services.supervision.domain.aftercare import Followup
    from services.supervision.domain.indicators import MonthCounts, by_office, county_total

    clean, relapsed, untested = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 12, 5, tzinfo=UTC)
    rows = by_office(
        counts := MonthCounts(
            corrections={"澄江街道": 4, "华士镇": 0},
            positioned={"澄江街道": 1},
            aftercare=[(clean, "澄江街道"), (relapsed, "澄江街道"), (untested, "澄江街道")],
            followups={
                clean: [Followup("phone", at, "negative", False)],
                relapsed: [Followup("visit", at, "positive", False)],
                untested: [Followup("phone", at, "not_tested", False)],  # followed up, abstinence not shown
            },
            opened={"澄江街道": {"probation": 2, "parole": 1}},
            closed={"华士镇": {"probation": 1}},
            intake_missed={"澄江街道": 1},
            contact_lost={"华士镇": 2},
            planned={"澄江街道": 3},
            hours={"澄江街道": {"strict": (2, 3)}},  # two of three strict cases met their month's hours
            help={"澄江街道": (1, 2), "华士镇": (0, 1)},
            released={"澄江街道": 51, "华士镇": 50},
            social_workers={"澄江街道": 1, "华士镇": 1},
            help_planned={"澄江街道": 51},
        )
    )
    # 全市: the sums, and the rates of the sums (docs/indicators.md), not averages of the offices'
    whole = county_total(counts)
    assert (whole["office"], whole["corrections"], whole["positioning_rate"]) == ("全市", 4, 0.25)
    assert whole["help_rate"] == round(1 / 3, 3) and whole["hours_rate_strict"] == 0.667
    assert whole["cases_closed"] == {"probation": 1} and whole["resettlement_cases"] == 101
    assert rows == [
        {
            "office": "华士镇",
            "corrections": 0,
            "positioning_rate": None,
            "plan_rate": None,  # no corrections: no rate, rather than a perfect one
            "aftercare_cases": 0,
            "aftercare_followed": 0,
            "abstinence_kept": 0,
            "aftercare_rate": None,
            "abstinence_rate": None,
            "cases_opened": {},
            "cases_closed": {"probation": 1},
            "intake_missed": 0,
            "contact_lost": 2,
            "hours_rate_strict": None,
            "hours_rate_ordinary": None,
            "hours_rate_lenient": None,
            "help_rate": 0.0,  # one request, unanswered
            "resettlement_cases": 50,
            "help_plan_rate": 0.0,
            "social_workers": 1,
            "social_worker_rate": 1.0,  # one social worker for 50 released persons
        },
        {
            "office": "澄江街道",
            "corrections": 4,
            "positioning_rate": 0.25,
            "plan_rate": 0.75,  # 个案矫正率: three of four with an approved plan
            "aftercare_cases": 3,
            "aftercare_followed": 3,
            "abstinence_kept": 1,
            "aftercare_rate": 1.0,
            "abstinence_rate": 0.333,  # one in three showed a negative test; none is assumed
            "cases_opened": {"probation": 2, "parole": 1},
            "cases_closed": {},
            "intake_missed": 1,
            "contact_lost": 0,
            "hours_rate_strict": 0.667,
            "hours_rate_ordinary": None,  # none judged at the level (the brief's policy owes none)
            "hours_rate_lenient": None,
            "help_rate": 0.5,
            "resettlement_cases": 51,
            "help_plan_rate": 1.0,
            "social_workers": 1,
            "social_worker_rate": 0.5,  # 51 call for two
        },
    ]


def test_abstinence_weighs_the_quarter_so_a_test_at_each_quarterly_visit_keeps_it():
    """D9: tested negative at the visit two months ago, nothing since, nothing against: kept for
    操守保持率 (the quarter to the month's end); a positive test in the quarter is not."""
    from services.supervision.domain.aftercare import Followup
    from services.supervision.domain.indicators import MonthCounts, by_office

    kept, relapsed = uuid.uuid4(), uuid.uuid4()
    october = datetime(2026, 10, 20, tzinfo=UTC)
    (row,) = by_office(
        MonthCounts(
            corrections={},
            positioned={},
            aftercare=[(kept, "澄江街道"), (relapsed, "澄江街道")],
            followups={kept: [Followup("phone", datetime(2026, 12, 3, tzinfo=UTC))]},
            tested={
                kept: [Followup("visit", october, "negative"), Followup("phone", datetime(2026, 12, 3, tzinfo=UTC))],
                relapsed: [Followup("visit", october, "negative"), Followup("phone", october, "positive")],
            },
        )
    )
    assert (row["aftercare_rate"], row["abstinence_rate"]) == (0.5, 0.5)
