"""One rule for times dated ahead (shared/ahead.py): up to the tolerance is taken as given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.ahead import first_ahead, is_ahead, refuse_ahead
from shared.errors import Refused

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)


def test_a_time_at_the_tolerance_is_taken_and_one_past_it_is_not() -> None:
    assert not is_ahead(NOW + TOLERANCE, NOW, TOLERANCE)
    assert is_ahead(NOW + TOLERANCE + timedelta(microseconds=1), NOW, TOLERANCE)
    assert not is_ahead(NOW - timedelta(days=3), NOW, TOLERANCE)


def test_the_first_time_too_far_ahead_is_named_by_its_place() -> None:
    times = [NOW, NOW + TOLERANCE, NOW + timedelta(hours=1), NOW + timedelta(hours=2)]
    assert first_ahead(times, NOW, TOLERANCE) == 2
    assert first_ahead(times[:2], NOW, TOLERANCE) is None


def test_a_refusal_names_the_field_and_says_why() -> None:
    refuse_ahead("returned_at", NOW, NOW, TOLERANCE)
    with pytest.raises(Refused) as refused:
        refuse_ahead("returned_at", NOW + timedelta(hours=1), NOW, TOLERANCE)
    assert refused.value.field == "returned_at"
    assert "in the future" in str(refused.value)
    with pytest.raises(Refused, match="a ruling is not dated ahead"):
        refuse_ahead("ruled_at", NOW + timedelta(hours=1), NOW, TOLERANCE, "a ruling is not dated ahead")
