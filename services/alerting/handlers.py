"""Alerting's handlers: signals in (events), staff steps (commands) and deadlines (timers).

Every change of an alert goes through `_record_change`: the row, the log line (who, when, why), the
`alerts.v1` event through the outbox, the notifications and the timers — in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.alerting.adapters.store import AlertStore
from services.alerting.domain import lifecycle
from services.alerting.domain.alerts import AddEvidence, Raise, Recolour, alert_id, on_signal
from services.alerting.domain.policy import AlertPolicy
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import AlertData, CaseTransferred, SearchOutcome, SearchRequested, SearchResult, Signal
from shared.kafka.consumer import Handler, RejectedRecord
from shared.timers import Timer, TimerHandler

STEP_OF_STATUS = {"acknowledged": "acknowledged", "disposed": "disposed", "closed": "closed"}


class AlertNotFound(LookupError):
    pass


@dataclass
class Alerting:
    policy: AlertPolicy
    # channel name → the targets it serves (None: every target)
    channels: dict[str, list[str] | None]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The adapter the handlers persist through; tests give an in-memory one.
    store: Callable[[UnitOfWork], AlertStore] = field(default=AlertStore)

    # --- events -------------------------------------------------------------------------

    def table(self) -> dict[str, Handler]:
        return {
            **{trigger: self.on_signal for trigger in self.policy.triggers},
            **{withdrawal: self.on_withdrawal for withdrawal in self.policy.withdrawals},
            "sps.ingest.search-result": self.on_search_result,
            "sps.supervision.case-transferred": self.on_case_transferred,
        }

    async def on_case_transferred(self, event: IncomingEvent, moved: CaseTransferred, uow: UnitOfWork) -> None:
        """The person's case moved to another office: the alerts still open go with it (their
        deadlines and history unchanged), each a `sps.alert.transferred` the console follows."""
        for open_id in await self.store(uow).open_alerts(moved.person_id):
            await self.transition(
                uow,
                open_id,
                lambda alert: lifecycle.transferred(alert, office=moved.to_office, actor=moved.transferred_by),
                step="transferred",
                cause=event,
            )

    async def on_signal(self, event: IncomingEvent, signal: Signal, uow: UnitOfWork) -> None:
        horizon = max((r.repeat.within for r in self.policy.rules.values() if r.repeat), default=timedelta(0))
        store = self.store(uow)
        known = await store.known_for(signal.person_id, signal.observed_at - horizon)
        for action in on_signal(self.policy, event.type, signal, known).actions:
            if isinstance(action, Raise):
                await self.raise_alert(uow, action.alert, action.cause, event)
            elif isinstance(action, AddEvidence):
                await store.merge_evidence(action.alert_id, list(action.evidence))
            elif isinstance(action, Recolour):
                await self.transition(uow, action.alert_id, self._recolouring(action), step="escalated", cause=event)

    async def on_withdrawal(self, event: IncomingEvent, signal: Signal, uow: UnitOfWork) -> None:
        """The service judged the cause again and found no breach: the alert it raised for that
        cause closes by itself (its history kept); none raised, or closed already, nothing changes."""
        why = "; ".join(signal.evidence) or event.type
        for rule_id in self.policy.rules_withdrawn_by(event.type):
            try:
                await self.transition(
                    uow,
                    alert_id(rule_id, signal.person_id, signal.cause),
                    lambda alert: lifecycle.withdrawn(alert, at=signal.observed_at, why=why),
                    step="closed",
                    cause=event,
                )
            except AlertNotFound:
                continue

    def _recolouring(self, action: Recolour) -> Callable[[AlertData], AlertData | None]:
        return lambda alert: lifecycle.recolour(alert, self.policy, colour=action.colour, why=action.reason)

    async def raise_alert(
        self, uow: UnitOfWork, alert: AlertData, cause: str, event: IncomingEvent | None = None
    ) -> None:
        store = self.store(uow)
        silence = await store.active_silence(alert.person_id, alert.rule_id, alert.raised_at)
        if silence is not None:
            alert = alert.model_copy(
                update={"silenced_until": silence.ends_at, "notify": [], "reason": f"silenced: {silence.reason}"}
            )
        if not await store.insert_alert(alert, cause):
            await store.merge_evidence(alert.alert_id, alert.evidence)  # raised meanwhile
            return
        await self._record_change(uow, alert, "raised", event)
        if alert.rule_id in self.policy.search_request_on and alert.colour == "red":
            self._ask_police_to_search(uow, alert, event)
        rule = self.policy.rules[alert.rule_id]
        aid = alert.alert_id
        await store.schedule(f"ack:{aid}:1", "alert.ack", alert.ack_due_at, {"alert_id": str(aid)})
        await store.schedule(
            f"dispose:{aid}",
            "alert.dispose",
            alert.raised_at + rule.dispose * self.policy.dispose_escalation_factor,
            {"alert_id": str(aid)},
        )
        if rule.upgrade_after is not None:
            await store.schedule(
                f"upgrade:{aid}", "alert.upgrade", alert.raised_at + rule.upgrade_after, {"alert_id": str(aid)}
            )

    def _ask_police_to_search(self, uow: UnitOfWork, alert: AlertData, cause: IncomingEvent | None) -> None:
        """协助查找: the police are asked to find the person (exchange.outbound.v1); one request per alert."""
        request = SearchRequested(
            request_id=uuid.uuid5(alert.alert_id, "search"),
            alert_id=alert.alert_id,
            person_id=alert.person_id,
            rule_id=alert.rule_id,
            office=alert.jurisdiction,
            title_zh=alert.title_zh,
            raised_at=alert.raised_at,
            evidence=alert.evidence[:20],
        )
        uow.publish(request, subject=alert.person_id, cause=cause, time=self.clock())

    async def on_search_result(self, event: IncomingEvent, result: SearchResult, uow: UnitOfWork) -> None:
        """The police's answer goes on the alert that opened the search (its disposal record)."""
        outcome = SearchOutcome.model_validate(result.model_dump(include=set(SearchOutcome.model_fields)))
        try:
            await self.transition(
                uow,
                result.alert_id,
                lambda alert: lifecycle.search_answered(alert, outcome=outcome),
                step="search-answered",
                cause=event,
            )
        except AlertNotFound:
            raise RejectedRecord(f"no alert {result.alert_id} for search {result.request_id}") from None

    # --- commands and timers --------------------------------------------------------------

    async def transition(
        self,
        uow: UnitOfWork,
        alert_id: uuid.UUID,
        step_fn: Callable[[AlertData], AlertData | None],
        *,
        step: str,
        cause: IncomingEvent | None = None,
    ) -> AlertData:
        """Apply one step under a row lock; publish it. Returns the alert as it now stands."""
        store = self.store(uow)
        current = await store.lock(alert_id)
        if current is None:
            raise AlertNotFound(f"no alert {alert_id}")
        nxt = step_fn(current)
        if nxt is None:
            return current
        await store.save(nxt)
        await self._record_change(uow, nxt, step, cause)
        aid = str(alert_id)
        if nxt.status in ("acknowledged", "disposed", "closed"):
            await store.cancel_prefix(f"ack:{aid}:")
        if nxt.status in ("disposed", "closed"):
            await store.cancel_prefix(f"dispose:{aid}")
            await store.cancel_prefix(f"upgrade:{aid}")
        if step == "escalated" and nxt.status == "escalated" and nxt.ack_due_at != current.ack_due_at:
            await store.schedule(f"ack:{aid}:{nxt.version}", "alert.ack", nxt.ack_due_at, {"alert_id": aid})
        return nxt

    def timer_handlers(self) -> dict[str, TimerHandler]:
        return {
            "alert.ack": self._on_ack_due,
            "alert.dispose": self._on_dispose_due,
            "alert.upgrade": self._on_upgrade_due,
        }

    async def _on_ack_due(self, timer: Timer, uow: UnitOfWork) -> None:
        def step(a: AlertData) -> AlertData | None:
            if a.status not in ("open", "escalated"):
                return None
            return lifecycle.escalate(a, self.policy, at=timer.due_at, why="not acknowledged in time")

        await self._timer_step(timer, uow, step)

    async def _on_dispose_due(self, timer: Timer, uow: UnitOfWork) -> None:
        await self._timer_step(
            timer, uow, lambda a: lifecycle.escalate(a, self.policy, at=timer.due_at, why="not disposed in time")
        )

    async def _on_upgrade_due(self, timer: Timer, uow: UnitOfWork) -> None:
        await self._timer_step(
            timer,
            uow,
            lambda a: lifecycle.recolour(
                a, self.policy, colour=self.policy.colour_up(a.colour), why="still unresolved"
            ),
        )

    async def _timer_step(self, timer: Timer, uow: UnitOfWork, fn) -> None:
        try:
            await self.transition(uow, uuid.UUID(timer.payload["alert_id"]), fn, step="escalated")
        except AlertNotFound:
            pass  # nothing left to escalate

    # --- the one place an alert change is published -----------------------------------------

    async def _record_change(self, uow: UnitOfWork, alert: AlertData, step: str, cause: IncomingEvent | None) -> None:
        out = uow.publish(alert, type=f"sps.alert.{step}", subject=alert.person_id, cause=cause, time=self.clock())
        store = self.store(uow)
        await store.log_step(alert, step, out.id)
        if alert.notify and self.channels:
            await store.queue_notifications(alert, step, self.channels)
