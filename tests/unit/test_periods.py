"""The one period rule (shared/periods.py) against every boundary example of docs/rules.md: the
table there is read here, row by row, so a row the code disagrees with fails, and a rule nobody
wrote an example for shows as a missing kind."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.county import CalendarPolicy, County, default_county
from shared.paths import REPO_ROOT
from shared.periods import (
    Deadline,
    days_before,
    months_before,
    whole_days,
    within_days,
    within_months,
    within_working_days,
)

COUNTY = default_county()
RULES = {
    "days": within_days,
    "working days": within_working_days,
    "months": within_months,
    "days before": days_before,
    "months before": months_before,
}


def examples() -> list[tuple[str, str, str, int, str, str]]:
    text = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text.split("## Boundary examples", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] in RULES:
            rows.append((cells[0], cells[1], cells[2], int(cells[3]), cells[4], cells[5]))
    return rows


def start_of(text: str) -> date | datetime:
    if text.endswith("Z"):
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    if " " in text:
        return datetime.fromisoformat(text).replace(tzinfo=COUNTY.tz)
    return date.fromisoformat(text)


def test_the_table_covers_every_rule_and_the_boundaries_the_issue_names() -> None:
    rows = examples()
    assert {r[1] for r in rows} == set(RULES)
    starts = " ".join(r[2] for r in rows)
    assert "23:59" in starts and "00:00" in starts and "Z" in starts  # both sides of the county's midnight
    assert any(r[4].endswith("-02-29") for r in rows)  # 29 February
    assert any(r[4].endswith("-02-28") and r[2].endswith("-01-31") for r in rows)  # a month end


@pytest.mark.parametrize("example, rule, start, n, last_day, missed_from", examples())
def test_a_boundary_example_of_docs_rules(
    example: str, rule: str, start: str, n: int, last_day: str, missed_from: str
) -> None:
    if rule in ("days before", "months before"):
        deadline: Deadline = RULES[rule](COUNTY, date.fromisoformat(start), n)  # type: ignore[operator]
    else:
        deadline = RULES[rule](COUNTY, start_of(start), n)  # type: ignore[operator]
    assert deadline.last_day == date.fromisoformat(last_day), example
    assert deadline.due == datetime.fromisoformat(missed_from).replace(tzinfo=COUNTY.tz), example
    assert deadline.kept_on(deadline.last_day) and not deadline.kept_on(deadline.last_day + timedelta(days=1))
    assert not deadline.missed_at(deadline.due - timedelta(microseconds=1)) and deadline.missed_at(deadline.due)


def test_a_calendar_that_keeps_a_holiday_last_day_keeps_it() -> None:
    keep = County(CalendarPolicy(**{**COUNTY.policy.model_dump(), "last_day_on_holiday": "keep"}))
    assert within_days(keep, date(2026, 12, 10), 10).last_day == date(2026, 12, 20)  # a Sunday, kept
    assert within_days(COUNTY, date(2026, 12, 10), 10).last_day == date(2026, 12, 21)


def test_a_period_of_part_days_is_refused_and_a_missing_year_is_named() -> None:
    assert whole_days(timedelta(days=10)) == 10
    for wrong in (timedelta(hours=36), timedelta(0)):
        with pytest.raises(ValueError, match="whole number of days"):
            whole_days(wrong)
    assert COUNTY.missing_years(date(2026, 12, 7), date(2027, 2, 1)) == [
        y for y in (2026, 2027) if y not in COUNTY.policy.years
    ]
    assert re.fullmatch(r"\d{4}", str(COUNTY.policy.years[0]))
    assert datetime.combine(date(2026, 3, 13), time.min, COUNTY.tz) == within_days(COUNTY, date(2026, 3, 2), 10).due


def test_a_months_statistics_are_final_the_day_after_the_policys_days() -> None:
    """docs/indicators.md: November's figures are final from the start of 11 December (10 whole
    days after the month, the one period rule), provisional until then."""
    from services.command_centre.domain.board import StatisticsPolicy
    from services.command_centre.statistics import final_from
    from shared.county import default_county

    county = default_county()
    assert final_from(county, "2026-11", StatisticsPolicy()) == county.start_of(date(2026, 12, 11))
    # 10 days after 31 January 2026 is Tuesday 10 February: a working day, kept.
    assert final_from(county, "2026-01", StatisticsPolicy()) == county.start_of(date(2026, 2, 11))
