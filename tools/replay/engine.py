"""The rule-replay sandbox (docs/operations.md, "Judging a rule change before it goes live").

The recorded signals of a period are run through alerting's real handlers, once with the live
policy and once with a changed one, each in a scratch database of its own, on a simulated clock:
deadlines fire in time order as the durable timers would, and the staff's real steps on each
alert (acknowledged, disposed, closed, read back from `alerts.v1`) are applied at the times they
happened. What the two runs raise is then set against what really happened, per rule.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services.alerting.adapters.tables import alerts
from services.alerting.domain import lifecycle
from services.alerting.domain.policy import AlertPolicy
from services.alerting.handlers import Alerting, AlertNotFound
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import EVENT_TYPES, AlertData
from shared.timers import Timer, timers

ALERTING_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "alerting" / "adapters" / "migrations"
STEPS = ("sps.alert.acknowledged", "sps.alert.disposed", "sps.alert.closed")


@dataclass(frozen=True)
class Outcome:
    """An alert as it stood at the end of the period."""

    rule_id: str
    colour: str
    status: str
    level: str | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class StaffStep:
    """A step someone really took on an alert, to be taken again on the replayed alert."""

    alert_id: uuid.UUID
    step: str  # acknowledged | disposed | closed
    at: datetime
    actor: str
    reason_code: str | None = None
    note: str | None = None


@dataclass
class Period:
    """What was recorded between two instants: the signals, the staff's steps, the real alerts."""

    signals: list[IncomingEvent] = field(default_factory=list)
    steps: list[StaffStep] = field(default_factory=list)
    actual: dict[uuid.UUID, Outcome] = field(default_factory=dict)


def actual_alerts(events: list[IncomingEvent]) -> tuple[dict[uuid.UUID, Outcome], list[StaffStep]]:
    """The alerts raised in the period, each at its latest version, and the staff's steps on them
    (an alert raised before the period is not the period's, whatever was done to it since)."""
    latest: dict[uuid.UUID, AlertData] = {}
    steps: list[StaffStep] = []
    raised = {e.data.get("alert_id") for e in events if e.type == "sps.alert.raised"}
    events = [e for e in events if e.data.get("alert_id") in raised]  # alerts raised in the period only
    for event in events:
        alert = AlertData.model_validate(event.data)
        if alert.alert_id not in latest or latest[alert.alert_id].version < alert.version:
            latest[alert.alert_id] = alert
        if event.type in STEPS and alert.actor:
            at = alert.acknowledged_at if event.type == "sps.alert.acknowledged" else None
            at = at or (alert.disposed_at if event.type == "sps.alert.disposed" else None)
            at = at or (alert.closed_at if event.type == "sps.alert.closed" else None) or event.time
            steps.append(
                StaffStep(alert.alert_id, event.type.rsplit(".", 1)[1], at, alert.actor, alert.reason_code, alert.note)
            )
    outcomes = {aid: Outcome(a.rule_id, a.colour, a.status, a.level, a.reason_code) for aid, a in latest.items()}
    return outcomes, steps


class Simulation:
    """Alerting's handlers on a scratch database and a simulated clock."""

    def __init__(self, maintenance_url: str, policy: AlertPolicy, name: str) -> None:
        self.policy = policy
        self.database = name
        self.url = make_url(maintenance_url).set(database=name).render_as_string(hide_password=False)
        self.maintenance_url = maintenance_url
        self.now = datetime.min
        self.alerting = Alerting(policy, {}, clock=lambda: self.now)
        self.engine = make_engine(self.url, pool_size=2)

    async def __aenter__(self) -> Simulation:
        await ensure_database(self.maintenance_url, self.database)
        await upgrade_to_head(self.engine, ALERTING_MIGRATIONS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.dispose()
        await drop_database(self.maintenance_url, self.database)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, "replay", service="alerting")

    async def run(
        self, period: Period, until: datetime, progress: Callable[[int, int], None] | None = None
    ) -> dict[uuid.UUID, Outcome]:
        table = self.alerting.table()
        items: list[tuple[datetime, int, Any]] = [(e.time, 0, e) for e in period.signals]
        items += [(s.at, 1, s) for s in period.steps]
        items.sort(key=lambda x: (x[0], x[1]))
        for n, (at, _, item) in enumerate(items, 1):
            await self.fire_timers(upto=at)
            self.now = at
            if isinstance(item, StaffStep):
                await self.take(item)
            elif item.type in table:
                data = EVENT_TYPES[item.type].data.model_validate(item.data)
                async with self.uow() as uow:
                    await table[item.type](item, data, uow)
            if progress:
                progress(n, len(items))
        await self.fire_timers(upto=until)
        return await self.outcomes()

    async def take(self, step: StaffStep) -> None:
        """The real step again, on the replayed alert if there is one and the step fits it."""

        def change(alert: AlertData) -> AlertData | None:
            try:
                if step.step == "acknowledged":
                    return lifecycle.acknowledge(alert, actor=step.actor, at=step.at, note=step.note)
                if step.step == "disposed":
                    return lifecycle.dispose(
                        alert,
                        self.policy,
                        actor=step.actor,
                        at=step.at,
                        reason_code=step.reason_code or "other",
                        note=step.note,
                    )
                return lifecycle.close(alert, actor=step.actor, at=step.at, note=step.note)
            except (lifecycle.LifecycleError, lifecycle.BadReason):
                return None  # the replayed alert is not where the real one was: the step does not apply

        try:
            async with self.uow() as uow:
                await self.alerting.transition(uow, step.alert_id, change, step=step.step)
        except AlertNotFound:
            pass  # not raised under this policy

    async def fire_timers(self, upto: datetime) -> None:
        """Every deadline due by `upto`, in time order, as the timer loop fires them."""
        handlers = self.alerting.timer_handlers()
        while True:
            async with self.uow() as uow:
                row = (
                    await uow.conn.execute(
                        sa.select(timers)
                        .where(timers.c.fired_at.is_(None), timers.c.due_at <= upto)
                        .order_by(timers.c.due_at, timers.c.id)
                        .limit(1)
                    )
                ).first()
                if row is None:
                    return
                self.now = row.due_at
                await handlers[row.kind](Timer(row.key, row.kind, row.due_at, row.payload), uow)
                await uow.conn.execute(sa.update(timers).where(timers.c.id == row.id).values(fired_at=row.due_at))

    async def outcomes(self) -> dict[uuid.UUID, Outcome]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(alerts.c.alert_id, alerts.c.data))
            out = {}
            for alert_id, data in rows:
                a = AlertData.model_validate(data)
                out[alert_id] = Outcome(a.rule_id, a.colour, a.status, a.level, a.reason_code)
            return out


# --- the comparison, pure ----------------------------------------------------------------------------


@dataclass
class RuleRow:
    rule_id: str
    happened: int = 0
    live_replay: int = 0  # raised when replayed under the live policy (the sandbox's fidelity)
    would_raise: int = 0
    not_raised: int = 0  # happened, and would not be raised under the changed policy
    newly_raised: int = 0  # would be raised, and did not happen
    changed: Counter[str] = field(default_factory=Counter)  # e.g. "orange→red", "escalated→acknowledged"
    outcomes_not_raised: Counter[str] = field(default_factory=Counter)  # disposal reasons of those not raised
    outcomes_happened: Counter[str] = field(default_factory=Counter)


def compare(
    actual: dict[uuid.UUID, Outcome], live: dict[uuid.UUID, Outcome], changed: dict[uuid.UUID, Outcome]
) -> list[RuleRow]:
    rules = sorted({o.rule_id for o in (*actual.values(), *live.values(), *changed.values())})
    rows = {r: RuleRow(r) for r in rules}
    for aid, o in actual.items():
        row = rows[o.rule_id]
        row.happened += 1
        row.outcomes_happened[o.reason_code or o.status] += 1
        if aid not in changed:
            row.not_raised += 1
            row.outcomes_not_raised[o.reason_code or o.status] += 1
    for o in live.values():
        rows[o.rule_id].live_replay += 1
    for aid, o in changed.items():
        row = rows[o.rule_id]
        row.would_raise += 1
        before = actual.get(aid)
        if before is None:
            row.newly_raised += 1
            continue
        if before.colour != o.colour:
            row.changed[f"{before.colour}→{o.colour}"] += 1
        if before.status != o.status:
            row.changed[f"{before.status}→{o.status}"] += 1
    return [rows[r] for r in rules]
