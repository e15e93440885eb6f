"""The command centre's projection of alerts.v1: every step of an alert's life the registry has
(ALERT_STEPS), kept for the board through the projection's store (adapters/projection.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from services.command_centre.adapters.projection import AlertProjection
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import ALERT_STEPS, AlertData
from shared.kafka.consumer import Handler


class Projection(Protocol):
    async def keep(self, event_type: str, alert: AlertData) -> None: ...


def handlers(projection: Callable[[UnitOfWork], Projection] = AlertProjection) -> dict[str, Handler]:
    """The handler table; tests give a fake projection."""

    async def on_alert(event: IncomingEvent, alert: AlertData, uow: UnitOfWork) -> None:
        await projection(uow).keep(event.type, alert)

    return {f"sps.alert.{step}": on_alert for step in ALERT_STEPS}


HANDLERS: dict[str, Handler] = handlers()
