"""Supervision levels and remote-check deadlines at their boundaries."""

from datetime import UTC, date, datetime, timedelta

from services.supervision.domain.levels import level_for, next_checkin_due
from services.supervision.domain.policy import load_supervision_policy
from shared.calendar import add_months
from shared.paths import POLICY_DIR

POLICY = load_supervision_policy(POLICY_DIR)
START = date(2026, 12, 1)


def level(today: date, risk=None, admonitions=0, warnings=0) -> str:
    return level_for(
        started=START, today=today, risk=risk, admonitions=admonitions, warnings=warnings, policy=POLICY.levels
    )


def test_strict_for_the_first_two_months_then_by_risk_and_sanctions():
    end_of_strict = add_months(START, 2)
    assert end_of_strict == date(2027, 2, 1)
    assert level(end_of_strict - timedelta(days=1), risk="low") == "strict"
    assert level(end_of_strict, risk="low") == "lenient"
    assert level(end_of_strict, risk="medium") == "ordinary"
    assert level(end_of_strict, risk="high") == "strict"
    assert level(end_of_strict, risk="low", admonitions=1) == "lenient"
    assert level(end_of_strict, risk="low", admonitions=2) == "strict"
    assert level(end_of_strict, risk="low", warnings=1) == "strict"


def test_checkin_schedule_by_level():
    t = datetime(2026, 12, 2, 8, tzinfo=UTC)
    assert next_checkin_due(t, "strict", POLICY.levels) == t + timedelta(days=1)
    assert next_checkin_due(t, "ordinary", POLICY.levels) == t + timedelta(days=7)
    assert next_checkin_due(t, "lenient", POLICY.levels) == t + timedelta(days=14)
