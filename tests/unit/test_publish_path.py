"""One typed publish path: type, topic and source come from the registry and the service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.alerting.domain.alerts import new_alert
from services.alerting.domain.policy import load_alert_policy
from shared import topics
from shared.events import EVENT_TYPES, CaseClosed, EventData, UnknownEventType, build_event, event_type_of, topics_of
from shared.paths import POLICY_DIR
from tests.fakes.uow import FakeUnitOfWork


def test_every_registered_class_but_the_alert_steps_names_one_type():
    by_class: dict[type[EventData], list[str]] = {}
    for et in EVENT_TYPES.values():
        by_class.setdefault(et.data, []).append(et.type)
    shared = {cls.__name__: types for cls, types in by_class.items() if len(types) > 1}
    assert list(shared) == ["AlertData"]


def test_the_class_gives_type_topic_and_the_service_the_source():
    data = CaseClosed(person_id=uuid.uuid4(), case_id=uuid.uuid4(), jurisdiction="澄江街道", outcome="ended")
    topic, event = build_event(data, "/sps/supervision", subject=data.person_id)
    assert (topic, event.type, event.source) == (
        topics.SUPERVISION_EVENTS,
        "sps.supervision.case-closed",
        "/sps/supervision",
    )


def test_a_shared_class_needs_its_type_named_and_an_unregistered_one_is_refused():
    policy = load_alert_policy(POLICY_DIR)
    alert = new_alert(
        "zone_exit",
        policy.rules["zone_exit"],
        policy,
        person_id=uuid.uuid4(),
        cause="c",
        jurisdiction="county",
        raised_at=datetime(2026, 12, 1, tzinfo=UTC),
        evidence=[],
    )
    with pytest.raises(UnknownEventType, match="name one"):
        event_type_of(alert)
    assert event_type_of(alert, "sps.alert.closed").topic == topics.ALERTS
    with pytest.raises(UnknownEventType, match="not a type of"):
        event_type_of(alert, "sps.supervision.case-closed")

    class Stray(EventData):
        x: int

    with pytest.raises(UnknownEventType, match="not a registered"):
        FakeUnitOfWork().publish(Stray(x=1), subject="s")


def test_consumers_subscribe_to_the_topics_of_what_they_handle():
    assert topics_of(["sps.ingest.location", "sps.handover.arrived", "sps.ingest.checkin"]) == sorted(
        [topics.LOCATIONS, topics.HANDOVER_EVENTS, topics.CHECKINS]
    )
    with pytest.raises(UnknownEventType):
        topics_of(["sps.nothing.here"])
