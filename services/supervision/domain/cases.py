"""Opening a case: its kind, status and term, from what opened it (docs/domain.md §1–§3).

A court's order opens a community-correction case awaiting intake (待报到). An arrival after
release opens a resettlement case (安置帮教, non-coercive, for the assistance period) under
supervision at once: arriving is reporting. An arrival after compulsory rehabilitation opens an
aftercare case (后续照管); with community rehabilitation (社区康复) it awaits the person's report,
due a policy window after the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from shared.calendar import add_years
from shared.county import County
from shared.periods import within_days

CaseKind = Literal["community_correction", "resettlement", "aftercare"]
CaseStatus = Literal["awaiting_intake", "under_supervision"]


@dataclass(frozen=True)
class OpenedCase:
    kind: CaseKind
    status: CaseStatus
    community_rehabilitation: bool
    term_start: date
    term_end: date
    rehab_report_due: datetime | None  # 社区康复: the report is due by then


def after_arrival(
    *,
    handover_kind: Literal["release", "rehab"],
    arrived_at: datetime,
    release_date: date,
    case_years: int,
    community_rehabilitation: bool,
    rehab_report_within: timedelta,
    county: County,
) -> OpenedCase:
    """The case an arrival opens (the handover says which kind and how many years). The 社区康复
    report is due within its days of the release, the last day in full (docs/rules.md)."""
    kind: CaseKind = "resettlement" if handover_kind == "release" else "aftercare"
    rehab = kind == "aftercare" and community_rehabilitation
    start = county.day_of(arrived_at)
    due = within_days(county, release_date, rehab_report_within).due if rehab else None
    return OpenedCase(
        kind=kind,
        status="awaiting_intake" if rehab else "under_supervision",
        community_rehabilitation=rehab,
        term_start=start,
        term_end=add_years(start, case_years),
        rehab_report_due=due,
    )
