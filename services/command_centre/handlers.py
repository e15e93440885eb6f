"""The command centre's projection of alerts.v1."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.command_centre.adapters.feed import CHANNEL
from services.command_centre.adapters.tables import alert_changes, alert_view
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import ALERT_STEPS, AlertData
from shared.kafka.consumer import Handler

_CHANGES_LOCK = 0x5350_0C0C  # serialises change-log writers so seq order is commit order


async def on_alert(event: IncomingEvent, alert: AlertData, uow: UnitOfWork) -> None:
    data = alert.model_dump(mode="json")
    values = dict(
        alert_id=alert.alert_id,
        person_id=alert.person_id,
        colour=alert.colour,
        status=alert.status,
        rule_id=alert.rule_id,
        jurisdiction=alert.jurisdiction,
        raised_at=alert.raised_at,
        version=alert.version,
        data=data,
    )
    stmt = insert(alert_view).values(**values)
    # An older version arriving late never overwrites a newer one.
    stmt = stmt.on_conflict_do_update(
        index_elements=["alert_id"],
        set_={k: stmt.excluded[k] for k in values if k != "alert_id"},
        where=alert_view.c.version <= stmt.excluded.version,
    )
    await uow.conn.execute(stmt)
    await uow.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHANGES_LOCK)))
    await uow.conn.execute(
        sa.insert(alert_changes).values(
            alert_id=alert.alert_id, event_type=event.type, jurisdiction=alert.jurisdiction, data=data
        )
    )
    await uow.conn.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))


HANDLERS: dict[str, Handler] = {f"sps.alert.{step}": on_alert for step in ALERT_STEPS}
