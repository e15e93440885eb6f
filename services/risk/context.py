"""What every handler and staff step of risk works with, built once in `main`: the instrument in
force, the clock, the county's calendar (the monthly cycle's months) and the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.risk.adapters.store import RiskStore
from services.risk.domain.instrument import Instrument
from shared.county import County, default_county
from shared.db.uow import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RiskContext:
    instrument: Instrument
    clock: Callable[[], datetime] = _now
    county: County = field(default_factory=default_county)
    # The adapter the handlers and steps persist through; tests give an in-memory one.
    store: Callable[[UnitOfWork], RiskStore] = field(default=RiskStore)
