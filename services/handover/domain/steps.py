"""Staff steps on a handover and when each is refused (docs/domain.md §2).

An arrival is registered once, and only for a notice linked to a justice office (an unlinked
one is resolved first). The case it opens runs for the assistance period after a release, or
for community rehabilitation's longest term after a rehabilitation centre.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from services.handover.domain.policy import HandoverPolicy


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
