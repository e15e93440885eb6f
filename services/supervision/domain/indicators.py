"""The monthly indicators of supervision's own work, per justice office (docs/domain.md §1, §3):
electronic positioning rate (电子定位率), aftercare rate (后续照管率: followed up in the month) and
abstinence rate (操守保持率: no positive test and no police record in the month)."""

from __future__ import annotations

import uuid
from typing import Any

from services.supervision.domain.aftercare import Followup, abstinent


def rate(part: int, whole: int) -> float | None:
    """A share to three places, or None when there is nothing to share."""
    return round(part / whole, 3) if whole else None


def by_office(
    corrections: dict[str, int],
    positioned: dict[str, int],
    aftercare: list[tuple[uuid.UUID, str]],
    followups: dict[uuid.UUID, list[Followup]],
) -> list[dict[str, Any]]:
    offices = sorted(set(corrections) | {office for _, office in aftercare})
    out = []
    for office in offices:
        mine = [case_id for case_id, o in aftercare if o == office]
        followed = sum(1 for case_id in mine if followups.get(case_id))
        clean = sum(1 for case_id in mine if abstinent(followups.get(case_id, [])))
        out.append(
            {
                "office": office,
                "corrections": corrections.get(office, 0),
                "positioning_rate": rate(positioned.get(office, 0), corrections.get(office, 0)),
                "aftercare_cases": len(mine),
                "aftercare_rate": rate(followed, len(mine)),
                "abstinence_rate": rate(clean, len(mine)),
            }
        )
    return out
