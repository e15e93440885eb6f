"""Handover's persistence for its handlers and staff steps: the handover rows and their
deadlines. Handlers see only this class, so a test can give them a fake
(tests/fakes/handover_store.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.handover.adapters.queries import placements_in
from services.handover.adapters.tables import (
    handovers,
    new_orders,
    prison_visits,
    resettlement_bases,
    visit_bookings,
    visit_slots,
)
from services.handover.domain.assistance import decided
from services.handover.domain.visits import ACTIVE as ACTIVE_VISITS
from shared.db.rows import insert_once, locked, update_row
from shared.db.uow import UnitOfWork
from shared.timers import cancel, schedule

# Built once and executed with each call's values (shared/timers.py says why).
_OPEN: Any = (
    insert(handovers)
    .on_conflict_do_update(index_elements=["handover_id"], set_={"duplicates": handovers.c.duplicates + 1})
    .returning(sa.literal_column("(xmax = 0)"))
)


class HandoverStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    async def open(self, **values: Any) -> bool:
        """Insert a new handover; False when the same notice came before (counted as a duplicate)."""
        return bool((await self.conn.execute(_OPEN, values)).scalar())

    async def lock(self, handover_id: uuid.UUID) -> dict[str, Any] | None:
        """The handover, locked for this transaction's step."""
        return await locked(self.conn, handovers, handover_id)

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

    async def add_new_order(
        self,
        source_ref: str,
        person_id: uuid.UUID,
        effective_on: date,
        sentence: str = "community_corrections",
        recorded_by: str | None = None,
    ) -> dict[str, Any]:
        """Kept once per judgment (its court and number); answers the judgment as kept, the first
        record's content if there was one."""
        values = {"source_ref": source_ref, "person_id": person_id, "effective_on": effective_on}
        await self.conn.execute(
            insert(new_orders).values(**values, sentence=sentence, recorded_by=recorded_by).on_conflict_do_nothing()
        )
        kept = await self.conn.execute(sa.select(new_orders).where(new_orders.c.source_ref == source_ref))
        return dict(kept.mappings().one())

    async def police_acknowledged(self, handover_id: uuid.UUID, at: datetime, by: str) -> None:
        """The police took over: the first acknowledgement is kept."""
        await self.conn.execute(
            sa.update(handovers)
            .where(handovers.c.handover_id == handover_id, handovers.c.police_ack_at.is_(None))
            .values(police_ack_at=at, police_ack_by=by)
        )

    async def add_base(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(resettlement_bases).values(**values))

    async def base(self, base_id: uuid.UUID) -> dict[str, Any] | None:
        """The base, locked: two placements into its last place take turns."""
        return await locked(self.conn, resettlement_bases, base_id)

    async def base_placements(self, base_id: uuid.UUID) -> int:
        """The placements made into the base (安置基地), from the handovers' services."""
        return int(await self.conn.scalar(sa.select(placements_in(str(base_id)))) or 0)

    async def add_prison_visit(self, values: dict[str, Any]) -> None:
        """延伸帮教: a visit to a prison and whom it saw."""
        await self.conn.execute(insert(prison_visits).values(**values))

    # --- remote family video visits (远程亲情视频会见) ----------------------------------------------------

    async def add_slot(self, values: dict[str, Any]) -> bool:
        """A prison's slot, once: False when its number came before."""
        return await insert_once(self.conn, visit_slots, values)

    async def slot(self, slot_id: uuid.UUID) -> dict[str, Any] | None:
        """The slot, locked: two offices booking it at once take turns."""
        return await locked(self.conn, visit_slots, slot_id)

    async def hold_slot(self, slot_id: uuid.UUID, booking_id: uuid.UUID | None) -> None:
        await update_row(self.conn, visit_slots, slot_id, booking_id=booking_id)

    async def lock_room(self, office: str) -> None:
        """The office's video room, for this transaction: its calendar is read and written by one
        booking at a time, so two bookings of different slots cannot both take the same hour."""
        await self.conn.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(f"visit-room:{office}", 0)))
        )

    async def room_bookings(self, office: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The office's bookings that still hold its room and start before `end` and after `start`
        less a day (no visit lasts longer)."""
        b = visit_bookings.c
        query = sa.select(visit_bookings).where(
            b.office == office, b.status.in_(ACTIVE_VISITS), b.start < end, b.start > start - timedelta(days=1)
        )
        return [dict(r) for r in (await self.conn.execute(query)).mappings()]

    async def add_booking(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(visit_bookings).values(**values))

    async def booking(self, booking_id: uuid.UUID) -> dict[str, Any] | None:
        return await locked(self.conn, visit_bookings, booking_id)

    async def update_booking(self, booking_id: uuid.UUID, **values: Any) -> None:
        await update_row(self.conn, visit_bookings, booking_id, **values)

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        await schedule(self.uow, key, kind, due, payload)

    async def cancel(self, key: str) -> None:
        await cancel(self.uow, key)
