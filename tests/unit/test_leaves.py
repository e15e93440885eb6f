"""Leave rules at their boundaries (docs/domain.md: ≤ 7 days by the office, longer by the county, ≤ 30).

Who holds each level is the authority model's; tests/unit/test_supervision_commands.py checks it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.supervision.domain.geo import PositionVerdict
from services.supervision.domain.leaves import Leave, LeaveRefused, needed_level, on_leave
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.domain.zones import Exited, ZoneState, on_fix
from shared.paths import POLICY_DIR

POLICY = load_supervision_policy(POLICY_DIR).leave
T0 = datetime(2026, 12, 10, 8, tzinfo=UTC)
D = timedelta(days=1)


def level(days: float) -> str:
    return needed_level(start=T0, end=T0 + days * D, policy=POLICY)


def test_office_up_to_seven_days_county_beyond_nobody_past_thirty():
    assert level(7) == "justice_office"
    assert level(7 + 1 / 24) == "county"
    assert level(30) == "county"
    with pytest.raises(LeaveRefused, match="30 days"):
        level(30 + 1 / 24)


def test_end_must_follow_start():
    with pytest.raises(LeaveRefused) as exc:
        level(0)
    assert exc.value.field == "end"


def test_leave_ending_at_18_breaches_at_18_01():
    end = datetime(2026, 12, 12, 18, 0, tzinfo=UTC)
    leave = Leave(uuid.uuid4(), T0, end)
    outside = PositionVerdict(inside_permitted=False, outside_permitted=True, distance_outside_m=50_000)
    pid = uuid.uuid4()
    s, t = on_fix(ZoneState(), pid, uuid.uuid4(), end, outside, leave_active=on_leave([leave], end))
    assert t == []  # 18:00 is still within the leave
    at = end + timedelta(minutes=1)
    s, t = on_fix(s, pid, uuid.uuid4(), at, outside, leave_active=on_leave([leave], at))
    assert len(t) == 1 and isinstance(t[0], Exited)  # the end re-arms the rule
