"""The rule-replay sandbox on the real broker and database: a recorded period read back from Kafka
by event time, replayed through alerting's real handlers in scratch databases (live and changed
policy, a simulated clock, the staff's real steps applied when they happened), and set against
what happened, per rule."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from services.alerting.domain import lifecycle
from services.alerting.domain.alerts import Raise, on_signal
from services.alerting.domain.policy import load_alert_policy
from shared.envelope import encode, new_event
from shared.events import ZoneExited
from shared.kafka.producer import EventProducer
from shared.paths import POLICY_DIR
from tests.kafka_helpers import fresh_topic
from tools.replay.engine import Simulation, compare
from tools.replay.load import read_period

LIVE = load_alert_policy(POLICY_DIR)
T0 = datetime(2026, 1, 5, 1, tzinfo=UTC)  # a period no other test writes into


def changed_policy(tmp: Path) -> Path:
    """zone_exit only beyond 1,000 m, and a 10-minute acknowledgement window instead of 30."""
    shutil.copytree(POLICY_DIR, tmp, dirs_exist_ok=True)
    doc = yaml.safe_load((tmp / "alerts.yaml").read_text(encoding="utf-8"))
    doc["rules"]["zone_exit"]["when"] = {"field": "distance_m", "min": 1000}
    doc["rules"]["zone_exit"]["ack"] = "PT10M"
    (tmp / "alerts.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp


async def test_a_changed_zone_exit_rule_replayed_against_what_happened(stack, tmp_path):
    signals_topic = await fresh_topic(stack.bootstrap, f"test.replay.signals.{uuid.uuid4().hex[:6]}")
    alerts_topic = await fresh_topic(stack.bootstrap, f"test.replay.alerts.{uuid.uuid4().hex[:6]}")
    near, far, farther = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    records = []
    raised = {}
    for i, (person, distance) in enumerate(((near, 500.0), (far, 1500.0), (farther, 3000.0))):
        at = T0 + timedelta(minutes=i)
        signal = ZoneExited(
            person_id=person,
            jurisdiction="澄江街道",
            cause=f"zone-episode:{person}",
            observed_at=at,
            evidence=[f"fix-{i}"],
            lat=31.2,
            lon=121.4,
            accuracy_m=10,
            distance_m=distance,
        )
        event = new_event("sps.supervision.zone-exited", "/sps/supervision", signal, subject=str(person), time=at)
        records.append((signals_topic, str(person), encode(event), []))
        (action,) = [a for a in on_signal(LIVE, event.type, signal, []).actions if isinstance(a, Raise)]
        raised[person] = action.alert  # what the live platform raised
        records.append(
            (
                alerts_topic,
                str(person),
                encode(new_event("sps.alert.raised", "/sps/alerting", action.alert, subject=str(person), time=at)),
                [],
            )
        )
    # What the duty staff did: the near one disposed as a false alarm, the farther one acknowledged at 5 minutes.
    disposed = lifecycle.dispose(
        raised[near], LIVE, actor="officer-demo", at=T0 + timedelta(minutes=3), reason_code="false_alarm", note="误报"
    )
    acked = lifecycle.acknowledge(raised[farther], actor="officer-demo", at=T0 + timedelta(minutes=5))
    for alert, kind in ((disposed, "disposed"), (acked, "acknowledged")):
        at = alert.disposed_at or alert.acknowledged_at
        event = new_event(f"sps.alert.{kind}", "/sps/alerting", alert, subject=str(alert.person_id), time=at)
        records.append((alerts_topic, str(alert.person_id), encode(event), []))
    producer = EventProducer(stack.bootstrap, "test")
    await producer.start()
    try:
        await producer.publish_raw(records)
    finally:
        await producer.stop()

    until = T0 + timedelta(minutes=20)  # past the changed 10-minute window, before the live 30-minute one
    period = await read_period(stack.bootstrap, T0, until, signal_topics=(signals_topic,), alert_topic=alerts_topic)
    assert len(period.signals) == 3 and len(period.actual) == 3 and len(period.steps) == 2

    outcomes = []
    for policy in (LIVE, load_alert_policy(changed_policy(tmp_path / "changed"))):
        async with Simulation(stack.database_url, policy, f"sps_test_replay_{uuid.uuid4().hex[:6]}") as sim:
            outcomes.append(await sim.run(period, until))
    (row,) = compare(period.actual, outcomes[0], outcomes[1])
    assert (row.rule_id, row.happened, row.live_replay, row.would_raise) == ("zone_exit", 3, 3, 2)
    assert row.not_raised == 1 and dict(row.outcomes_not_raised) == {"false_alarm": 1}  # the one judged a false alarm
    assert row.newly_raised == 0
    # the far one, never acknowledged, escalates at 10 minutes; the farther one was acknowledged at 5
    assert dict(row.changed) == {"orange→red": 1, "open→escalated": 1}
    assert outcomes[0][raised[farther].alert_id].status == "acknowledged"  # the real step, replayed
