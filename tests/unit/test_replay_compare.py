"""The replay sandbox's comparison, pure: per rule, what happened, what the live policy raises
when replayed (the sandbox's fidelity), what the changed policy would raise, and for those it
would not raise, how the staff had disposed of them."""

from __future__ import annotations

import uuid

from tools.replay.engine import Outcome, compare


def test_per_rule_raised_not_raised_new_and_changed_with_the_disposal_outcomes():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    actual = {
        a: Outcome("zone_exit", "orange", "disposed", reason_code="false_alarm"),
        b: Outcome("zone_exit", "orange", "open"),
        c: Outcome("device_offline", "yellow", "disposed", reason_code="device_fault"),
    }
    live = {a: actual[a], b: actual[b], c: actual[c]}
    changed = {
        b: Outcome("zone_exit", "red", "escalated"),
        c: actual[c],
        d: Outcome("zone_exit", "orange", "open"),  # raised only under the changed policy
    }
    rows = {r.rule_id: r for r in compare(actual, live, changed)}
    zone = rows["zone_exit"]
    assert (zone.happened, zone.live_replay, zone.would_raise, zone.not_raised, zone.newly_raised) == (2, 2, 2, 1, 1)
    assert dict(zone.outcomes_not_raised) == {"false_alarm": 1}
    assert dict(zone.changed) == {"orange→red": 1, "open→escalated": 1}
    offline = rows["device_offline"]
    assert (offline.not_raised, offline.newly_raised, dict(offline.changed)) == (0, 0, {})
