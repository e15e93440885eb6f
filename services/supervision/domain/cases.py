"""Opening a case: its kind, status and term, from what opened it (docs/domain.md §1–§3).

A court's order opens a community-correction case awaiting intake (待报到). An arrival after
release opens a resettlement case (安置帮教, non-coercive, for the assistance period) under
supervision at once: arriving is reporting. An arrival after compulsory rehabilitation opens an
aftercare case (后续照管), under supervision at once too: arriving is 社区康复's report, and the
handover watches for whoever does not come (docs/rules.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from shared.calendar import add_years
from shared.county import County

CaseKind = Literal["community_correction", "resettlement", "aftercare"]
CaseStatus = Literal["awaiting_intake", "under_supervision"]
ACTIVE: tuple[CaseStatus, ...] = ("awaiting_intake", "under_supervision")  # a case that is open


@dataclass(frozen=True)
class OpenedCase:
    kind: CaseKind
    status: CaseStatus
    community_rehabilitation: bool
    term_start: date
    term_end: date


def after_arrival(
    *,
    handover_kind: Literal["release", "rehab"],
    arrived_at: datetime,
    case_years: int,
    community_rehabilitation: bool,
    county: County,
) -> OpenedCase:
    """The case an arrival opens (the handover says which kind and how many years). Arriving at the
    office is reporting, 社区康复 too: whoever does not come within the window is the handover's
    `rehab_arrival_missed` (docs/rules.md)."""
    kind: CaseKind = "resettlement" if handover_kind == "release" else "aftercare"
    start = county.day_of(arrived_at)
    return OpenedCase(
        kind=kind,
        status="under_supervision",
        community_rehabilitation=kind == "aftercare" and community_rehabilitation,
        term_start=start,
        term_end=add_years(start, case_years),
    )
