"""An in-memory stand-in for `services.command_centre.adapters.projection.AlertProjection`."""

from __future__ import annotations

import uuid
from typing import Any

from shared.events import AlertData


class FakeAlertProjection:
    """Keeps what the real one keeps: each alert's newest version, and every step in order."""

    kept: dict[uuid.UUID, AlertData] = {}
    changes: list[tuple[str, uuid.UUID]] = []

    def __init__(self, uow: Any) -> None:
        self.uow = uow

    @classmethod
    def reset(cls) -> None:
        cls.kept, cls.changes = {}, []

    async def keep(self, event_type: str, alert: AlertData) -> None:
        held = self.kept.get(alert.alert_id)
        if held is None or held.version <= alert.version:
            self.kept[alert.alert_id] = alert
        self.changes.append((event_type, alert.alert_id))
