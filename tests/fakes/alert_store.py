"""An in-memory stand-in for `services.alerting.adapters.store.AlertStore`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.alerting.adapters.store import Silence
from services.alerting.domain.alerts import Known
from shared.events import AlertData


class FakeAlertStore:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.alerts: dict[uuid.UUID, tuple[AlertData, str]] = {}
        self.log: list[tuple[uuid.UUID, str, str, uuid.UUID | None]] = []
        self.silences: list[dict[str, Any]] = []
        self.notifications: list[tuple[str, str, int]] = []
        self.timers: dict[str, tuple[str, datetime, dict[str, Any]]] = {}

    async def open_alerts(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        return [a.alert_id for a, _ in self.alerts.values() if a.person_id == person_id and a.status != "closed"]

    async def known_for(self, person_id: uuid.UUID, since: datetime) -> list[Known]:
        return [
            Known(a.alert_id, a.rule_id, cause, a.colour, a.status, a.raised_at)
            for a, cause in self.alerts.values()
            if a.person_id == person_id and (a.status != "closed" or a.raised_at >= since)
        ]

    async def insert_alert(self, alert: AlertData, cause: str) -> bool:
        if alert.alert_id in self.alerts:
            return False
        self.alerts[alert.alert_id] = (alert, cause)
        return True

    async def merge_evidence(self, alert_id: uuid.UUID, evidence: list[str]) -> None:
        alert, cause = self.alerts[alert_id]
        merged = list(dict.fromkeys([*alert.evidence, *evidence]))
        self.alerts[alert_id] = (alert.model_copy(update={"evidence": merged}), cause)

    async def lock(self, alert_id: uuid.UUID) -> AlertData | None:
        found = self.alerts.get(alert_id)
        return None if found is None else found[0]

    async def save(self, alert: AlertData) -> None:
        self.alerts[alert.alert_id] = (alert, self.alerts[alert.alert_id][1])

    async def log_step(self, alert: AlertData, step: str, event_id: uuid.UUID | None) -> None:
        self.log.append((alert.alert_id, step, alert.actor or "system", event_id))

    async def active_silence(self, person_id: uuid.UUID, rule_id: str, at: datetime) -> Silence | None:
        live = [
            s
            for s in self.silences
            if s["person_id"] == person_id and s["rule_id"] == rule_id and s["starts_at"] <= at < s["ends_at"]
        ]
        if not live:
            return None
        last = max(live, key=lambda s: s["ends_at"])
        return Silence(last["ends_at"], last["reason"])

    async def queue_notifications(self, alert: AlertData, step: str, channels: dict[str, list[str] | None]) -> int:
        rows = [
            (name, target, alert.version)
            for name, serves in channels.items()
            for target in alert.notify
            if serves is None or target in serves
        ]
        self.notifications.extend(rows)
        return len(rows)

    async def add_silence(self, **values: Any) -> None:
        self.silences.append(values)

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        self.timers.setdefault(key, (kind, due, payload))

    async def cancel_prefix(self, prefix: str) -> None:
        for key in [k for k in self.timers if k.startswith(prefix)]:
            del self.timers[key]
