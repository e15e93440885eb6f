"""The county's time: its time zone and its working-day calendar (docs/domain.md §5).

Every day, month and "working days" boundary the platform draws is the county's: a check-in day,
a month of statistics, the monthly key-person list, a receipt due in 3 working days. Instants stay
aware datetimes (stored and sent in UTC); only where a day or a month begins is the county's
business. Working days are Monday to Friday, less the State Council's public holidays, plus its
make-up working days (调休) that fall on a weekend; both lists are policy (`calendar.yaml`).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from shared.errors import Refused
from shared.logging import get_logger
from shared.policy import load_policy

log = get_logger(__name__)


class CalendarPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    time_zone: str = "Asia/Shanghai"
    # The years whose holidays are listed: a working-day count that reaches another year warns.
    years: list[int] = []
    holidays: list[date] = []
    workdays: list[date] = []  # 调休: a weekend day that is a working day
    # Where the last day of a period of days or months is not a working day (docs/rules.md):
    # "next_working_day" (the law's: 以节假日后的第一日为期满日期), or "keep".
    last_day_on_holiday: Literal["next_working_day", "keep"] = "next_working_day"
    # The duty desk is told of a year the holiday list lacks this long before today reaches it
    # (deadlines of up to half a year are counted ahead: docs/rules.md).
    missing_year_notice: timedelta = timedelta(days=183)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CalendarPolicy:
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise ValueError(f"a day is both a holiday and a working day: {sorted(both)[0]}")
        outside = [d for d in [*self.holidays, *self.workdays] if d.year not in self.years]
        if outside:
            raise ValueError(f"{outside[0]} is listed but its year is not in `years`")
        return self


class County:
    """The county's clock and calendar; pure (no I/O once loaded)."""

    def __init__(self, policy: CalendarPolicy) -> None:
        self.policy = policy
        self.tz = ZoneInfo(policy.time_zone)
        self._holidays = frozenset(policy.holidays)
        self._workdays = frozenset(policy.workdays)
        self._years = frozenset(policy.years)
        self._warned: set[int] = set()

    # --- days and months --------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def day_of(self, at: datetime) -> date:
        """The county's date at this instant."""
        return at.astimezone(self.tz).date()

    def not_come_yet(self, day: date, now: datetime) -> str | None:
        """Why a day staff or an agency recorded something on cannot be: it is after the county's
        today (what is recorded has happened). None when it can. One wording for every step."""
        return f"{day.isoformat()} has not come yet in the county" if day > self.day_of(now) else None

    def start_of(self, day: date) -> datetime:
        """The first instant of the county's `day`."""
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return self.start_of(day), self.start_of(day + timedelta(days=1))

    def month_of(self, at: datetime) -> str:
        """The county's month (YYYY-MM) at this instant."""
        return at.astimezone(self.tz).strftime("%Y-%m")

    def month_bounds(self, month: str) -> tuple[datetime, datetime]:
        """The first instant of the county's `month` (YYYY-MM) and of the month after; a malformed
        month is refused."""
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise Refused("month", "month must be YYYY-MM") from None
        return self.start_of(first), self.start_of(next_month(first))

    def next_month_start(self, at: datetime) -> datetime:
        """The first instant of the county month after the one `at` is in."""
        return self.start_of(next_month(self.day_of(at).replace(day=1)))

    # --- working days -----------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday less the listed holidays, plus the listed make-up days; in a year with
        no list, Monday to Friday (logged, and shown to the duty desk: `missing_years`)."""
        if day in self._workdays:
            return True
        self._check_year(day.year)
        return day.weekday() < 5 and day not in self._holidays

    def years_to_list(self, today: date) -> list[int]:
        """The years the duty desk must have listed by now: from today to the notice's horizon."""
        return self.missing_years(today, today + self.policy.missing_year_notice)

    def missing_years(self, first: date, last: date) -> list[int]:
        """The years from `first` to `last` whose holidays the calendar does not list: deadlines in
        them count weekends only until someone adds the State Council's notice."""
        return [y for y in range(first.year, last.year + 1) if y not in self._years]

    def _check_year(self, year: int) -> None:
        if year not in self._years and year not in self._warned:
            self._warned.add(year)
            log.warning("working days counted in a year with no holiday list", year=year, file="calendar.yaml")


def next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def load_county(policy_dir: Path) -> County:
    return County(load_policy(policy_dir / "calendar.yaml", CalendarPolicy))


@functools.cache
def default_county() -> County:
    """The repository's own calendar (for callers without settings: tests, tools)."""
    from shared.paths import POLICY_DIR

    return load_county(POLICY_DIR)
