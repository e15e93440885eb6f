"""Handover's persistence for its handlers and staff steps: the handover rows and their
deadlines. Handlers see only this class, so a test can give them a fake
(tests/fakes/handover_store.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.handover.adapters.tables import handovers, new_orders
from services.handover.domain.assistance import decided
from shared.db.uow import UnitOfWork
from shared.timers import cancel, schedule


class HandoverStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    async def open(self, **values: Any) -> bool:
        """Insert a new handover; False when the same notice came before (counted as a duplicate)."""
        inserted = (
            await self.conn.execute(
                insert(handovers)
                .values(**values)
                .on_conflict_do_update(index_elements=["handover_id"], set_={"duplicates": handovers.c.duplicates + 1})
                .returning(sa.literal_column("(xmax = 0)"))
            )
        ).scalar()
        return bool(inserted)

    async def lock(self, handover_id: uuid.UUID) -> dict[str, Any] | None:
        """The handover, locked for this transaction's step."""
        query = sa.select(handovers).where(handovers.c.handover_id == handover_id).with_for_update()
        row = (await self.conn.execute(query)).mappings().first()
        return None if row is None else dict(row)

    async def set(self, handover_id: uuid.UUID, **values: Any) -> None:
        await self.conn.execute(sa.update(handovers).where(handovers.c.handover_id == handover_id).values(**values))

    async def add_assistance(self, handover_id: uuid.UUID, entry: dict[str, Any]) -> None:
        await self.conn.execute(
            sa.update(handovers)
            .where(handovers.c.handover_id == handover_id)
            .values(
                assistance=handovers.c.assistance.concat(
                    sa.func.jsonb_build_array(sa.cast(entry, handovers.c.assistance.type))
                )
            )
        )

    async def decide_assistance(self, person_id: uuid.UUID, request_id: str, decision: dict[str, Any]) -> str:
        """Civil affairs' decision on the person's assistance request: "decided", "already" (it
        has one; the first stands) or "unknown"."""
        query = sa.select(handovers.c.handover_id, handovers.c.assistance).where(handovers.c.person_id == person_id)
        for handover_id, entries in (await self.conn.execute(query.with_for_update())).all():
            found = decided(entries, request_id, decision)
            if found is None:
                continue
            if found == entries:
                return "already"
            await self.set(handover_id, assistance=found)
            return "decided"
        return "unknown"

    async def add_service(self, handover_id: uuid.UUID, entry: dict[str, Any]) -> None:
        """A resettlement service after release (a placement, an employment service)."""
        await self.conn.execute(
            sa.update(handovers)
            .where(handovers.c.handover_id == handover_id)
            .values(
                services=handovers.c.services.concat(
                    sa.func.jsonb_build_array(sa.cast(entry, handovers.c.services.type))
                )
            )
        )

    async def released_person(self, person_id: uuid.UUID) -> bool:
        """Whether the person was ever the subject of a release handover here."""
        query = sa.select(handovers.c.handover_id).where(handovers.c.person_id == person_id).limit(1)
        return (await self.conn.execute(query)).first() is not None

    async def add_new_order(self, source_ref: str, person_id: uuid.UUID, effective_on: date) -> None:
        await self.conn.execute(
            insert(new_orders)
            .values(source_ref=source_ref, person_id=person_id, effective_on=effective_on)
            .on_conflict_do_nothing()
        )

    async def police_acknowledged(self, handover_id: uuid.UUID, at: datetime, by: str) -> None:
        """The police took over: the first acknowledgement is kept."""
        await self.conn.execute(
            sa.update(handovers)
            .where(handovers.c.handover_id == handover_id, handovers.c.police_ack_at.is_(None))
            .values(police_ack_at=at, police_ack_by=by)
        )

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        await schedule(self.uow, key, kind, due, payload)

    async def cancel(self, key: str) -> None:
        await cancel(self.uow, key)
