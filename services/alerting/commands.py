"""Alerting's staff commands: acknowledge, dispose of, close and silence (docs/domain.md §4).

Each asks the authority model against the alert's own office, read under the row lock the step
holds, lets `domain/lifecycle.py` decide the next state, and records and publishes it through
the handlers' one path for alert changes. Refusals are typed errors (`shared.errors`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.alerting.domain import lifecycle
from services.alerting.domain.policy import AlertPolicy
from services.alerting.handlers import Alerting, AlertNotFound
from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused
from shared.events import AlertData, DisposalSteps

Step = Callable[[AlertData, datetime], AlertData]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AlertCommands:
    alerting: Alerting
    policy: AlertPolicy
    clock: Callable[[], datetime] = _now

    async def _step(self, uow: UnitOfWork, actor: Actor, alert_id: uuid.UUID, step: str, change: Step) -> AlertData:
        now = self.clock()

        def guarded(alert: AlertData) -> AlertData:
            action = lifecycle.close_action(alert, self.policy) if step == "closed" else _ACTIONS[step]
            actor.require(action, alert.jurisdiction)
            return change(alert, now)

        try:
            return await self.alerting.transition(uow, alert_id, guarded, step=step)
        except AlertNotFound:
            raise NotFound(f"no alert {alert_id}") from None
        except lifecycle.LifecycleError as exc:
            raise Conflict(str(exc)) from None
        except lifecycle.BadReason as exc:
            raise Refused("reason_code", str(exc)) from None

    async def acknowledge(self, uow: UnitOfWork, actor: Actor, alert_id: uuid.UUID, note: str | None) -> AlertData:
        return await self._step(
            uow,
            actor,
            alert_id,
            "acknowledged",
            lambda a, now: lifecycle.acknowledge(a, actor=actor.name, at=now, note=note),
        )

    async def dispose(
        self,
        uow: UnitOfWork,
        actor: Actor,
        alert_id: uuid.UUID,
        reason_code: str,
        note: str,
        steps: DisposalSteps | None = None,
    ) -> AlertData:
        return await self._step(
            uow,
            actor,
            alert_id,
            "disposed",
            lambda a, now: lifecycle.dispose(
                a, self.policy, actor=actor.name, at=now, reason_code=reason_code, note=note, steps=steps
            ),
        )

    async def close(self, uow: UnitOfWork, actor: Actor, alert_id: uuid.UUID, note: str | None) -> AlertData:
        return await self._step(
            uow, actor, alert_id, "closed", lambda a, now: lifecycle.close(a, actor=actor.name, at=now, note=note)
        )

    async def silence(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        person_id: uuid.UUID,
        rule_id: str,
        ends_at: datetime | None,
        duration: timedelta | None,
        reason: str,
    ) -> dict[str, Any]:
        """A supervisor silences one rule for one person, for a stated time and reason."""
        actor.require("alert.silence")
        if rule_id not in self.policy.rules:
            raise Refused("rule_id", f"unknown rule {rule_id!r}")
        now = self.clock()
        ends = ends_at or now + (duration or timedelta(0))
        if ends <= now:
            raise Refused("ends_at", "the silence must end in the future")
        row = {
            "id": uuid.uuid4(),
            "person_id": person_id,
            "rule_id": rule_id,
            "starts_at": now,
            "ends_at": ends,
            "reason": reason,
            "created_by": actor.name,
        }
        await self.alerting.store(uow).add_silence(**row)
        return row


_ACTIONS = {"acknowledged": "alert.acknowledge", "disposed": "alert.dispose"}
