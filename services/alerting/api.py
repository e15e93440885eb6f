"""Alerting's internal HTTP API: the command centre's staff steps land here (token-protected).

The caller says who acts (username, role, office); alerting enforces the rules again, so a
justice officer cannot act on another office's alert even through a faulty caller.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, Field, model_validator

from services.alerting.adapters import store
from services.alerting.deps import Parts
from shared.authority import ActingStaff
from shared.db.rows import plain
from shared.deps import StaffActor
from shared.errors import NotFound
from shared.events import DisposalSteps
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["alerting"], dependencies=[Depends(require_internal)])


class Ack(ActingStaff):
    note: str | None = Field(None, max_length=2000)


class Dispose(ActingStaff):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(min_length=1, max_length=2000)
    steps: DisposalSteps | None = None  # 核实 → 处置 → 跟踪 (the console records all three)


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


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(actor: StaffActor, alert_id: uuid.UUID, body: Ack, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        alert = await parts.commands.acknowledge(uow, actor, alert_id, body.note)
    return alert.model_dump(mode="json")


@router.post("/alerts/{alert_id}/dispose")
async def dispose(actor: StaffActor, alert_id: uuid.UUID, body: Dispose, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        alert = await parts.commands.dispose(uow, actor, alert_id, body.reason_code, body.note, body.steps)
    return alert.model_dump(mode="json")


@router.post("/alerts/{alert_id}/close")
async def close(actor: StaffActor, alert_id: uuid.UUID, body: Close, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        alert = await parts.commands.close(uow, actor, alert_id, body.note)
    return alert.model_dump(mode="json")


@router.get("/alerts/{alert_id}")
async def get_alert(alert_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.engine.connect() as conn:
        found = await store.alert_with_log(conn, alert_id)
    if found is None:
        raise NotFound(f"no alert {alert_id}")
    return found


@router.post("/silences", status_code=201)
async def silence(actor: StaffActor, body: SilenceIn, parts: Parts) -> dict[str, Any]:
    """A supervisor silences one rule for one person, for a stated time and reason."""
    duration = timedelta(minutes=body.duration_minutes) if body.duration_minutes else None
    async with parts.runtime.uow() as uow:
        row = await parts.commands.silence(
            uow,
            actor,
            person_id=body.person_id,
            rule_id=body.rule_id,
            ends_at=body.ends_at,
            duration=duration,
            reason=body.reason,
        )
    return plain(row)


@router.get("/silences")
async def list_silences(parts: Parts, person_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    async with parts.runtime.engine.connect() as conn:
        return [plain(r) for r in await store.silences_now(conn, person_id)]


@router.get("/quality")
async def quality(parts: Parts) -> dict[str, Any]:
    unfounded = [code for code, r in parts.policy.disposal_reasons.items() if r.unfounded]
    async with parts.runtime.engine.connect() as conn:
        return {"unfounded_reason_codes": unfounded, "rules": await store.quality(conn, unfounded)}


@router.get("/disposal-reasons")
async def disposal_reasons(parts: Parts) -> dict[str, Any]:
    return {code: r.model_dump() for code, r in parts.policy.disposal_reasons.items()}
