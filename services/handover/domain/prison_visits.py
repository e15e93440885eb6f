"""Pre-release work in the prisons (延伸帮教, 前置化; docs/domain.md §2): the county's staff visit
each prison that holds its people at least once a quarter (policy `prison_visits.every`), and
record whom they saw. These are the schedule's rules, free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.county import County
from shared.periods import within_months


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
    prison: str,
    last_visit: date | None,
    today: date,
    awaiting_release: int,
    policy: PrisonVisitPolicy,
    county: County,
    since: date | None = None,
) -> PrisonDue:
    """The next visit is owed within `every_months` of the last (the one period rule, docs/rules.md);
    a prison never visited, within `every_months` of its first notice (`since`), so one never
    visited falls overdue like any other (D10). A prison only the policy names, with no notice and
    no visit yet, is owed today."""
    start = last_visit or since
    owed = within_months(county, start, policy.every_months).last_day if start else today
    return PrisonDue(prison, last_visit, owed, today > owed, awaiting_release)
