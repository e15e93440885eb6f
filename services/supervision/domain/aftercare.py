"""Aftercare (后续照管) and community rehabilitation (社区康复), docs/domain.md §3.

A phone call every month and a visit every quarter; each follow-up records any drug test. The
abstinence status (操守保持) holds while the period has no positive test and no police record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.supervision.domain.policy import AftercarePolicy
from services.supervision.domain.positioning import months_after_exact

FollowupKind = Literal["phone", "visit"]
DrugTest = Literal["negative", "positive", "refused", "not_tested"]


@dataclass(frozen=True)
class Followup:
    kind: FollowupKind
    at: datetime
    drug_test: DrugTest = "not_tested"
    police_record: bool = False


def next_due(kind: FollowupKind, last: datetime, policy: AftercarePolicy) -> datetime:
    months = policy.phone_every_months if kind == "phone" else policy.visit_every_months
    return datetime.combine(months_after_exact(last.date(), months), last.timetz())


def abstinent(followups: list[Followup]) -> bool:
    """操守保持: no positive (or refused) test and no police record among the period's follow-ups."""
    return not any(f.drug_test in ("positive", "refused") or f.police_record for f in followups)


def trip_needs_report(days: int, policy: AftercarePolicy) -> bool:
    return days >= policy.unreported_trip_days


def serious_breach(unreported_trips: int, policy: AftercarePolicy) -> bool:
    return unreported_trips >= policy.serious_unreported_trips
