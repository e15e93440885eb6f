"""Calendar arithmetic the domain shares: terms, assistance periods, anniversaries, and "n months
after" (the first months of supervision, a positioning term, the next follow-up). Days and months
are the county's (shared/county.py); this module only counts dates.

The rule for a date that a later year lacks (docs/domain.md §1, "Dates"): an anniversary of
29 February in a year without one falls on 28 February, the last day of that February, so a
term never runs into March by a day nobody served.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_years(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the last day of that month when it is shorter
    (31 January + 1 month → 28 or 29 February; 29 February + 12 months → 28 February)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))
