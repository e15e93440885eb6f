"""The one rule for periods (docs/rules.md): every "within N days", "within N working days" and
"within N months" of the platform is counted here, in the county's days and calendar.

The rule is the law's (刑事诉讼法 §105, 民法典 §§201–203):

- the day a period starts from is not counted: it runs from the next day;
- its last day is the person's (or the office's) in full: the deadline is missed at the first
  instant of the county's following day, never at the start of the last day;
- N days: the last day is the Nth day after the start's day;
- N working days: the last day is the Nth working day after it (the county's calendar);
- N months: the last day is the day of the same number N months on, or that month's last day
  when it has none (31 January + 1 month → 28 or 29 February);
- a last day of N days or N months that is not a working day (a weekend or a public holiday)
  moves to the next working day when the calendar's `last_day_on_holiday` says so (the law's
  default: 以节假日后的第一日为期满日期).

Pure: no I/O, no clock; the county is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

from shared.calendar import add_months
from shared.county import County


@dataclass(frozen=True, slots=True)
class Deadline:
    """A period's end: `last_day` is allowed in full; `due` (the first instant of the county's
    next day) is when it is missed."""

    last_day: date
    due: datetime

    def missed_at(self, at: datetime) -> bool:
        return at >= self.due

    def kept_on(self, day: date) -> bool:
        """Whether something done on the county's `day` was in time."""
        return day <= self.last_day


def _start_day(county: County, start: date | datetime) -> date:
    return county.day_of(start) if isinstance(start, datetime) else start


def _ending(county: County, last: date, *, holiday_moves: bool = True) -> Deadline:
    if holiday_moves and county.policy.last_day_on_holiday == "next_working_day":
        while not county.is_working_day(last):
            last += timedelta(days=1)
    return Deadline(last, county.start_of(last + timedelta(days=1)))


def whole_days(period: timedelta, what: str = "period") -> int:
    """A policy's period of whole days (P10D) as its number of days; anything else is refused."""
    if period.total_seconds() <= 0 or period % timedelta(days=1):
        raise ValueError(f"{what} must be a whole number of days, not {period}")
    return period.days


def _whole_days(period: timedelta) -> timedelta:
    whole_days(period)
    return period


# A policy's period counted in days by this rule: refused at start unless whole days (P10D).
WholeDays = Annotated[timedelta, AfterValidator(_whole_days)]


def ending_on(county: County, last_day: date) -> Deadline:
    """A deadline whose last day is already known (a notice's own date, a plan's day): missed at
    the end of that day, as every other."""
    return _ending(county, last_day, holiday_moves=False)


def within_days(county: County, start: date | datetime, days: int | timedelta) -> Deadline:
    """Within N days of `start` (a day, or an instant on its county day)."""
    n = whole_days(days) if isinstance(days, timedelta) else days
    return _ending(county, _start_day(county, start) + timedelta(days=n))


def after_month(county: County, month: str, days: int | timedelta) -> Deadline:
    """Within N days of the last day of `month` (YYYY-MM): what is done about a month once it is
    over (its hours judged, its figures final, the next month's list confirmed)."""
    _, end = county.month_bounds(month)
    return within_days(county, county.day_of(end) - timedelta(days=1), days)


def within_working_days(county: County, start: date | datetime, days: int) -> Deadline:
    """Within N working days of `start`: to the end of the Nth working day after its day."""
    current, left = _start_day(county, start), days
    while left > 0:
        current += timedelta(days=1)
        if county.is_working_day(current):
            left -= 1
    return _ending(county, current, holiday_moves=False)


def within_months(county: County, start: date | datetime, months: int) -> Deadline:
    """Within N calendar months of `start`."""
    return _ending(county, add_months(_start_day(county, start), months))


def days_before(county: County, day: date, days: int | timedelta) -> Deadline:
    """Due by the end of the day N days before `day` (a pick-up plan 7 days before release):
    counted back, so no holiday moves it later."""
    n = whole_days(days) if isinstance(days, timedelta) else days
    return _ending(county, day - timedelta(days=n), holiday_moves=False)


def months_before(county: County, day: date, months: int) -> Deadline:
    """Due by the end of the day N calendar months before `day` (a notice at least a month before
    release)."""
    return _ending(county, add_months(day, -months), holiday_moves=False)
