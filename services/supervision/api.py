"""Supervision's HTTP API (internal: the command centre's staff API reads through it)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import APIRouter, Request

from services.supervision.adapters.tables import cases, timeline
from shared.http import ProblemError

router = APIRouter(prefix="/internal/v1", tags=["supervision"])


@router.get("/persons/{person_id}/cases")
async def person_cases(person_id: uuid.UUID, request: Request) -> list[dict]:
    engine = request.app.state.runtime.engine
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(cases).where(cases.c.person_id == person_id)
                                   .order_by(cases.c.opened_at))).mappings().all()
    if not rows:
        raise ProblemError(404, "Not Found", f"no case for person {person_id}")
    return [_jsonable(r) for r in rows]


@router.get("/persons/{person_id}/timeline")
async def person_timeline(person_id: uuid.UUID, request: Request) -> list[dict]:
    engine = request.app.state.runtime.engine
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(timeline).where(timeline.c.person_id == person_id)
                                   .order_by(timeline.c.occurred_at, timeline.c.id))).mappings().all()
    return [_jsonable(r) for r in rows]


def _jsonable(row) -> dict:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dict(row).items()}
