"""Study and community-service hours (教育学习, 公益活动), docs/domain.md §1: what a level owes a
month (policy `hours`; the brief's strict level ≥ 12 h of each), and what a month that ends
short of it lacks. Only confirmed hours count: those staff record, and the app's once a team
member or the office confirms them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["study", "community_service"]
KINDS: tuple[Kind, ...] = ("study", "community_service")


class Owed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    study: timedelta = timedelta(0)
    community_service: timedelta = timedelta(0)


class HoursPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # What each level owes a month; a level not named owes nothing.
    required: dict[Literal["strict", "ordinary", "lenient"], Owed] = {
        "strict": Owed(study=timedelta(hours=12), community_service=timedelta(hours=12))
    }


@dataclass(frozen=True)
class Shortfall:
    kind: Kind
    done: timedelta
    owed: timedelta

    @property
    def missing(self) -> timedelta:
        return self.owed - self.done


def month_judged(term_start: date | None, first_day: date) -> bool:
    """A month is judged when the person was under this term for all of it (a first, partial
    month owes nothing)."""
    return term_start is not None and term_start <= first_day


def shortfalls(level: str | None, done: dict[str, timedelta], policy: HoursPolicy) -> list[Shortfall]:
    """What the month lacks, per kind, at `level` (none when the level owes nothing)."""
    owed = policy.required.get(level)  # type: ignore[call-overload]
    if owed is None:
        return []
    out = []
    for kind in KINDS:
        need, have = getattr(owed, kind), done.get(kind, timedelta(0))
        if need > timedelta(0) and have < need:
            out.append(Shortfall(kind, have, need))
    return out


def owes_hours(level: str | None, policy: HoursPolicy) -> bool:
    """Whether `level` owes any time a month (only such cases count in the completion rate)."""
    owed = policy.required.get(level)  # type: ignore[call-overload]
    return owed is not None and any(getattr(owed, kind) > timedelta(0) for kind in KINDS)
