"""Alerting's persistence: alerts, their log, silences, notifications.

Handlers and commands write only through `AlertStore`, so a test can give them a fake
(tests/fakes/alert_store.py); the read-only queries of the API stay functions over a connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.alerting.adapters.tables import alert_log, alerts, notifications, silences
from services.alerting.domain.alerts import Known
from shared.db.uow import UnitOfWork
from shared.events import AlertData
from shared.timers import cancel_prefix as cancel_timers
from shared.timers import schedule as schedule_timer

_MERGED_EVIDENCE = sa.text(
    "(SELECT jsonb_agg(e ORDER BY o) FROM (SELECT e, min(o) AS o FROM jsonb_array_elements("
    "alerts.evidence || CAST(:extra AS jsonb)) WITH ORDINALITY AS t(e, o) GROUP BY e) AS u)"
)


@dataclass(frozen=True)
class Silence:
    """A supervisor's silence of one rule for one person (docs/domain.md §4)."""

    ends_at: datetime
    reason: str


class AlertStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    async def known_for(self, person_id: uuid.UUID, since: datetime) -> list[Known]:
        """The person's alerts that still matter: every open one, and recent closed ones (repeat rules)."""
        rows = await self.conn.execute(
            sa.select(
                alerts.c.alert_id,
                alerts.c.rule_id,
                alerts.c.cause,
                alerts.c.colour,
                alerts.c.status,
                alerts.c.raised_at,
            ).where(alerts.c.person_id == person_id, sa.or_(alerts.c.status != "closed", alerts.c.raised_at >= since))
        )
        return [Known(r.alert_id, r.rule_id, r.cause, r.colour, r.status, r.raised_at) for r in rows]

    async def open_alerts(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        """The person's alerts not yet closed."""
        query = sa.select(alerts.c.alert_id).where(alerts.c.person_id == person_id, alerts.c.status != "closed")
        return list((await self.conn.execute(query)).scalars())

    async def insert_alert(self, alert: AlertData, cause: str) -> bool:
        """True if inserted; False if an alert with this id already exists."""
        result = await self.conn.execute(
            insert(alerts)
            .values(
                alert_id=alert.alert_id,
                person_id=alert.person_id,
                rule_id=alert.rule_id,
                cause=cause,
                colour=alert.colour,
                status=alert.status,
                jurisdiction=alert.jurisdiction,
                raised_at=alert.raised_at,
                ack_due_at=alert.ack_due_at,
                dispose_due_at=alert.dispose_due_at,
                evidence=alert.evidence,
                data=alert.model_dump(mode="json"),
                version=alert.version,
            )
            .on_conflict_do_nothing(index_elements=["alert_id"])
            .returning(alerts.c.alert_id)
        )
        return result.scalar() is not None

    async def merge_evidence(self, alert_id: uuid.UUID, evidence: list[str]) -> None:
        await self.conn.execute(
            sa.update(alerts)
            .where(alerts.c.alert_id == alert_id)
            .values(
                evidence=_MERGED_EVIDENCE.bindparams(extra=orjson.dumps(evidence).decode()), updated_at=sa.func.now()
            )
        )

    async def lock(self, alert_id: uuid.UUID) -> AlertData | None:
        row = (
            await self.conn.execute(
                sa.select(alerts.c.data, alerts.c.evidence).where(alerts.c.alert_id == alert_id).with_for_update()
            )
        ).first()
        if row is None:
            return None
        return AlertData.model_validate({**row.data, "evidence": row.evidence})

    async def save(self, alert: AlertData) -> None:
        await self.conn.execute(
            sa.update(alerts)
            .where(alerts.c.alert_id == alert.alert_id)
            .values(
                colour=alert.colour,
                status=alert.status,
                jurisdiction=alert.jurisdiction,
                ack_due_at=alert.ack_due_at,
                dispose_due_at=alert.dispose_due_at,
                data=alert.model_dump(mode="json"),
                version=alert.version,
                updated_at=sa.func.now(),
            )
        )

    async def log_step(self, alert: AlertData, step: str, event_id: uuid.UUID | None) -> None:
        await self.conn.execute(
            sa.insert(alert_log).values(
                alert_id=alert.alert_id,
                step=step,
                actor=alert.actor or "system",
                reason=self._why(alert),
                event_id=event_id,
            )
        )

    @staticmethod
    def _why(alert: AlertData) -> str | None:
        parts = [p for p in (alert.reason, alert.reason_code, alert.note) if p]
        return " · ".join(parts) or None

    async def active_silence(self, person_id: uuid.UUID, rule_id: str, at: datetime) -> Silence | None:
        row = (
            await self.conn.execute(
                sa.select(silences.c.id, silences.c.ends_at, silences.c.reason)
                .where(
                    silences.c.person_id == person_id,
                    silences.c.rule_id == rule_id,
                    silences.c.starts_at <= at,
                    silences.c.ends_at > at,
                )
                .order_by(silences.c.ends_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else Silence(row.ends_at, row.reason)

    async def queue_notifications(self, alert: AlertData, step: str, channels: dict[str, list[str] | None]) -> int:
        """A row per (channel, target) the channel serves; `None` means the channel serves every target."""
        rows = [
            {
                "alert_id": alert.alert_id,
                "version": alert.version,
                "channel": name,
                "target": target,
                "payload": {"step": step, "target": target, "alert": alert.model_dump(mode="json")},
            }
            for name, serves in channels.items()
            for target in alert.notify
            if serves is None or target in serves
        ]
        if rows:
            await self.conn.execute(insert(notifications).on_conflict_do_nothing(), rows)
        return len(rows)

    async def add_silence(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(silences).values(**values))

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        await schedule_timer(self.uow, key, kind, due, payload)

    async def cancel_prefix(self, prefix: str) -> None:
        await cancel_timers(self.uow, prefix)


# --- read-only queries for the API --------------------------------------------------------------


async def quality(conn: AsyncConnection, unfounded_codes: list[str]) -> list[dict]:
    """Per rule: how many raised and disposed, the share disposed as unfounded, time to ack and to dispose."""
    ack_s = sa.func.extract(
        "epoch", sa.cast(alerts.c.data["acknowledged_at"].astext, sa.DateTime(timezone=True)) - alerts.c.raised_at
    )
    dis_s = sa.func.extract(
        "epoch", sa.cast(alerts.c.data["disposed_at"].astext, sa.DateTime(timezone=True)) - alerts.c.raised_at
    )
    disposed = sa.func.count().filter(alerts.c.data["disposed_at"].astext.isnot(None))
    unfounded = sa.func.count().filter(alerts.c.data["reason_code"].astext.in_(unfounded_codes))
    rows = await conn.execute(
        sa.select(
            alerts.c.rule_id,
            sa.func.count().label("raised"),
            disposed.label("disposed"),
            unfounded.label("unfounded"),
            sa.func.percentile_cont(0.5).within_group(ack_s).label("median_ack_s"),
            sa.func.percentile_cont(0.5).within_group(dis_s).label("median_dispose_s"),
        )
        .group_by(alerts.c.rule_id)
        .order_by(alerts.c.rule_id)
    )
    return [
        {
            "rule_id": r.rule_id,
            "raised": r.raised,
            "disposed": r.disposed,
            "unfounded": r.unfounded,
            "unfounded_share": round(r.unfounded / r.disposed, 3) if r.disposed else None,
            "median_ack_s": r.median_ack_s,
            "median_dispose_s": r.median_dispose_s,
        }
        for r in rows
    ]


async def alert_with_log(conn: AsyncConnection, alert_id: uuid.UUID) -> dict[str, Any] | None:
    """An alert as it stands, with its evidence and every step (who, when, why)."""
    row = (await conn.execute(sa.select(alerts.c.data, alerts.c.evidence).where(alerts.c.alert_id == alert_id))).first()
    if row is None:
        return None
    log = (
        await conn.execute(
            sa.select(alert_log.c.step, alert_log.c.actor, alert_log.c.reason, alert_log.c.at)
            .where(alert_log.c.alert_id == alert_id)
            .order_by(alert_log.c.id)
        )
    ).mappings()
    return {**row.data, "evidence": row.evidence, "log": [dict(r) for r in log]}


async def silences_now(conn: AsyncConnection, person_id: uuid.UUID | None) -> list[dict[str, Any]]:
    query = sa.select(silences).where(silences.c.ends_at > sa.func.now()).order_by(silences.c.ends_at)
    if person_id:
        query = query.where(silences.c.person_id == person_id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]
