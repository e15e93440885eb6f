"""Aftercare (后续照管) and community rehabilitation (社区康复), docs/domain.md §3.

A phone call every month and a visit every quarter; each follow-up records any drug test. The
abstinence status (操守保持) holds while the period has no positive test and no police record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from services.supervision.domain.policy import AftercarePolicy
from shared.calendar import add_months

FollowupKind = Literal["phone", "visit"]
DrugTest = Literal["negative", "positive", "refused", "not_tested"]


@dataclass(frozen=True)
class Followup:
    kind: FollowupKind
    at: datetime
    drug_test: DrugTest = "not_tested"
    police_record: bool = False


def period_of(kind: FollowupKind, day: date, policy: AftercarePolicy) -> tuple[date, date]:
    """The calendar period `day` is in, for a kind of follow-up: its first day and the first day of
    the next. A phone call each calendar month, a visit each calendar quarter (policy's months,
    counted from January), never "a month after the last, at the same time" (D8, docs/rules.md)."""
    months = policy.phone_every_months if kind == "phone" else policy.visit_every_months
    first = date(day.year, (day.month - 1) // months * months + 1, 1)
    return first, add_months(first, months)


def counts_for(kind: FollowupKind, done: FollowupKind, policy: AftercarePolicy) -> bool:
    """Whether a follow-up of kind `done` keeps the period of `kind`: a visit is contact too, so it
    keeps the month's phone call when the policy says so."""
    return done == kind or (kind == "phone" and policy.visit_counts_as_phone)


def abstinent(followups: list[Followup]) -> bool:
    """操守保持: no positive (or refused) test and no police record among the period's follow-ups."""
    return not any(f.drug_test in ("positive", "refused") or f.police_record for f in followups)


def abstinence_kept(followups: list[Followup]) -> bool:
    """操守保持 for the period's rate (docs/indicators.md): shown, not assumed — at least one
    negative drug test in the period, and no positive or refused test and no police record."""
    return any(f.drug_test == "negative" for f in followups) and abstinent(followups)


def trip_needs_report(days: int, policy: AftercarePolicy) -> bool:
    return days >= policy.unreported_trip_days


@dataclass(frozen=True)
class Trip:
    days: int
    reported: bool


def serious_breaches(trips: list[Trip], followups: list[Followup], policy: AftercarePolicy) -> dict[str, int]:
    """社区康复's serious breaches (docs/domain.md §3), each with the count that crossed its number:
    ≥ 3 unreported trips, a trip of more than 30 days, ≥ 3 dodged drug tests (policy)."""
    found: dict[str, int] = {}
    unreported = sum(1 for t in trips if not t.reported)
    if unreported >= policy.serious_unreported_trips:
        found["unreported_trips"] = unreported
    longest = max((t.days for t in trips), default=0)
    if longest > policy.serious_days_away:
        found["days_away"] = longest
    dodged = sum(1 for f in followups if f.drug_test == "refused")
    if dodged >= policy.serious_dodged_tests:
        found["dodged_tests"] = dodged
    return found
