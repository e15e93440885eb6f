"""The alerting engine, pure: conditions, colours, repeat, correlation, order independence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.alerting.domain.alerts import AddEvidence, Known, Raise, Recolour, alert_id, on_signal
from services.alerting.domain.policy import load_alert_policy
from shared.events import EVENT_TYPES, Signal
from shared.paths import POLICY_DIR

POLICY = load_alert_policy(POLICY_DIR)
P = uuid.UUID("07b8c457-9874-8847-9e4c-bbe58aa29a0b")
T0 = datetime(2026, 12, 2, 8, tzinfo=UTC)


def signal(event_type: str, cause: str, at: datetime = T0, evidence: tuple = (), **fields) -> tuple[str, Signal]:
    model = EVENT_TYPES[event_type].data
    defaults = {
        "sps.supervision.zone-exited": dict(lat=31.2, lon=121.4, accuracy_m=10, distance_m=900),
        "sps.supervision.checkin-missed": dict(due_at=at),
        "sps.supervision.sanction-recorded": dict(kind="admonition", count=1, reason="late"),
        "sps.supervision.aftercare-followup-due": dict(kind="phone"),
        "sps.risk.risk-high": dict(level="high"),
        "sps.supervision.key-person-newly-determined": dict(
            office="澄江街道", month="2026-12", reasons=["sanctions:1"]
        ),
    }.get(event_type, {})
    return event_type, model(
        person_id=P,
        jurisdiction="澄江街道",
        cause=cause,
        observed_at=at,
        evidence=list(evidence) or [f"ev-{cause}"],
        **{**defaults, **fields},
    )


class Book:
    """Applies decisions the way the database handler does, in memory."""

    def __init__(self) -> None:
        self.alerts: dict[uuid.UUID, dict] = {}

    def known(self) -> list[Known]:
        return [Known(a, v["rule_id"], v["cause"], v["colour"], "open", v["raised_at"]) for a, v in self.alerts.items()]

    def feed(self, event_type: str, sig: Signal) -> None:
        for action in on_signal(POLICY, event_type, sig, self.known()).actions:
            if isinstance(action, Raise):
                a = action.alert
                if a.alert_id in self.alerts:  # a race the database resolves the same way
                    self.alerts[a.alert_id]["evidence"] |= set(a.evidence)
                else:
                    self.alerts[a.alert_id] = dict(
                        rule_id=a.rule_id,
                        cause=action.cause,
                        colour=a.colour,
                        raised_at=a.raised_at,
                        evidence=set(a.evidence),
                    )
            elif isinstance(action, AddEvidence):
                self.alerts[action.alert_id]["evidence"] |= set(action.evidence)
            elif isinstance(action, Recolour):
                cur = self.alerts[action.alert_id]
                if POLICY.severity(action.colour) > POLICY.severity(cur["colour"]):
                    cur["colour"] = action.colour

    def summary(self) -> dict:
        return {a: (v["rule_id"], v["colour"], frozenset(v["evidence"])) for a, v in self.alerts.items()}


def test_a_continuing_cause_is_one_alert_with_more_evidence():
    book = Book()
    book.feed(*signal("sps.supervision.zone-exited", "ep1", evidence=("f1",)))
    book.feed(*signal("sps.supervision.zone-exited", "ep1", evidence=("f2",)))
    assert len(book.alerts) == 1
    (only,) = book.alerts.values()
    assert only["evidence"] == {"f1", "f2"} and only["colour"] == "orange"
    book.feed(*signal("sps.supervision.zone-exited", "ep2"))
    assert len(book.alerts) == 2  # a new cause is a new alert


def test_second_sanction_is_orange_second_warning_red_first_nothing():
    book = Book()
    book.feed(*signal("sps.supervision.sanction-recorded", "s1", kind="admonition", count=1))
    assert book.alerts == {}
    book.feed(*signal("sps.supervision.sanction-recorded", "s2", kind="admonition", count=2))
    book.feed(*signal("sps.supervision.sanction-recorded", "s3", kind="warning", count=2))
    colours = sorted(v["colour"] for v in book.alerts.values())
    assert colours == ["orange", "red"]


def test_second_offline_within_30_days_is_orange_in_either_order():
    first = signal("sps.supervision.device-offline", "off1", T0)
    second = signal("sps.supervision.device-offline", "off2", T0 + timedelta(days=10))
    far = signal("sps.supervision.device-offline", "off3", T0 + timedelta(days=45))
    for order in ([first, second, far], [far, second, first]):
        book = Book()
        for s in order:
            book.feed(*s)
        by_cause = {v["cause"]: v["colour"] for v in book.alerts.values()}
        assert by_cause == {"off1": "yellow", "off2": "orange", "off3": "yellow"}, order


def test_aftercare_visit_is_orange_phone_yellow():
    book = Book()
    book.feed(*signal("sps.supervision.aftercare-followup-due", "m1", kind="phone"))
    book.feed(*signal("sps.supervision.aftercare-followup-due", "q1", kind="visit"))
    assert {v["cause"]: v["colour"] for v in book.alerts.values()} == {"m1": "yellow", "q1": "orange"}


def test_signals_that_raised_nothing_before_have_rules():
    book = Book()
    book.feed(*signal("sps.supervision.battery-low", "b1", battery_pct=12))
    book.feed(*signal("sps.supervision.separation-reported", "sep1", count=1, warning_due=False))
    book.feed(*signal("sps.supervision.separation-reported", "sep2", count=2, warning_due=True))
    case = uuid.uuid4()
    book.feed(*signal("sps.supervision.rehab-serious-breach", "r1", case_id=case, reason="days_away", count=31))
    found = {v["cause"]: (v["rule_id"], v["colour"]) for v in book.alerts.values()}
    assert found == {
        "b1": ("battery_low", "blue"),
        "sep1": ("separation_reported", "yellow"),
        "sep2": ("separation_reported", "orange"),  # the repeat a warning follows
        "r1": ("rehab_serious_breach", "orange"),
    }


def test_combined_absconding_picture_raises_one_red_contact_lost_and_keeps_the_lesser_alerts():
    book = Book()
    book.feed(*signal("sps.supervision.checkin-missed", "c1"))
    assert {v["rule_id"] for v in book.alerts.values()} == {"checkin_missed"}
    book.feed(*signal("sps.supervision.device-offline", "d1"))
    book.feed(*signal("sps.supervision.zone-exited", "z1"))
    rules = sorted(v["rule_id"] for v in book.alerts.values())
    assert rules == ["checkin_missed", "contact_lost", "device_offline", "zone_exit"]
    lost = next(v for v in book.alerts.values() if v["rule_id"] == "contact_lost")
    assert lost["colour"] == "red"
    parts = {str(a) for a, v in book.alerts.items() if v["rule_id"] != "contact_lost"}
    assert lost["evidence"] == parts  # it points at the lesser alerts, which stay


def test_closed_combined_picture_starts_a_new_generation():
    known = [
        Known(alert_id("contact_lost", P, "combined:0"), "contact_lost", "combined:0", "red", "closed", T0),
        Known(uuid.uuid4(), "checkin_missed", "c1", "blue", "open", T0),
    ]
    et, sig = signal("sps.supervision.device-offline", "d9")
    raised = [a for a in on_signal(POLICY, et, sig, known).actions if isinstance(a, Raise)]
    assert {a.cause for a in raised} == {"d9", "combined:1"}


SIGNALS = [
    signal("sps.supervision.zone-exited", "z1", T0, ("f1",)),
    signal("sps.supervision.zone-exited", "z1", T0, ("f2",)),
    signal("sps.supervision.zone-exited", "z2", T0 + timedelta(hours=3), ("f3",)),
    signal("sps.supervision.device-offline", "d1", T0 + timedelta(hours=1)),
    signal("sps.supervision.device-offline", "d2", T0 + timedelta(days=3)),
    signal("sps.supervision.checkin-missed", "c1", T0 + timedelta(hours=2)),
    signal("sps.supervision.device-tampered", "t1", T0, device_id="EM-1"),
    signal("sps.supervision.sanction-recorded", "s2", T0, kind="warning", count=2),
    signal("sps.supervision.intake-missed", "i1", T0),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(range(len(SIGNALS))), min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_any_interleaving_and_duplication_gives_the_same_alerts(picks, rnd):
    # Every signal picked at least once, in the given order, against the same signals shuffled and doubled.
    chosen = sorted(set(picks))
    reference = Book()
    for i in chosen:
        reference.feed(*SIGNALS[i])
    shuffled = list(picks) + chosen
    rnd.shuffle(shuffled)
    other = Book()
    for i in shuffled:
        other.feed(*SIGNALS[i])
    assert other.summary() == reference.summary()


def test_risk_high_is_raised_by_a_risk_rising_and_by_a_newly_determined_key_person():
    """docs/domain.md §4: `risk_high` — the assessment rises to high, or a key person is newly determined."""
    book = Book()
    book.feed(*signal("sps.risk.risk-high", "risk-high:a1"))
    book.feed(*signal("sps.supervision.key-person-newly-determined", "key-person:澄江街道:2026-12"))
    book.feed(*signal("sps.supervision.key-person-newly-determined", "key-person:澄江街道:2026-12"))  # again
    assert sorted((v["rule_id"], v["colour"], v["cause"]) for v in book.alerts.values()) == [
        ("risk_high", "orange", "key-person:澄江街道:2026-12"),
        ("risk_high", "orange", "risk-high:a1"),
    ]
