"""Alerting's HTTP API (internal): the alerts as the alerting service holds them."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import APIRouter, Request

from services.alerting.adapters.tables import alert_log, alerts
from shared.http import ProblemError

router = APIRouter(prefix="/internal/v1", tags=["alerting"])


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
