"""The individual correction plan (个案矫正方案, docs/domain.md §1), and the help plan of a released
person (帮教计划, §2): made within `made_within` of intake (of arrival, for a released person),
approved by someone other than who made it, and reviewed when the level changes (within
`made_within` again) or `review_every` after its approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.county import County
from shared.periods import WholeDays, within_days

ItemKind = Literal[
    "group_education",  # 集中教育
    "individual_education",  # 个别教育
    "online_study",  # 在线学习
    "community_service",  # 公益活动
    "psychological",  # 心理评估与辅导
    "vocational",  # 职业技能培训
    "family_support",  # 家庭支持
    "target",  # 挂牌转化 (key persons)
    "employment_help",  # 就业帮扶 (帮教计划)
    "social_assistance",  # 社会救助 (帮教计划)
    "regular_visits",  # 定期走访 (帮教计划)
]

# The cases that have a plan, and the policy each follows: 个案矫正方案 for community corrections,
# 帮教计划 for released persons under resettlement (docs/domain.md §1 and §2).
PLANNED_KINDS = ("community_correction", "resettlement")


class PlanPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    made_within: WholeDays = timedelta(days=30)  # after intake, and after a level change
    review_every: WholeDays = timedelta(days=182)


@dataclass(frozen=True)
class PlanState:
    current: bool  # an approved plan that is not yet due for review
    due_on: date  # when the next plan (or review) is due, the county's day


def plan_state(
    *,
    intake_on: date,
    approved_on: date | None,
    level_changed_on: date | None,
    today: date,
    policy: PlanPolicy,
    county: County,
) -> PlanState:
    """Whether the case has a current plan on `today`, and when the next one is due: the last day
    of the period, counted by the one rule (docs/rules.md). A plan made after it is late."""

    def last_day(start: date, period: timedelta) -> date:
        return within_days(county, start, period).last_day

    if approved_on is None:
        return PlanState(False, last_day(intake_on, policy.made_within))
    due = last_day(approved_on, policy.review_every)
    if level_changed_on is not None and level_changed_on > approved_on:  # the level changed: review it
        due = min(due, last_day(level_changed_on, policy.made_within))
    return PlanState(today <= due, due)  # the plan in force stays current until its review is due


def late(due_on: date, made_on: date | None, today: date) -> bool:
    """Past its day with no plan made by then (made on the day itself is in time)."""
    if made_on is not None:
        return made_on > due_on
    return today > due_on
