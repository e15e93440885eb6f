"""Alerting's handlers: domain events in, alerts out (on alerts.v1 through the outbox)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.alerting.adapters.tables import alert_log, alerts
from services.alerting.domain.alerts import raise_alert
from services.alerting.domain.policy import AlertPolicy
from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent, new_event
from shared.events import AlertData, ZoneExited
from shared.kafka.consumer import Handler

SOURCE = "/sps/alerting"


@dataclass
class AlertingHandlers:
    policy: AlertPolicy

    def table(self) -> dict[str, Handler]:
        return {"sps.supervision.zone-exited": self.on_zone_exited}

    async def on_zone_exited(self, event: IncomingEvent, data: ZoneExited, uow: UnitOfWork) -> None:
        found = self.policy.rule_for_trigger(event.type)
        if found is None:
            return
        rule_id, rule = found
        alert = raise_alert(rule_id, rule, person_id=data.person_id, cause=str(data.episode_id),
                            jurisdiction=data.jurisdiction, raised_at=data.recorded_at,
                            evidence=[str(data.fix_event_id), str(event.id)])
        await raise_or_update(uow, alert, cause=str(data.episode_id), source_event=event)


async def raise_or_update(uow: UnitOfWork, alert: AlertData, *, cause: str, source_event: IncomingEvent) -> bool:
    """Insert the alert, or add evidence to the one already raised for this cause. True if new."""
    data = alert.model_dump(mode="json")
    stmt = insert(alerts).values(
        alert_id=alert.alert_id, person_id=alert.person_id, rule_id=alert.rule_id, cause=cause,
        colour=alert.colour, status=alert.status, jurisdiction=alert.jurisdiction, raised_at=alert.raised_at,
        ack_due_at=alert.ack_due_at, dispose_due_at=alert.dispose_due_at, evidence=alert.evidence,
        data=data, version=alert.version,
    )
    # Same cause again: keep one alert and merge the evidence, first-seen order (no second "raised").
    merged_evidence = sa.text(
        "(SELECT jsonb_agg(e ORDER BY o) FROM (SELECT e, min(o) AS o FROM jsonb_array_elements("
        "alerts.evidence || excluded.evidence) WITH ORDINALITY AS t(e, o) GROUP BY e) AS u)"
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["alert_id"], set_={"evidence": merged_evidence, "updated_at": sa.func.now()},
    ).returning(sa.literal_column("(xmax = 0)").label("inserted"))
    inserted = bool((await uow.conn.execute(stmt)).scalar())
    if inserted:
        out = new_event("sps.alert.raised", SOURCE, alert, subject=str(alert.person_id), cause=source_event)
        uow.emit(topics.ALERTS, out)
        await uow.conn.execute(sa.insert(alert_log).values(alert_id=alert.alert_id, step="raised", actor="system",
                                                           reason=f"cause {cause}", event_id=out.id))
    return inserted
