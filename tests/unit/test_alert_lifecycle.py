import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.alerting.domain.alerts import new_alert
from services.alerting.domain.lifecycle import (
    BadReason,
    LifecycleError,
    acknowledge,
    close,
    close_action,
    dispose,
    escalate,
    recolour,
)
from services.alerting.domain.policy import load_alert_policy
from shared.events import DisposalSteps
from shared.paths import POLICY_DIR

POLICY = load_alert_policy(POLICY_DIR)
T0 = datetime(2026, 12, 2, 8, tzinfo=UTC)


def alert(rule="zone_exit"):
    return new_alert(
        rule,
        POLICY.rules[rule],
        POLICY,
        person_id=uuid.uuid4(),
        cause="c",
        jurisdiction="华士镇",
        raised_at=T0,
        evidence=["e"],
    )


def test_routing_office_always_county_for_red_and_orange():
    assert alert("zone_exit").notify == ["office:华士镇", "county_command_centre"]
    assert alert("checkin_missed").notify == ["office:华士镇"]


def test_the_whole_life_keeps_who_when_why():
    a = alert()
    b = acknowledge(a, actor="duty-demo", at=T0 + timedelta(minutes=5))
    assert (b.status, b.version, b.actor, b.acknowledged_at) == (
        "acknowledged",
        2,
        "duty-demo",
        T0 + timedelta(minutes=5),
    )
    c = dispose(b, POLICY, actor="officer-demo", at=T0 + timedelta(hours=1), reason_code="returned", note="已返回")
    assert (c.status, c.reason_code, c.note, c.version) == ("disposed", "returned", "已返回", 3)
    assert close_action(c, POLICY) == "alert.close_serious"  # orange needs a supervisor's sign-off
    d = close(c, actor="supervisor-demo", at=T0 + timedelta(hours=2), note="ok")
    assert d.status == "closed" and d.version == 4
    blue = dispose(alert("checkin_missed"), POLICY, actor="o", at=T0, reason_code="other", note=None)
    assert close(blue, actor="o", at=T0, note=None).status == "closed"


def test_a_disposal_keeps_its_three_recorded_steps():
    steps = DisposalSteps(verification="电话核实，本人在上海", action="责令当日返回", follow_up="三日内回访")
    c = dispose(alert(), POLICY, actor="officer-demo", at=T0, reason_code="returned", note="已返回", steps=steps)
    assert c.disposal == steps and c.model_dump(mode="json")["disposal"]["follow_up"] == "三日内回访"
    assert dispose(alert(), POLICY, actor="o", at=T0, reason_code="other", note=None).disposal is None
    with pytest.raises(ValueError):
        DisposalSteps(verification="", action="x", follow_up="y")  # each step is written, none skipped


def test_steps_out_of_order_are_refused():
    a = alert()
    with pytest.raises(LifecycleError):
        close(a, actor="s", at=T0, note=None)
    with pytest.raises(BadReason):
        dispose(a, POLICY, actor="o", at=T0, reason_code="because", note=None)
    done = dispose(a, POLICY, actor="o", at=T0, reason_code="other", note=None)
    with pytest.raises(LifecycleError):
        acknowledge(done, actor="o", at=T0)


def test_escalation_goes_one_colour_and_one_level_up_then_stops():
    a = alert("checkin_missed")  # blue, justice office
    steps = []
    while (nxt := escalate(a, POLICY, at=T0, why="not acknowledged in time")) is not None:
        steps.append((nxt.colour, nxt.level))
        a = nxt
    assert steps == [("yellow", "county_command_centre"), ("orange", "bureau_head"), ("red", "bureau_head")]
    assert a.status == "escalated" and a.ack_due_at == T0 + POLICY.ack_by_colour["red"]
    assert "bureau_head" in a.notify and "county_command_centre" in a.notify
    assert (
        escalate(dispose(alert(), POLICY, actor="o", at=T0, reason_code="other", note=None), POLICY, at=T0, why="x")
        is None
    )


def test_recolour_only_upward():
    a = alert("device_offline")
    assert recolour(a, POLICY, colour="orange", why="repeat").colour == "orange"
    assert recolour(a, POLICY, colour="blue", why="repeat") is None
