"""The in-memory view of active cases the fix path reads, backed by the database.

Fix handling must not cost a database read per fix, so each case's prepared areas, leaves and
zone state live here. The database stays the truth: the view is loaded at start and again when
partitions are assigned, and changed only after a commit succeeds.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.supervision.adapters.tables import cases, leaves, positioning_orders, zone_state
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.geo import Area, LocalProjection
from services.supervision.domain.leaves import Leave
from services.supervision.domain.zones import ZoneState

NO_ZONE_STATE = ZoneState()
# Rows read per round trip when the directory loads: the load streams, so its transient memory
# stays one chunk's worth however many cases there are.
LOAD_CHUNK = 5000


@dataclass(slots=True)
class CaseView:
    """One active case as the fix path needs it. Kept small: there is one per supervised person
    in every replica (docs/performance.md, section 5)."""

    case: int  # the case id's 128 bits: an int is half the memory of a uuid.UUID, and hashes in C
    person: int
    jurisdiction: str
    permitted: Area
    exclusions: tuple[Area, ...] = ()
    zone: ZoneState = NO_ZONE_STATE
    leaves: tuple[Leave, ...] = ()
    track_at: datetime | None = None  # when the last day-track point was kept
    watchdogs_armed_at: datetime | None = None  # the last fix that moved the offline/contact deadlines on
    battery_low: bool = False

    @property
    def case_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.case)

    @property
    def person_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.person)


class CaseDirectory:
    def __init__(self, county: Area, projection: LocalProjection) -> None:
        self.county = county
        self.projection = projection
        self._by_person: dict[int, CaseView] = {}  # by person id (its int)
        # The device registry: a positioning order binds its device to its person (docs/domain.md §1).
        self._owner: dict[str, int] = {}  # device id → person id (its int)
        self._devices: dict[int, set[str]] = {}  # person id (its int) → the devices bound to them

    def __len__(self) -> int:
        return len(self._by_person)

    def get(self, person_id: uuid.UUID) -> CaseView | None:
        return self._by_person.get(person_id.int)

    def by_int(self, person: int) -> CaseView | None:
        return self._by_person.get(person)

    def put(self, view: CaseView) -> None:
        self._by_person[view.person] = view

    def remove(self, person_id: uuid.UUID) -> None:
        self._by_person.pop(person_id.int, None)
        for device in self._devices.pop(person_id.int, set()):
            self._owner.pop(device, None)

    def bind(self, device_id: str, person_id: uuid.UUID) -> None:
        """The device is this person's (an approved positioning order names it); a device moved
        to another person leaves the first."""
        device = sys.intern(device_id)
        before = self._owner.get(device)
        if before is not None and before != person_id.int:
            self._devices.get(before, set()).discard(device)
        self._owner[device] = person_id.int
        self._devices.setdefault(person_id.int, set()).add(device)

    def unbind(self, device_id: str, person_id: uuid.UUID) -> None:
        """The device is no longer this person's (its positioning ended)."""
        if self._owner.get(device_id) == person_id.int:
            del self._owner[device_id]
        devices = self._devices.get(person_id.int)
        if devices is not None:
            devices.discard(device_id)
            if not devices:
                del self._devices[person_id.int]

    def owner(self, device_id: str) -> int | None:
        """The person (id as int) the device is bound to, if any."""
        return self._owner.get(device_id)

    def bound(self, person_id: uuid.UUID) -> bool:
        """Whether any device is bound to this person."""
        return bool(self._devices.get(person_id.int))

    def add_leave(self, person_id: uuid.UUID, leave: Leave) -> None:
        view = self._by_person.get(person_id.int)
        if view is not None and all(existing.leave_id != leave.leave_id for existing in view.leaves):
            view.leaves = (*view.leaves, leave)

    def end_leave(self, person_id: uuid.UUID, leave_id: uuid.UUID, at: datetime) -> None:
        """销假: the leave covers nothing after the return."""
        view = self._by_person.get(person_id.int)
        if view is not None:
            view.leaves = tuple(
                Leave(x.leave_id, x.start, min(x.end, at)) if x.leave_id == leave_id else x for x in view.leaves
            )

    def build(
        self,
        case_id: uuid.UUID,
        person_id: uuid.UUID,
        jurisdiction: str,
        permitted_area: dict | None,
        exclusion_zones: list[dict],
        zone: ZoneState | None = None,
    ) -> CaseView:
        permitted = (
            self.county
            if permitted_area is None
            else Area("permitted", permitted_area["coordinates"][0], self.projection)
        )
        exclusions = tuple(Area(z["name"], z["polygon"]["coordinates"][0], self.projection) for z in exclusion_zones)
        # A few dozen offices' names, one string each, not one per case.
        return CaseView(
            case_id.int, person_id.int, sys.intern(jurisdiction), permitted, exclusions, zone or NO_ZONE_STATE
        )

    async def load(self, engine: AsyncEngine, keep: Callable[[uuid.UUID], bool] | None = None) -> int:
        """Read the active cases `keep` accepts (the persons on the partitions this replica owns;
        all without it) and their zone state again (the database is the truth). The device
        registry is read whole: a device bound to a person another replica owns is still not
        this person's.

        A case already held keeps its view object (its areas never change once the case is
        open); only its state is refreshed. So a reload neither doubles the directory's memory
        while it runs nor rebuilds every geometry.
        """
        query = (
            sa.select(
                cases.c.case_id,
                cases.c.person_id,
                cases.c.jurisdiction,
                cases.c.permitted_area,
                cases.c.exclusion_zones,
                zone_state.c.outside_episode,
                zone_state.c.last_fix_at,
                zone_state.c.last_outside,
                zone_state.c.tampered,
                zone_state.c.in_zones,
            )
            .select_from(cases.outerjoin(zone_state, zone_state.c.person_id == cases.c.person_id))
            .where(cases.c.status.in_(ACTIVE))
            .order_by(cases.c.opened_at)
            .execution_options(yield_per=LOAD_CHUNK)
        )
        held, fresh = self._by_person, {}
        async with engine.connect() as conn:
            rows = await conn.stream(query)
            async for chunk in rows.partitions():
                for row in chunk:
                    if keep is not None and not keep(row.person_id):
                        continue
                    episode = row.outside_episode
                    state = ZoneState(
                        # asyncpg's own uuid subclass, which orjson does not write: a plain one.
                        None if episode is None else uuid.UUID(int=episode.int),
                        row.last_fix_at,
                        bool(row.last_outside),
                        bool(row.tampered),
                        tuple(row.in_zones or ()),
                    )
                    if state == NO_ZONE_STATE:
                        state = NO_ZONE_STATE  # no fix yet: one shared value
                    view = held.get(row.person_id.int)
                    if view is None or view.case != row.case_id.int:
                        view = self.build(
                            row.case_id, row.person_id, row.jurisdiction, row.permitted_area, row.exclusion_zones
                        )
                    view.zone, view.leaves, view.battery_low = state, (), False
                    # The persisted last fix armed the watchdogs and kept a track point no earlier than
                    # one interval before: start from it, so a restart is not a burst of writes for every
                    # person (a watchdog armed a little early re-checks the last fix when it comes due).
                    view.watchdogs_armed_at = view.track_at = row.last_fix_at
                    fresh[view.person] = view
            # Approved leaves not yet over; a returned one (销假) ends at its return.
            ends = sa.func.coalesce(leaves.c.returned_at, leaves.c.ends_at).label("ends_at")
            for leave in await conn.execute(
                sa.select(leaves.c.leave_id, leaves.c.person_id, leaves.c.starts_at, ends).where(
                    leaves.c.status.in_(("approved", "returned")), ends > sa.func.now()
                )
            ):
                if (view := fresh.get(leave.person_id.int)) is not None:
                    view.leaves = (*view.leaves, Leave(leave.leave_id, leave.starts_at, leave.ends_at))
            bound = list(
                await conn.execute(
                    sa.select(positioning_orders.c.device_id, positioning_orders.c.person_id).where(
                        positioning_orders.c.status == "active"
                    )
                )
            )
            bound += list(
                await conn.execute(
                    sa.select(cases.c.device_id, cases.c.person_id).where(
                        cases.c.status.in_(ACTIVE), cases.c.device_id.is_not(None)
                    )
                )
            )
        self._by_person = fresh
        self._owner, self._devices = {}, {}
        for device_id, person_id in bound:
            self.bind(device_id, person_id)
        return len(fresh)
