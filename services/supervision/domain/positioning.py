"""Electronic positioning (电子定位): a record of its own, apart from phone checks.

The law allows it on one of five grounds only, approved by the county bureau's head (the
authority model's `positioning.approve`), for a term of at most three months, renewable after a
review (社区矫正法 §29; docs/domain.md, "Electronic positioning").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.supervision.domain.policy import PositioningPolicy
from shared.calendar import add_months

GROUNDS: dict[str, dict[str, str]] = {
    "prohibition_order_breach": {"zh": "违反人民法院禁止令", "en": "broke a court prohibition order"},
    "left_county_without_leave": {
        "zh": "无正当理由未经批准离开所居住的市、县",
        "en": "left the county without approval",
    },
    "refused_report_after_warning": {
        "zh": "拒不按照规定报告自己的活动情况，被给予警告",
        "en": "refused to report after a warning",
    },
    "police_penalty": {
        "zh": "违反监督管理规定，被给予治安管理处罚",
        "en": "police penalty for breaking supervision rules",
    },
    "revocation_pending": {"zh": "拟提请撤销缓刑、假释或者暂予监外执行收监执行", "en": "a revocation being prepared"},
}


class PositioningRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Term:
    starts_on: date
    ends_on: date
    notice_on: date  # positioning_term_ending is raised on this day


def first_term(*, ground: str, starts_on: date, policy: PositioningPolicy) -> Term:
    if ground not in GROUNDS:
        raise PositioningRefused("ground", f"'{ground}' is not one of the five legal grounds: {', '.join(GROUNDS)}")
    return term_from(starts_on, policy)


def term_from(starts_on: date, policy: PositioningPolicy) -> Term:
    ends_on = add_months(starts_on, policy.term_months)
    notice_on = min(starts_on + timedelta(days=policy.ending_notice_day - 1), ends_on)
    return Term(starts_on, ends_on, notice_on)


def renewal(*, current_end: date, reviewed: bool, review_note: str | None, policy: PositioningPolicy) -> Term:
    """A new term from the end of the current one, only after a review."""
    if not reviewed or not (review_note or "").strip():
        raise PositioningRefused("review_note", "a renewal needs the review's conclusion")
    return term_from(current_end, policy)
