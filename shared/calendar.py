"""Calendar arithmetic the domain shares: terms, assistance periods and anniversaries.

The rule for a date that a later year lacks (docs/domain.md §1, "Dates"): an anniversary of
29 February in a year without one falls on 28 February, the last day of that February, so a
term never runs into March by a day nobody served.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from shared.errors import Refused


def add_years(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in a common year."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of `month` (YYYY-MM) and of the month after; a malformed month is refused.

    Months are cut in UTC today, as every caller did before this helper existed; the county's own
    time zone is docs/domain.md's rule to come."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("month", "month must be YYYY-MM") from None
    return start, (start + timedelta(days=32)).replace(day=1)
