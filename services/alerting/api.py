"""Alerting's internal HTTP API: the command centre's staff steps land here (token-protected).

The caller says who acts (username, role, office); alerting enforces the rules again, so a
justice officer cannot act on another office's alert even through a faulty caller.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from services.alerting.adapters import store
from services.alerting.adapters.tables import alert_log, alerts, silences
from services.alerting.domain import lifecycle
from services.alerting.handlers import AlertNotFound
from shared.events import AlertData
from shared.http import ProblemError
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["alerting"], dependencies=[Depends(require_internal)])
Role = Literal["duty_officer", "supervisor", "justice_officer", "bureau_head"]


class Actor(BaseModel):
    actor: str = Field(min_length=1, max_length=64)
    role: Role
    jurisdiction: str  # "county" for county-level staff


class Ack(Actor):
    note: str | None = Field(None, max_length=2000)


class Dispose(Actor):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(min_length=1, max_length=2000)


class Close(Actor):
    note: str | None = Field(None, max_length=2000)


class SilenceIn(Actor):
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


def _check_office(alert: AlertData, who: Actor) -> None:
    if who.jurisdiction != "county" and alert.jurisdiction != who.jurisdiction:
        raise ProblemError(403, "Forbidden", f"this alert belongs to {alert.jurisdiction}")


async def _step(request: Request, alert_id: uuid.UUID, who: Actor, fn, step: str) -> dict:
    app = request.app
    now = datetime.now(UTC)

    def guarded(alert: AlertData):
        _check_office(alert, who)
        return fn(alert, now)

    try:
        async with app.state.runtime.uow() as uow:
            result = await app.state.alerting.transition(uow, alert_id, guarded, step=step)
    except AlertNotFound:
        raise ProblemError(404, "Not Found", f"no alert {alert_id}") from None
    except lifecycle.LifecycleError as exc:
        raise ProblemError(409, "Conflict", str(exc)) from None
    except lifecycle.NotAllowed as exc:
        raise ProblemError(403, "Forbidden", str(exc)) from None
    except lifecycle.BadReason as exc:
        raise ProblemError(422, "Request is not valid", str(exc),
                           errors=[{"field": "reason_code", "message": str(exc)}]) from None
    return result.model_dump(mode="json")


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(alert_id: uuid.UUID, body: Ack, request: Request) -> dict:
    return await _step(request, alert_id, body, lambda a, now: lifecycle.acknowledge(
        a, actor=body.actor, at=now, note=body.note), "acknowledged")


@router.post("/alerts/{alert_id}/dispose")
async def dispose(alert_id: uuid.UUID, body: Dispose, request: Request) -> dict:
    policy = request.app.state.policy
    return await _step(request, alert_id, body, lambda a, now: lifecycle.dispose(
        a, policy, actor=body.actor, at=now, reason_code=body.reason_code, note=body.note), "disposed")


@router.post("/alerts/{alert_id}/close")
async def close(alert_id: uuid.UUID, body: Close, request: Request) -> dict:
    policy = request.app.state.policy
    return await _step(request, alert_id, body, lambda a, now: lifecycle.close(
        a, policy, actor=body.actor, role=body.role, at=now, note=body.note), "closed")


@router.get("/alerts/{alert_id}")
async def get_alert(alert_id: uuid.UUID, request: Request) -> dict:
    async with request.app.state.runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(alerts.c.data, alerts.c.evidence)
                                  .where(alerts.c.alert_id == alert_id))).first()
        if row is None:
            raise ProblemError(404, "Not Found", f"no alert {alert_id}")
        log = (await conn.execute(sa.select(alert_log.c.step, alert_log.c.actor, alert_log.c.reason, alert_log.c.at)
                                  .where(alert_log.c.alert_id == alert_id).order_by(alert_log.c.id))).mappings().all()
    return {**row.data, "evidence": row.evidence, "log": [dict(r) for r in log]}


@router.post("/silences", status_code=201)
async def silence(body: SilenceIn, request: Request) -> dict:
    """A supervisor silences one rule for one person, for a stated time and reason."""
    if body.role not in lifecycle.SUPERVISORS:
        raise ProblemError(403, "Forbidden", "only a supervisor may silence a rule")
    if body.rule_id not in request.app.state.policy.rules:
        raise ProblemError(422, "Request is not valid", f"unknown rule {body.rule_id!r}",
                           errors=[{"field": "rule_id", "message": "unknown rule"}])
    now = datetime.now(UTC)
    ends = body.ends_at or now + timedelta(minutes=body.duration_minutes or 0)
    if ends <= now:
        raise ProblemError(422, "Request is not valid", "the silence must end in the future",
                           errors=[{"field": "ends_at", "message": "in the past"}])
    row = {"id": uuid.uuid4(), "person_id": body.person_id, "rule_id": body.rule_id, "starts_at": now,
           "ends_at": ends, "reason": body.reason, "created_by": body.actor}
    async with request.app.state.runtime.uow() as uow:
        await uow.conn.execute(sa.insert(silences).values(**row))
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}


@router.get("/silences")
async def list_silences(request: Request, person_id: uuid.UUID | None = None) -> list[dict]:
    query = sa.select(silences).where(silences.c.ends_at > sa.func.now()).order_by(silences.c.ends_at)
    if person_id:
        query = query.where(silences.c.person_id == person_id)
    async with request.app.state.runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in r.items()} for r in rows]


@router.get("/quality")
async def quality(request: Request) -> dict:
    policy = request.app.state.policy
    unfounded = [code for code, r in policy.disposal_reasons.items() if r.unfounded]
    async with request.app.state.runtime.engine.connect() as conn:
        return {"unfounded_reason_codes": unfounded, "rules": await store.quality(conn, unfounded)}


@router.get("/disposal-reasons")
async def disposal_reasons(request: Request) -> dict:
    return {code: r.model_dump() for code, r in request.app.state.policy.disposal_reasons.items()}
