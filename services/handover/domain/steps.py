"""Staff steps on a handover and when each is refused (docs/domain.md §2).

An arrival is registered once, and only for a notice linked to a justice office (an unlinked
one is resolved first). The case it opens runs for the assistance period after a release, or
for community rehabilitation's longest term after a rehabilitation centre.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from services.handover.domain.policy import HandoverPolicy
from shared.county import County
from shared.periods import months_before


class StepRefused(ValueError):
    """The step does not fit the handover's state (HTTP 409)."""


def check_arrival(*, already_arrived_at: datetime | None, linked: bool) -> None:
    if already_arrived_at is not None:
        raise StepRefused("arrival is already registered")
    if not linked:
        raise StepRefused("resolve the unlinked notice first")


def case_years(kind: Literal["release", "rehab"], policy: HandoverPolicy) -> int:
    """How long the case an arrival opens runs: 帮教期 after prison, 社区康复 after rehabilitation."""
    return policy.assistance_period_years if kind == "release" else policy.aftercare_max_years


def late_notice(received_at: datetime, release_date: date, county: County, lead_months: int) -> dict[str, Any]:
    """前置化 (docs/domain.md §2): a notice received after the day `lead_months` calendar months
    before the release day (the county's days, docs/rules.md) is late; the receipt tells the
    prison, with the days it gave. Release on 31 March: in time up to 28 (29) February."""
    received = county.day_of(received_at)
    days = (release_date - received).days
    return {"late_notice": not months_before(county, release_date, lead_months).kept_on(received), "notice_days": days}
