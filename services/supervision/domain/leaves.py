"""Leave (请假外出): who may approve it, and when it covers a moment.

A justice office approves up to 7 days for its own cases; longer needs the county; no leave is
longer than 30 days (policy; docs/domain.md, "Leave"). Who holds each level is the authority
model's (`leave.approve`, `leave.approve_long`). While a leave runs, being outside the county is
no breach; its end re-arms the rule (a fix outside one second after the end breaches).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.supervision.domain.policy import LeavePolicy

ApprovalLevel = Literal["justice_office", "county"]


class LeaveRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Leave:
    leave_id: uuid.UUID
    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at <= self.end


def needed_level(*, start: datetime, end: datetime, policy: LeavePolicy) -> ApprovalLevel:
    """The lowest level that may approve this leave, or raise why no one may."""
    if end <= start:
        raise LeaveRefused("end", "the leave must end after it starts")
    length = end - start
    if length > policy.longest:
        raise LeaveRefused("end", f"a leave is at most {policy.longest.days} days")
    return "county" if length > policy.office_may_approve_up_to else "justice_office"


def on_leave(leaves: Iterable[Leave], at: datetime) -> bool:
    return any(leave.covers(at) for leave in leaves)
