"""What every handler and staff step of handover works with, built once in `main`: the policy,
the county's offices and calendar, the clock and the store (a fake in unit tests)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.handover.adapters.store import HandoverStore
from services.handover.domain.policy import HandoverPolicy
from shared.county import County, default_county
from shared.db.uow import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HandoverContext:
    policy: HandoverPolicy
    offices: set[str]
    clock: Callable[[], datetime] = _now
    county: County = field(default_factory=default_county)  # days and working days
    # The adapter the handlers and steps persist through; tests give an in-memory one.
    store: Callable[[UnitOfWork], HandoverStore] = field(default=HandoverStore)

    async def lock(self, uow: UnitOfWork, handover_id: uuid.UUID) -> dict[str, Any]:
        """The handover, locked for this unit of work; LookupError when there is none."""
        row = await self.store(uow).lock(handover_id)
        if row is None:
            raise LookupError(f"no handover {handover_id}")
        return row
