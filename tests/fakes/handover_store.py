"""An in-memory stand-in for `services.handover.adapters.store.HandoverStore`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from services.handover.domain.assistance import decided

# The columns a new handover has before any step (as the table's defaults).
_DEFAULTS: dict[str, Any] = {
    "receipt_at": None,
    "police_handover_at": None,
    "police_ack_at": None,
    "police_ack_by": None,
    "pickup_plan": None,
    "pickup_outcome": None,
    "released_at": None,
    "arrived_at": None,
    "agreement": None,
    "assistance": [],
    "supplement": None,
    "applied_at": None,
    "duplicates": 0,
}


class FakeHandoverStore:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.timers: dict[str, tuple[str, datetime, dict[str, Any]]] = {}
        self.new_orders: dict[str, tuple[uuid.UUID, date]] = {}
        self.sentences: dict[str, tuple[str, str | None]] = {}
        self.slots: dict[uuid.UUID, dict[str, Any]] = {}
        self.prison_visits: list[dict[str, Any]] = []
        self.bases: dict[uuid.UUID, dict[str, Any]] = {}
        self.bookings: dict[uuid.UUID, dict[str, Any]] = {}

    async def add_base(self, values: dict[str, Any]) -> None:
        self.bases[values["base_id"]] = dict(values)

    async def base(self, base_id: uuid.UUID) -> dict[str, Any] | None:
        return self.bases.get(base_id)

    async def base_placements(self, base_id: uuid.UUID) -> int:
        return sum(1 for r in self.rows.values() for e in r.get("services", []) if e.get("base_id") == str(base_id))

    async def add_prison_visit(self, values: dict[str, Any]) -> None:
        self.prison_visits.append(dict(values))

    async def add_slot(self, values: dict[str, Any]) -> bool:
        if values["slot_id"] in self.slots:
            return False
        self.slots[values["slot_id"]] = {"booking_id": None, **values}
        return True

    async def slot(self, slot_id: uuid.UUID) -> dict[str, Any] | None:
        return self.slots.get(slot_id)

    async def hold_slot(self, slot_id: uuid.UUID, booking_id: uuid.UUID | None) -> None:
        self.slots[slot_id]["booking_id"] = booking_id

    async def lock_room(self, office: str) -> None:
        pass  # one test task at a time

    async def room_bookings(self, office: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [
            b
            for b in self.bookings.values()
            if b["office"] == office and b["status"] in ("booked", "confirmed") and b["start"] < end
        ]

    async def add_booking(self, values: dict[str, Any]) -> None:
        self.bookings[values["booking_id"]] = {"reminded_at": None, "reminded_by": None, **values}

    async def booking(self, booking_id: uuid.UUID) -> dict[str, Any] | None:
        return self.bookings.get(booking_id)

    async def update_booking(self, booking_id: uuid.UUID, **values: Any) -> None:
        self.bookings[booking_id].update(values)

    async def open(self, **values: Any) -> bool:
        if values["handover_id"] in self.rows:
            self.rows[values["handover_id"]]["duplicates"] += 1
            return False
        self.rows[values["handover_id"]] = {**_DEFAULTS, **values}
        return True

    async def lock(self, handover_id: uuid.UUID) -> dict[str, Any] | None:
        row = self.rows.get(handover_id)
        return None if row is None else dict(row)

    async def set(self, handover_id: uuid.UUID, **values: Any) -> None:
        self.rows[handover_id].update(values)

    async def add_assistance(self, handover_id: uuid.UUID, entry: dict[str, Any]) -> None:
        self.rows[handover_id]["assistance"] = [*self.rows[handover_id]["assistance"], entry]

    async def decide_assistance(self, person_id: uuid.UUID, request_id: str, decision: dict[str, Any]) -> str:
        for row in self.rows.values():
            if row["person_id"] != person_id or (found := decided(row["assistance"], request_id, decision)) is None:
                continue
            if found == row["assistance"]:
                return "already"
            row["assistance"] = found
            return "decided"
        return "unknown"

    async def add_service(self, handover_id: uuid.UUID, entry: dict[str, Any]) -> None:
        self.rows[handover_id]["services"] = [*self.rows[handover_id].get("services", []), entry]

    async def released_person(self, person_id: uuid.UUID) -> bool:
        return any(r["person_id"] == person_id for r in self.rows.values())

    async def add_new_order(
        self,
        source_ref: str,
        person_id: uuid.UUID,
        effective_on: date,
        sentence: str = "community_corrections",
        recorded_by: str | None = None,
    ) -> dict[str, Any]:
        self.new_orders.setdefault(source_ref, (person_id, effective_on))
        self.sentences.setdefault(source_ref, (sentence, recorded_by))
        (pid, on), (kind, by) = self.new_orders[source_ref], self.sentences[source_ref]
        return {"source_ref": source_ref, "person_id": pid, "effective_on": on, "sentence": kind, "recorded_by": by}

    async def police_acknowledged(self, handover_id: uuid.UUID, at: datetime, by: str) -> None:
        row = self.rows.get(handover_id)
        if row is not None and row["police_ack_at"] is None:
            row.update(police_ack_at=at, police_ack_by=by)

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        self.timers.setdefault(key, (kind, due, payload))

    async def cancel(self, key: str) -> None:
        self.timers.pop(key, None)
