"""Who may do what on Kafka (contract §6.1): one principal per service, ACLs per topic.

This table is the one source of the broker's ACLs: the embedded broker's provisioning
(tools/devstack/kafka_security.py), docker-compose's `kafka-acls` step and the Strimzi
`KafkaUser` manifests are all made from it. tests/unit/test_kafka_access.py holds it to what
each service really consumes (its handler table) and publishes (the event registry).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import topics
from shared.platform import SERVICES
from shared.topics import NOTIFICATIONS_DEAD, all_topics_with_dlq, dlq

# The broker's own principals (super users): inter-broker traffic and the controller quorum.
BROKER_PRINCIPAL = "sps-broker"
CONTROLLER_PRINCIPAL = "sps-controller"
# The operators' principal outside demo mode (topics, dead letters, replays).
ADMIN_PRINCIPAL = "sps-admin"
# Contract §6.1: these exist in demo mode only, with these passwords.
DEMO_PASSWORDS = {
    "ops-demo": "ops-demo-secret",
    "alert-consumer-demo": "alert-consumer-demo-secret",
    "device-demo": "device-demo-secret",
}
ALL = "*"


def service_principal(service: str) -> str:
    return "sps-" + service.replace("_", "-")


@dataclass(frozen=True)
class Access:
    """What one principal may do. `read` and `write` name topics (literal), `groups` name consumer
    group prefixes; `everything` gives ALL on every topic, group and the cluster."""

    principal: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    describe: tuple[str, ...] = ()
    everything: bool = False


# What each service consumes (its handler table says so: the test holds these equal).
READS: dict[str, tuple[str, ...]] = {
    "supervision": (
        topics.COURT_ORDERS,
        topics.LOCATIONS,
        topics.CHECKINS,
        topics.SUPERVISION_EVENTS,
        topics.HANDOVER_EVENTS,
        topics.RISK_EVENTS,
        topics.AGENCY_REPLIES,  # the procuratorate's notices
        topics.POLICE_ACKS,  # the police registered a border control
        topics.APP_REPORTS,  # hours and help requests from the person's app
    ),
    "handover": (
        topics.COURT_ORDERS,
        topics.RELEASE_NOTICES,
        topics.REHAB_NOTICES,
        topics.POLICE_ACKS,
        topics.AGENCY_REPLIES,
    ),
    "risk": (topics.COURT_ORDERS, topics.RELEASE_NOTICES, topics.SUPERVISION_EVENTS, topics.HANDOVER_EVENTS),
    "alerting": (
        topics.SUPERVISION_EVENTS,
        topics.HANDOVER_EVENTS,
        topics.RISK_EVENTS,
        topics.POLICE_ACKS,
        topics.SECURITY_EVENTS,  # bursts of failed sign-ins, for the duty desk
    ),
    "command_centre": (topics.ALERTS,),
    "exchange": (topics.AUDIT, topics.EXCHANGE_OUTBOUND),
}
# What each service publishes, besides `audit.v1` (every service audits) and the dead-letter
# topics beside what it reads (its consumer dead-letters there).
WRITES: dict[str, tuple[str, ...]] = {
    # Revocation proposals go to the courts through the gateway.
    "supervision": (topics.SUPERVISION_EVENTS, topics.EXCHANGE_OUTBOUND),
    # Receipts to prisons, handovers to the police and assistance requests go out through the gateway.
    "handover": (topics.HANDOVER_EVENTS, topics.EXCHANGE_OUTBOUND),
    "risk": (topics.RISK_EVENTS,),
    # Search requests (协助查找) go to the police through the gateway.
    "alerting": (topics.ALERTS, NOTIFICATIONS_DEAD, topics.EXCHANGE_OUTBOUND),
    "command_centre": (topics.SECURITY_EVENTS,),  # a burst of failed sign-ins
    "exchange": (
        topics.SECURITY_EVENTS,  # a burst of failed token requests
        topics.COURT_ORDERS,
        topics.RELEASE_NOTICES,
        topics.REHAB_NOTICES,
        topics.LOCATIONS,
        topics.CHECKINS,
        topics.POLICE_ACKS,
        topics.AGENCY_REPLIES,
        topics.APP_REPORTS,
        topics.EXCHANGE_OUTBOUND,
    ),
}


def service_access(service: str) -> Access:
    reads = READS[service]
    writes = (*WRITES[service], topics.AUDIT, *(dlq(t) for t in reads))
    return Access(
        service_principal(service),
        read=reads,
        write=tuple(dict.fromkeys(writes)),
        groups=(f"sps-{service}-",),
        # A service checks at start that the platform's topics exist; it never creates them.
        describe=tuple(all_topics_with_dlq()),
    )


def platform_access(*, demo: bool) -> list[Access]:
    accesses = [service_access(s) for s in SERVICES]
    accesses.append(Access(ADMIN_PRINCIPAL, everything=True))  # operators
    if demo:
        accesses += [
            Access("ops-demo", everything=True),  # operators, tooling, tests
            Access("alert-consumer-demo", read=(topics.ALERTS,), groups=("alert-consumer-",)),
            Access("device-demo", write=(topics.LOCATIONS, topics.CHECKINS)),
        ]
    return accesses


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ALLOW rule, as Kafka's admin API takes it."""

    principal: str
    resource_type: str  # TOPIC, GROUP, CLUSTER
    pattern_type: str  # LITERAL, PREFIXED
    resource_name: str
    operation: str  # READ, WRITE, DESCRIBE, ALL


def acl_bindings(access: Access) -> list[AclBinding]:
    user = f"User:{access.principal}"
    if access.everything:
        return [
            AclBinding(user, "TOPIC", "LITERAL", ALL, "ALL"),
            AclBinding(user, "GROUP", "LITERAL", ALL, "ALL"),
            AclBinding(user, "CLUSTER", "LITERAL", "kafka-cluster", "ALL"),
        ]
    rules = {AclBinding(user, "TOPIC", "LITERAL", t, "READ") for t in access.read}
    rules |= {AclBinding(user, "TOPIC", "LITERAL", t, "WRITE") for t in access.write}
    rules |= {AclBinding(user, "TOPIC", "LITERAL", t, "DESCRIBE") for t in access.describe}
    rules |= {AclBinding(user, "GROUP", "PREFIXED", g, "READ") for g in access.groups}
    return sorted(rules)
