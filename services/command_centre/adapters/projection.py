"""The board's read model of alerts.v1 (docs/console.md): each alert as its newest version, and
the change log the live feed reads in commit order."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.command_centre.adapters.feed import CHANNEL
from services.command_centre.adapters.tables import alert_changes, alert_view
from shared.db.uow import UnitOfWork
from shared.events import AlertData

_CHANGES_LOCK = 0x5350_0C0C  # serialises change-log writers so seq order is commit order


class AlertProjection:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def keep(self, event_type: str, alert: AlertData) -> None:
        """The alert as this step left it, unless a newer version is already kept (an older one
        arriving late never overwrites it); and the step on the change log, for the live feed."""
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
        stmt = stmt.on_conflict_do_update(
            index_elements=["alert_id"],
            set_={k: stmt.excluded[k] for k in values if k != "alert_id"},
            where=alert_view.c.version <= stmt.excluded.version,
        )
        conn = self.uow.conn
        await conn.execute(stmt)
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHANGES_LOCK)))
        await conn.execute(
            sa.insert(alert_changes).values(
                alert_id=alert.alert_id, event_type=event_type, jurisdiction=alert.jurisdiction, data=data
            )
        )
        await conn.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))
