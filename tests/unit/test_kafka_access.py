"""The Kafka ACL table (shared/kafka/access.py) against what the services really do: each reads
exactly the topics its handler table subscribes to, and writes exactly the topics of the event
types it owns (a type's owner is its second name part: `sps.<owner>.…`)."""

from __future__ import annotations

import importlib
import re

import pytest

from shared import topics
from shared.events import EVENT_TYPES
from shared.kafka.access import (
    DEMO_PASSWORDS,
    READS,
    SERVICES,
    WRITES,
    acl_bindings,
    platform_access,
    service_access,
    service_principal,
)
from shared.kafka.connection import KafkaAuth, KafkaAuthError
from shared.paths import REPO_ROOT
from shared.service import ServiceRuntime

# The public doors both report bursts of failed sign-ins (shared/security_signals.py).
OWNER = {
    "ingest": ("exchange",),
    "exchange": ("exchange",),
    "alert": ("alerting",),
    "security": ("command_centre", "exchange"),
}


def _runtime(service: str, monkeypatch) -> ServiceRuntime:
    monkeypatch.setenv("SPS_DEMO_MODE", "true")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", service_principal(service))
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "unused")
    made: list[ServiceRuntime] = []
    original = ServiceRuntime.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(ServiceRuntime, "__init__", spy)
    importlib.import_module(f"services.{service}.main").create_app()
    [runtime] = made
    return runtime


def _consumed(service: str, monkeypatch) -> set[str]:
    return {t for spec in _runtime(service, monkeypatch)._specs for t in spec.topics}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_what_it_handles(service, monkeypatch):
    assert set(READS[service]) == _consumed(service, monkeypatch)


def test_a_service_writes_the_topics_of_the_events_it_makes():
    """A service publishes an event type where its code builds the type's data model; a type built
    generically (a timer's signal) belongs to the service its name says."""
    sources = {s: "\n".join(p.read_text() for p in (REPO_ROOT / "services" / s).rglob("*.py")) for s in SERVICES}
    published: dict[str, set[str]] = {s: set() for s in SERVICES}
    for name, event_type in EVENT_TYPES.items():
        part = name.split(".")[1]
        if part == "audit":
            continue  # every service audits: service_access adds audit.v1 to each
        makers = [s for s in SERVICES if re.search(rf"\b{event_type.data.__name__}\(", sources[s])]
        for service in makers or OWNER.get(part, (part,)):
            published[service].add(event_type.topic)
    assert {s: set(WRITES[s]) for s in SERVICES} == published


def test_each_service_may_write_audit_and_its_dead_letters_but_not_what_others_own():
    supervision = service_access("supervision")
    assert topics.AUDIT in supervision.write
    assert topics.dlq(topics.LOCATIONS) in supervision.write
    assert topics.COURT_ORDERS not in supervision.write  # reads court orders, may not forge them
    assert topics.ALERTS not in supervision.write
    assert topics.ALERTS not in service_access("exchange").write


def test_the_demo_principals_exist_only_in_demo_mode_with_the_contracts_rights():
    demo = {a.principal: a for a in platform_access(demo=True)}
    assert set(DEMO_PASSWORDS) <= set(demo)
    assert not set(DEMO_PASSWORDS) & {a.principal for a in platform_access(demo=False)}
    device = acl_bindings(demo["device-demo"])
    assert {(b.resource_name, b.operation) for b in device} == {(topics.LOCATIONS, "WRITE"), (topics.CHECKINS, "WRITE")}
    consumer = {
        (b.resource_type, b.pattern_type, b.resource_name, b.operation)
        for b in acl_bindings(demo["alert-consumer-demo"])
    }
    assert consumer == {("TOPIC", "LITERAL", topics.ALERTS, "READ"), ("GROUP", "PREFIXED", "alert-consumer-", "READ")}


def test_credentials_are_required_and_named():
    with pytest.raises(KafkaAuthError, match="KAFKA_SASL_USERNAME"):
        KafkaAuth.from_env({}).options()
    with pytest.raises(KafkaAuthError, match="KAFKA_SECURITY_PROTOCOL"):
        KafkaAuth.from_env({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAIN"}).options()
    options = KafkaAuth.from_env({"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}).options()
    assert options["sasl_mechanism"] == "SCRAM-SHA-512" and options["security_protocol"] == "SASL_PLAINTEXT"
    assert KafkaAuth.from_env({"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}).options() == {"security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_handler_reads_its_types_own_topic(service, monkeypatch):
    """N1 (contract §7.1): the runner applies a record only when its type is registered for the
    topic it came on; a handler whose type's topic its consumer does not read would never run."""
    for spec in _runtime(service, monkeypatch)._specs:
        stray = {t: EVENT_TYPES[t].topic for t in spec.handlers if EVENT_TYPES[t].topic not in spec.topics}
        assert not stray, f"{service}/{spec.group_suffix}: handlers for types of topics it does not read: {stray}"


def test_what_the_device_vendor_writes_reaches_only_the_fix_and_check_in_handlers(monkeypatch):
    """The topics a vendor's principal may write carry two types between them, whatever a record
    names: every other type on them is dead-lettered (type-not-on-topic)."""
    demo = {a.principal: a for a in platform_access(demo=True)}
    vendor_topics = set(demo["device-demo"].write)
    reachable = set()
    for service in SERVICES:
        for spec in _runtime(service, monkeypatch)._specs:
            if vendor_topics & set(spec.topics):
                reachable |= {t for t in spec.handlers if EVENT_TYPES[t].topic in vendor_topics}
    assert reachable == {"sps.ingest.location", "sps.ingest.checkin"}
    assert {t for t, et in EVENT_TYPES.items() if et.topic in vendor_topics} == reachable
