"""Delivers queued notifications with retries and backoff; gives up to the DLQ; watches itself.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas share the work. A notification that
still fails after `max_attempts` is marked dead and published on `alerts.notifications.dlq`.
The watchdog raises a `notification_silent` alert when deliveries stall — a quiet notification
pipeline must not look like a quiet county.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from services.alerting.adapters.channels import Channel, DeliveryError
from services.alerting.adapters.tables import alerts, notifications
from services.alerting.domain.alerts import new_alert
from services.alerting.domain.policy import AlertPolicy
from shared.db.uow import UnitOfWork
from shared.events import NotificationFailed
from shared.logging import get_logger

log = get_logger(__name__)
SYSTEM_PERSON = uuid.UUID(int=0)  # alerts about the platform itself belong to no person
COUNTY = "county"


class Notifier:
    def __init__(
        self, uow: Callable[[], UnitOfWork], channels: list[Channel], policy: AlertPolicy, poll_interval_s: float = 1.0
    ) -> None:
        self._uow = uow
        self._channels = {c.name: c for c in channels}
        self._policy = policy
        self._poll = poll_interval_s
        self.last_tick: datetime | None = None
        self.delivered = 0

    async def run(self) -> None:
        while True:
            try:
                busy = await self.deliver_due()
                self.last_tick = datetime.now(UTC)
                if not busy:
                    await asyncio.sleep(self._poll)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notifier interrupted", error=repr(exc))
                await asyncio.sleep(2.0)

    async def deliver_due(self, batch: int = 20) -> int:
        async with self._uow() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(notifications)
                    .where(notifications.c.status == "pending", notifications.c.next_attempt_at <= sa.func.now())
                    .order_by(notifications.c.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await self._attempt(uow, row)
        return len(rows)

    async def _attempt(self, uow: UnitOfWork, row) -> None:
        channel = self._channels.get(row.channel)
        try:
            if channel is None:
                raise DeliveryError(f"channel {row.channel!r} is not configured any more")
            await channel.deliver(row.id, row.payload)
        except DeliveryError as exc:
            attempts = row.attempts + 1
            if attempts >= self._policy.notifications.max_attempts:
                await uow.conn.execute(
                    sa.update(notifications)
                    .where(notifications.c.id == row.id)
                    .values(status="dead", attempts=attempts, last_error=str(exc)[:2000])
                )
                dead = NotificationFailed(
                    notification_id=row.id,
                    alert_id=row.alert_id,
                    version=row.version,
                    channel=row.channel,
                    target=row.target,
                    attempts=attempts,
                    error=str(exc),
                )
                uow.publish(dead, subject=row.alert_id)
                log.error("notification given up", notification=row.id, error=str(exc))
            else:
                delay = min(300, 2**attempts)
                await uow.conn.execute(
                    sa.update(notifications)
                    .where(notifications.c.id == row.id)
                    .values(
                        attempts=attempts,
                        last_error=str(exc)[:2000],
                        next_attempt_at=sa.func.now() + sa.func.make_interval(0, 0, 0, 0, 0, 0, delay),
                    )
                )
            return
        await uow.conn.execute(
            sa.update(notifications)
            .where(notifications.c.id == row.id)
            .values(status="sent", attempts=row.attempts + 1, sent_at=sa.func.now())
        )
        self.delivered += 1


class Watchdog:
    """Raises `notification_silent` when notifications wait too long or the notifier stopped."""

    def __init__(
        self, alerting, notifier: Notifier, uow: Callable[[], UnitOfWork], policy: AlertPolicy, interval_s: float = 30.0
    ) -> None:
        self._alerting, self._notifier, self._uow = alerting, notifier, uow
        self._policy, self._interval = policy, interval_s

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("watchdog check failed", error=repr(exc))
            await asyncio.sleep(self._interval)

    async def check(self) -> bool:
        """True if the pipeline is silent (and the alert was raised or is still open)."""
        silent_after = self._policy.notifications.silent_after
        now = datetime.now(UTC)
        async with self._uow() as uow:
            oldest = await uow.conn.scalar(
                sa.select(sa.func.min(notifications.c.created_at)).where(notifications.c.status == "pending")
            )
            stalled = oldest is not None and now - oldest > silent_after
            stopped = self._notifier.last_tick is not None and now - self._notifier.last_tick > silent_after
            if not (stalled or stopped):
                return False
            already = await uow.conn.scalar(
                sa.select(sa.func.count())
                .select_from(alerts)
                .where(alerts.c.rule_id == "notification_silent", alerts.c.status != "closed")
            )
            if already:
                return True
            rule = self._policy.rules["notification_silent"]
            cause = f"silent:{now.isoformat(timespec='minutes')}"
            alert = new_alert(
                "notification_silent",
                rule,
                self._policy,
                person_id=SYSTEM_PERSON,
                cause=cause,
                jurisdiction=COUNTY,
                raised_at=now,
                evidence=[f"oldest pending notification {oldest}" if stalled else "notifier stopped"],
            )
            alert = alert.model_copy(update={"notify": []})  # it cannot rely on the pipeline it reports on
            await self._alerting.raise_alert(uow, alert, cause)
            log.error("notification pipeline silent", stalled=stalled, stopped=stopped)
        return True
