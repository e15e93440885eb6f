"""What every handler and staff step of supervision works with, built once in `main`: the case
directory and live positions of the partitions this replica owns, the policy, the clock, the
county's calendar and offices, the clock tolerance, and the store (a fake in unit tests). The
three helpers every step shares live here once: the active case an actor may act on, what happened
not dated ahead, and publishing onto the person's case file (档案)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.domain.policy import SupervisionPolicy
from services.supervision.positions import LivePositions
from shared.ahead import DEFAULT_TOLERANCE, refuse_ahead
from shared.authority import Actor
from shared.county import County, default_county
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.errors import NotFound
from shared.events import EventData


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SupervisionContext:
    directory: CaseDirectory
    policy: SupervisionPolicy
    clock: Callable[[], datetime] = _now
    county: County = field(default_factory=default_county)
    # The county's justice offices (policy/geography.yaml): where a case may be transferred.
    offices: frozenset[str] = frozenset()
    # A time dated further ahead is refused (policy/security.yaml clock.future_tolerance, shared/ahead.py):
    # one forged record from the future would otherwise make every real fix look old.
    future_tolerance: timedelta = DEFAULT_TOLERANCE
    # The adapter the handlers and steps persist through (the fix path's bulk writes too); tests give a fake.
    store: Callable[[UnitOfWork], SupervisionStore] = field(default=SupervisionStore)
    # The live position state of the partitions this replica owns (positions.py); without a
    # consumer (unit tests) what a fix changes is written at once.
    positions: LivePositions = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.positions is None:
            self.positions = LivePositions(self.directory, self.policy, store=self.store)

    async def case(
        self, store: SupervisionStore, person_id: uuid.UUID, actor: Actor | None = None, action: str | None = None
    ) -> Row:
        """The person's active case, once `actor` may take `action` on it (their office, or the county;
        a 协矫通 account only on a person whose correction team names it)."""
        case = await store.active_case(person_id)
        if case is None:
            raise NotFound(f"no active case for person {person_id}")
        if actor is not None and action is not None:
            actor.require(action, case["jurisdiction"])
            if actor.team_scoped:
                actor.must_see_person(case["jurisdiction"], await store.team_accounts(case["case_id"]))
        return case

    def not_ahead(self, field: str, at: datetime) -> None:
        """What staff record happened already (shared/ahead.py)."""
        refuse_ahead(field, at, self.clock(), self.future_tolerance)

    async def publish(
        self, uow: UnitOfWork, data: EventData, person_id: uuid.UUID, cause: IncomingEvent | None, at: datetime
    ) -> None:
        """Publish, and put it on the person's case file (档案) in the same transaction: the one
        way an event of a person's case goes out, from a handler or a staff step."""
        await self._on_file(self.store(uow), data, person_id, cause, at)

    async def publish_on_file(
        self, store: SupervisionStore, data: EventData, person_id: uuid.UUID, at: datetime
    ) -> None:
        """A staff step's event on the case file, through the store the step already holds."""
        await self._on_file(store, data, person_id, None, at)

    @staticmethod
    async def _on_file(
        store: SupervisionStore, data: EventData, person_id: uuid.UUID, cause: IncomingEvent | None, at: datetime
    ) -> None:
        out = store.uow.publish(data, subject=person_id, cause=cause, time=at)
        await store.record(person_id, out.id, out.type, at, data.model_dump(mode="json"))
