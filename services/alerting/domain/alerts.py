"""Alert identity and creation. One alert per (rule, person, cause): the id is derived."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.alerting.domain.policy import RulePolicy
from shared.events import AlertData

_ALERT_NS = uuid.UUID("3c2b7e90-5f1a-4d8e-b6a4-9e0d1c2f3a57")


def alert_id(rule_id: str, person_id: uuid.UUID, cause: str) -> uuid.UUID:
    """Stable: the same rule firing for the same person and cause gives the same id."""
    return uuid.uuid5(_ALERT_NS, f"{rule_id}|{person_id}|{cause}")


def raise_alert(rule_id: str, rule: RulePolicy, *, person_id: uuid.UUID, cause: str, jurisdiction: str,
                raised_at: datetime, evidence: list[str]) -> AlertData:
    """A new alert; deadlines run from when the cause was observed, not from when we saw it."""
    return AlertData(
        alert_id=alert_id(rule_id, person_id, cause), person_id=person_id, colour=rule.colour, rule_id=rule_id,
        title_zh=rule.title_zh, title_en=rule.title_en, raised_at=raised_at,
        ack_due_at=raised_at + rule.ack, dispose_due_at=raised_at + rule.dispose,
        status="open", jurisdiction=jurisdiction, evidence=evidence, actor="system", version=1,
    )
