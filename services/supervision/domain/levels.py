"""Supervision levels (分类管理: 严管 strict, 普管 ordinary, 宽管 lenient) and the check-in schedule.

Strict applies in the first months of supervision (policy), at high risk, after two admonitions,
or after any warning (docs/domain.md §1); otherwise ordinary, or lenient at low risk after the first months.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.supervision.domain.policy import LevelPolicy
from shared.calendar import add_months


def level_for(
    *, started: date, today: date, risk: str | None, admonitions: int, warnings: int, policy: LevelPolicy
) -> str:
    if today < add_months(started, policy.first_months_strict):
        return "strict"
    if risk == "high" or admonitions >= 2 or warnings >= 1:
        return "strict"
    return "lenient" if risk == "low" else "ordinary"


def next_checkin_due(last: datetime, level: str, policy: LevelPolicy) -> datetime:
    interval: timedelta = policy.checkin_every[level]  # type: ignore[index]
    return last + interval
