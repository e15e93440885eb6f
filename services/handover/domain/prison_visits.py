"""Pre-release work in the prisons (延伸帮教, 前置化; docs/domain.md §2): the county's staff visit
each prison that holds its people at least once a quarter (policy `prison_visits.every`), and
record whom they saw. These are the schedule's rules, free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.calendar import add_months


class PrisonVisitPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    every_months: int = 3  # 每季度: each prison at least once a quarter
    # The prisons always on the schedule; any other that sent a notice within the last year joins it.
    prisons: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrisonDue:
    prison: str
    last_visit: date | None
    due_on: date  # the day by which the next visit is owed
    overdue: bool
    awaiting_release: int  # the county's persons there with a release still ahead


def due(
    prison: str, last_visit: date | None, today: date, awaiting_release: int, policy: PrisonVisitPolicy
) -> PrisonDue:
    """The next visit is owed `every_months` after the last; a prison never visited is owed now."""
    owed = add_months(last_visit, policy.every_months) if last_visit else today
    return PrisonDue(prison, last_visit, owed, today > owed, awaiting_release)
