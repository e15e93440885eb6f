"""The platform's six services, by name: one list for Kafka principals, service keys and database
roles alike."""

from __future__ import annotations

SERVICES = ("supervision", "handover", "risk", "alerting", "command_centre", "exchange")
