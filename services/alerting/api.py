"""Alerting's internal HTTP API: the command centre's staff steps land here (token-protected).

The caller says who acts (username, role, office); alerting enforces the rules again, so a
justice officer cannot act on another office's alert even through a faulty caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, Field, model_validator

from services.alerting.adapters import store
from services.alerting.adapters.tables import alert_log, alerts, silences
from services.alerting.deps import Parts
from services.alerting.domain import lifecycle
from services.alerting.handlers import AlertNotFound
from shared.authority import ActingStaff
from shared.errors import Conflict, NotFound, Refused
from shared.events import AlertData
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["alerting"], dependencies=[Depends(require_internal)])


class Ack(ActingStaff):
    note: str | None = Field(None, max_length=2000)


class Dispose(ActingStaff):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(min_length=1, max_length=2000)


class Close(ActingStaff):
    note: str | None = Field(None, max_length=2000)


class SilenceIn(ActingStaff):
    person_id: uuid.UUID
    rule_id: str
    ends_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_end(self) -> SilenceIn:
        if (self.ends_at is None) == (self.duration_minutes is None):
            raise ValueError("give exactly one of ends_at and duration_minutes")
        return self


async def _step(
    parts: Parts, alert_id: uuid.UUID, who: ActingStaff, fn: Callable[[AlertData, datetime], AlertData], step: str
) -> dict[str, Any]:
    actor = who.acting(parts.authority)
    now = datetime.now(UTC)

    def guarded(alert: AlertData) -> AlertData:
        # The alert's own office decides, read under the row lock the transition holds.
        action = lifecycle.close_action(alert, parts.policy) if step == "closed" else f"alert.{STEP_ACTIONS[step]}"
        actor.require(action, alert.jurisdiction)
        return fn(alert, now)

    try:
        async with parts.runtime.uow() as uow:
            result = await parts.alerting.transition(uow, alert_id, guarded, step=step)
    except AlertNotFound:
        raise NotFound(f"no alert {alert_id}") from None
    except lifecycle.LifecycleError as exc:
        raise Conflict(str(exc)) from None
    except lifecycle.BadReason as exc:
        raise Refused("reason_code", str(exc)) from None
    return result.model_dump(mode="json")


STEP_ACTIONS = {"acknowledged": "acknowledge", "disposed": "dispose"}


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(alert_id: uuid.UUID, body: Ack, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts,
        alert_id,
        body,
        lambda a, now: lifecycle.acknowledge(a, actor=body.actor, at=now, note=body.note),
        "acknowledged",
    )


@router.post("/alerts/{alert_id}/dispose")
async def dispose(alert_id: uuid.UUID, body: Dispose, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts,
        alert_id,
        body,
        lambda a, now: lifecycle.dispose(
            a, parts.policy, actor=body.actor, at=now, reason_code=body.reason_code, note=body.note
        ),
        "disposed",
    )


@router.post("/alerts/{alert_id}/close")
async def close(alert_id: uuid.UUID, body: Close, parts: Parts) -> dict[str, Any]:
    return await _step(
        parts, alert_id, body, lambda a, now: lifecycle.close(a, actor=body.actor, at=now, note=body.note), "closed"
    )


@router.get("/alerts/{alert_id}")
async def get_alert(alert_id: uuid.UUID, parts: Parts) -> dict:
    async with parts.runtime.engine.connect() as conn:
        row = (
            await conn.execute(sa.select(alerts.c.data, alerts.c.evidence).where(alerts.c.alert_id == alert_id))
        ).first()
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        log = (
            (
                await conn.execute(
                    sa.select(alert_log.c.step, alert_log.c.actor, alert_log.c.reason, alert_log.c.at)
                    .where(alert_log.c.alert_id == alert_id)
                    .order_by(alert_log.c.id)
                )
            )
            .mappings()
            .all()
        )
    return {**row.data, "evidence": row.evidence, "log": [dict(r) for r in log]}


@router.post("/silences", status_code=201)
async def silence(body: SilenceIn, parts: Parts) -> dict:
    """A supervisor silences one rule for one person, for a stated time and reason."""
    body.acting(parts.authority).require("alert.silence")
    if body.rule_id not in parts.policy.rules:
        raise Refused("rule_id", f"unknown rule {body.rule_id!r}")
    now = datetime.now(UTC)
    ends = body.ends_at or now + timedelta(minutes=body.duration_minutes or 0)
    if ends <= now:
        raise Refused("ends_at", "the silence must end in the future")
    row = {
        "id": uuid.uuid4(),
        "person_id": body.person_id,
        "rule_id": body.rule_id,
        "starts_at": now,
        "ends_at": ends,
        "reason": body.reason,
        "created_by": body.actor,
    }
    async with parts.runtime.uow() as uow:
        await uow.conn.execute(sa.insert(silences).values(**row))
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}


@router.get("/silences")
async def list_silences(parts: Parts, person_id: uuid.UUID | None = None) -> list[dict]:
    query = sa.select(silences).where(silences.c.ends_at > sa.func.now()).order_by(silences.c.ends_at)
    if person_id:
        query = query.where(silences.c.person_id == person_id)
    async with parts.runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in r.items()} for r in rows]


@router.get("/quality")
async def quality(parts: Parts) -> dict:
    policy = parts.policy
    unfounded = [code for code, r in policy.disposal_reasons.items() if r.unfounded]
    async with parts.runtime.engine.connect() as conn:
        return {"unfounded_reason_codes": unfounded, "rules": await store.quality(conn, unfounded)}


@router.get("/disposal-reasons")
async def disposal_reasons(parts: Parts) -> dict:
    return {code: r.model_dump() for code, r in parts.policy.disposal_reasons.items()}
