"""What alerting publishes: alerts.v1 (contract §3) and failed notifications."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import EventData

AlertColour = Literal["red", "orange", "yellow", "blue"]


AlertStatus = Literal["open", "acknowledged", "escalated", "disposed", "closed"]


class DisposalSteps(EventData):
    """The justice office's recorded handling of an alert (docs/domain.md §4): 核实 (what was
    verified), 处置 (what was done), 跟踪 (the follow-up)."""

    verification: str = Field(min_length=1, max_length=2000)
    action: str = Field(min_length=1, max_length=2000)
    follow_up: str = Field(min_length=1, max_length=2000)


class SearchOutcome(EventData):
    """The police's answer to a request to find a person (协助查找), kept on the alert."""

    outcome: Literal["found", "not_found", "in_custody"]
    found_at: AwareDatetime | None = None
    note: str = Field(min_length=1, max_length=2000)
    police_unit: str
    answered_at: AwareDatetime


class AlertData(EventData):
    alert_id: uuid.UUID
    person_id: uuid.UUID
    colour: AlertColour
    rule_id: str
    title_zh: str
    title_en: str
    raised_at: AwareDatetime
    ack_due_at: AwareDatetime
    dispose_due_at: AwareDatetime
    status: AlertStatus
    jurisdiction: str
    evidence: list[str]
    # Beyond the contract's minimum: who did the last step and why, where it stands, who is told.
    actor: str | None = None
    reason: str | None = None
    version: int = 1
    level: str | None = None  # escalation level now responsible
    notify: list[str] = []  # who is told of this change
    silenced_until: AwareDatetime | None = None
    reason_code: str | None = None  # the disposal's reason code
    disposal: DisposalSteps | None = None  # 核实 → 处置 → 跟踪, when the disposal recorded its steps
    search: SearchOutcome | None = None  # the police's answer to the search this alert opened (协助查找)
    note: str | None = None
    acknowledged_at: AwareDatetime | None = None
    disposed_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class NotificationFailed(EventData):
    """An alert notification given up after every retry (the notifier's own DLQ)."""

    notification_id: int
    alert_id: uuid.UUID
    version: int
    channel: str
    target: str
    attempts: int
    error: str
