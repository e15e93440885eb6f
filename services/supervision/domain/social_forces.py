"""Social forces (社会力量, docs/domain.md §2): the county's registry of social workers, volunteers
and social organisations who take part in correction and resettlement, with the time they serve.

The 2018 plan sets one social worker for every 50 released persons (policy `social_forces`); the
staffing rate is the share of that need an office's registered social workers cover.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["social_worker", "volunteer", "organisation"]
KIND_LABELS = {"social_worker": "社会工作者", "volunteer": "志愿者", "organisation": "社会组织"}


class SocialForcePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    persons_per_social_worker: int = Field(50, ge=1)  # 每50名刑释人员配备1名社会工作者


def social_workers_needed(released: int, policy: SocialForcePolicy) -> int:
    """How many social workers `released` persons call for (one per started block of the ratio)."""
    return math.ceil(released / policy.persons_per_social_worker) if released > 0 else 0


def staffing_rate(social_workers: int, released: int, policy: SocialForcePolicy) -> float | None:
    """The share of the social workers needed that are registered, at most 1; None with nobody to serve."""
    needed = social_workers_needed(released, policy)
    if needed == 0:
        return None
    return round(min(1.0, social_workers / needed), 3)
