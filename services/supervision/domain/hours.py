"""Study and community-service hours (教育学习, 公益活动), docs/domain.md §1: what a level owes a
month (policy `hours`; the brief's strict level ≥ 12 h of each), and what a month that ends
short of it lacks. Only confirmed hours count: those staff record, and the app's once a team
member or the office confirms them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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

    # The month is judged once this many whole days after it have passed, so time done in it and
    # confirmed late (the app's, a team member's) still counts (docs/rules.md).
    judge_after_days: int = 5

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


LEVELS_LENIENT_FIRST = ("lenient", "ordinary", "strict")


@dataclass(frozen=True)
class LevelChange:
    """A level change on the case file: when, to what, from what."""

    at: datetime
    level: str
    previous: str | None


def levels_in_force(current: str | None, changes: Iterable[LevelChange], start: datetime, end: datetime) -> set[str]:
    """Every level the case had at some moment of [start, end): the one in force at `start` (the
    first later change's `previous`, or the level now if none came since) and each it was changed
    to inside the month."""
    later = sorted((c for c in changes if c.at >= start), key=lambda c: c.at)
    at_start = later[0].previous if later and later[0].previous else current
    inside = {c.level for c in later if c.at < end}
    return {level for level in (at_start, *inside) if level}


def level_for_month(levels: set[str], policy: HoursPolicy) -> str | None:
    """The level a month is judged at when it had several: the one that owes the least, so nobody
    is held to a stricter level's hours for days they were not at it (a person warned on the 30th
    and moved to strict is judged on that month at the level they had)."""

    def owed(level: str) -> timedelta:
        o = policy.required.get(level)  # type: ignore[call-overload]
        return sum((getattr(o, k) for k in KINDS), timedelta(0)) if o else timedelta(0)

    ordered = [lv for lv in LEVELS_LENIENT_FIRST if lv in levels] + sorted(levels - set(LEVELS_LENIENT_FIRST))
    return min(ordered, key=owed, default=None)
