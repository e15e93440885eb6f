"""The shipped alert policy is docs/domain.md §4's catalogue; a bad policy file is refused naming the line."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.alerting.domain.alerts import alert_id, new_alert
from services.alerting.domain.policy import AlertPolicy, load_alert_policy
from shared.paths import POLICY_DIR
from shared.policy import PolicyError, load_policy

H, M, D = (lambda n: timedelta(hours=n)), (lambda n: timedelta(minutes=n)), (lambda n: timedelta(days=n))
# rule_id: (colour, ack, dispose) — copied from docs/domain.md §4
CATALOGUE = {
    "intake_missed": ("red", M(15), H(24)),
    "contact_lost": ("red", M(15), H(24)),
    "device_tamper": ("red", M(15), H(2)),
    "exclusion_zone_entered": ("red", M(15), H(2)),
    "zone_exit": ("orange", M(30), H(24)),
    "release_intake_missed": ("red", M(15), H(24)),
    "pickup_unplanned": ("orange", H(2), D(3)),
    "risk_high": ("orange", H(2), D(3)),
    "sanction_threshold": ("orange", H(2), D(3)),
    "device_offline": ("yellow", H(2), H(24)),
    "leave_overdue": ("yellow", H(2), H(24)),
    "checkin_missed": ("blue", H(24), D(3)),
    "receipt_overdue": ("yellow", H(24), D(3)),
    "aftercare_followup_due": ("yellow", H(24), D(7)),
    "rehab_report_missed": ("orange", H(2), D(3)),
    "positioning_term_ending": ("blue", H(24), D(7)),
}


def test_shipped_policy_is_the_brief_catalogue():
    policy = load_alert_policy(POLICY_DIR)
    assert set(CATALOGUE) <= set(policy.rules)
    # beyond the brief's table: the platform watching itself, the overdue reassessment, and the
    # signals the brief names without a colour (low battery, 人机分离, community rehabilitation's
    # serious breach; docs/domain.md §4)
    assert set(policy.rules) - set(CATALOGUE) == {
        "notification_silent",
        "reassessment_overdue",
        "battery_low",
        "separation_reported",
        "rehab_serious_breach",
        "contact_check_due",  # the check that comes before contact_lost (BRIEF's "and unreachable")
        "revocation_ruling_overdue",  # the court's 30 days to rule on a revocation proposal (contract §6.2)
        "help_request_overdue",  # a help request unanswered by its deadline (docs/domain.md §1)
        "plan_overdue",  # no approved correction plan by its day (docs/domain.md §1)
        "hours_short",  # a month short of the hours the level owes (docs/domain.md §1)
        "procuratorate_reply_overdue",  # a procuratorate notice about a person unanswered by its deadline (§6.2)
        "sign_in_burst",  # many failed sign-ins or token requests from one address (contract §7.2)
        "key_persons_unconfirmed",  # an office had not confirmed its month's key-person list in time (D6)
    }
    for rule_id, (colour, ack, dispose) in CATALOGUE.items():
        rule = policy.rules[rule_id]
        assert (rule.colour, rule.ack, rule.dispose) == (colour, ack, dispose), rule_id


def test_alert_id_is_stable_per_rule_person_cause():
    p = uuid.uuid4()
    assert alert_id("zone_exit", p, "c1") == alert_id("zone_exit", p, "c1")
    assert (
        len(
            {
                alert_id("zone_exit", p, "c1"),
                alert_id("zone_exit", p, "c2"),
                alert_id("device_tamper", p, "c1"),
                alert_id("zone_exit", uuid.uuid4(), "c1"),
            }
        )
        == 4
    )


def test_deadlines_run_from_the_policy():
    policy = load_alert_policy(POLICY_DIR)
    t = datetime(2026, 12, 2, 8, tzinfo=UTC)
    a = new_alert(
        "zone_exit",
        policy.rules["zone_exit"],
        policy,
        person_id=uuid.uuid4(),
        cause="e",
        jurisdiction="澄江街道",
        raised_at=t,
        evidence=["x"],
    )
    assert a.colour == "orange" and a.status == "open"
    assert a.ack_due_at == t + M(30) and a.dispose_due_at == t + H(24)


def test_bad_policy_is_refused_naming_the_line(tmp_path: Path):
    text = (POLICY_DIR / "alerts.yaml").read_text(encoding="utf-8")
    bad = text.replace("    colour: orange\n    ack: PT30M", "    colour: purple\n    ack: PT30M", 1)
    assert bad != text
    (tmp_path / "alerts.yaml").write_text(bad, encoding="utf-8")
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if "purple" in l)
    with pytest.raises(PolicyError, match=rf"alerts.yaml:{line}: rules.zone_exit.colour"):
        load_alert_policy(tmp_path)


def test_broken_yaml_names_the_line(tmp_path: Path):
    (tmp_path / "alerts.yaml").write_text("rules:\n  a: [1, 2\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"alerts.yaml:\d+: not valid YAML"):
        load_policy(tmp_path / "alerts.yaml", AlertPolicy)


def test_a_rule_may_have_several_triggers_each_a_known_signal(tmp_path: Path):
    policy = load_alert_policy(POLICY_DIR)
    assert {r for r, _ in policy.rules_for_trigger("sps.supervision.key-person-newly-determined")} == {"risk_high"}
    assert {r for r, _ in policy.rules_for_trigger("sps.risk.risk-high")} == {"risk_high"}
    assert {"sps.risk.risk-high", "sps.supervision.key-person-newly-determined"} <= policy.triggers
    text = (
        (POLICY_DIR / "alerts.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "trigger: [sps.risk.risk-high, sps.supervision.key-person-newly-determined]",
            "trigger: [sps.risk.risk-high, sps.risk.no-such-signal]",
        )
    )
    bad = tmp_path / "alerts.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="sps.risk.no-such-signal"):
        load_policy(bad, AlertPolicy)
