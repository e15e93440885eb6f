"""Topic names. The contract's public topics first, then the platform's internal ones."""

from __future__ import annotations

COURT_ORDERS = "ingest.court-orders.v1"
RELEASE_NOTICES = "ingest.release-notices.v1"
REHAB_NOTICES = "ingest.rehab-notices.v1"
LOCATIONS = "ingest.locations.v1"
CHECKINS = "ingest.checkins.v1"
POLICE_ACKS = "ingest.police-acks.v1"  # beyond contract v1: the police acknowledge a handover
# Beyond contract v1.1: answers from agencies with no topic of their own (civil affairs' outcomes).
AGENCY_REPLIES = "ingest.agency-replies.v1"
# Contract v1.1 §6.2: the supervised person's app (在矫通): study and service hours, help requests.
APP_REPORTS = "ingest.app-reports.v1"
ALERTS = "alerts.v1"
EXCHANGE_OUTBOUND = "exchange.outbound.v1"

# Who read or changed a person's data, from every service; the gateway keeps the hash chain.
AUDIT = "audit.v1"

# Internal: each service publishes its domain events on its own topic.
SUPERVISION_EVENTS = "supervision.events.v1"
HANDOVER_EVENTS = "handover.events.v1"
RISK_EVENTS = "risk.events.v1"
# What the public doors (the console's sign-in, the gateway's tokens) saw that the duty desk must know.
SECURITY_EVENTS = "security.events.v1"
# Alert notifications that could not be delivered after every retry.
NOTIFICATIONS_DEAD = "alerts.notifications.dlq"

CONTRACT_TOPICS = (
    COURT_ORDERS,
    RELEASE_NOTICES,
    REHAB_NOTICES,
    LOCATIONS,
    CHECKINS,
    ALERTS,
    EXCHANGE_OUTBOUND,
    POLICE_ACKS,
    AGENCY_REPLIES,
    APP_REPORTS,
)
INTERNAL_TOPICS = (SUPERVISION_EVENTS, HANDOVER_EVENTS, RISK_EVENTS, AUDIT, SECURITY_EVENTS)
ALL_TOPICS = CONTRACT_TOPICS + INTERNAL_TOPICS


# The topics device vendors write to Kafka themselves: the broker stamps each record with the time
# it was appended (LogAppendTime), an arrival no producer can date ahead, which a redelivery keeps
# (docs/security.md, L7; services/supervision/domain/zones.py).
ARRIVAL_STAMPED = (LOCATIONS, CHECKINS)


def broker_configs(topic: str) -> dict[str, str]:
    """A topic's configs beyond its retention: the same for the services, `make up`, compose and
    the manifests."""
    return {"message.timestamp.type": "LogAppendTime"} if topic in ARRIVAL_STAMPED else {}


def dlq(topic: str) -> str:
    """The dead-letter topic beside `topic`."""
    return f"{topic}.dlq"


def all_topics_with_dlq() -> list[str]:
    return [t for topic in ALL_TOPICS for t in (topic, dlq(topic))] + [NOTIFICATIONS_DEAD]
