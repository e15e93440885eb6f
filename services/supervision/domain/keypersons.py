"""The monthly key-person determination (一月一认定).

Each month each justice office re-decides who is a key person (重点人员) from the latest risk
result and the behaviour of the month just ended; listed key persons get a conversion target (挂牌转化).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.supervision.domain.policy import KeyPersonPolicy
from shared.county import County


def judged_month(county: County, month: str) -> tuple[datetime, datetime]:
    """The behaviour a month's list weighs: the whole month just ended (D6, docs/rules.md). The
    list for March is proposed in its first days from all of February, never from the days of
    March before it was confirmed."""
    start, _ = county.month_bounds(month)
    return county.month_bounds(county.month_of(start - timedelta(microseconds=1)))


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    risk_level: str | None
    sanctions: int = 0  # in the month
    serious_alerts: int = 0  # red or orange signals in the month


@dataclass(frozen=True)
class KeyPerson:
    person_id: uuid.UUID
    reasons: list[str] = field(default_factory=list)
    target_zh: str = ""


def reasons_for(c: Candidate, policy: KeyPersonPolicy) -> list[str]:
    reasons = []
    if c.risk_level in policy.risk_levels:
        reasons.append(f"risk:{c.risk_level}")
    if c.sanctions >= policy.sanctions_in_month:
        reasons.append(f"sanctions:{c.sanctions}")
    if c.serious_alerts >= policy.serious_alerts_in_month:
        reasons.append(f"serious_alerts:{c.serious_alerts}")
    return reasons


TARGETS_ZH = {
    "risk": "降低风险等级至中及以下",
    "sanctions": "本月无新的违规处罚",
    "serious_alerts": "本月无红色、橙色预警",
}


def determine(candidates: list[Candidate], policy: KeyPersonPolicy) -> list[KeyPerson]:
    listed = []
    for c in candidates:
        reasons = reasons_for(c, policy)
        if reasons:
            target = "；".join(TARGETS_ZH[r.split(":")[0]] for r in reasons)
            listed.append(KeyPerson(c.person_id, reasons, target))
    return listed


class KeyPersonsRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# The conversion target of a person the office lists on its own judgment.
OFFICE_TARGET_ZH = "按司法所认定事由落实转化措施"


def edited(
    proposed: list[KeyPerson], *, removed: dict[uuid.UUID, str], added: dict[uuid.UUID, str], in_office: set[uuid.UUID]
) -> list[KeyPerson]:
    """The office's list from the proposal: some taken off, some put on, each with its reason
    (the office decides; the proposal from risk and behaviour only proposes)."""
    listed = {k.person_id: k for k in proposed}
    for person, reason in removed.items():
        if person not in listed:
            raise KeyPersonsRefused("removed", f"{person} is not on the proposed list")
        if not reason.strip():
            raise KeyPersonsRefused("removed", "taking a person off the list needs the reason")
    for person, reason in added.items():
        if person in listed:
            raise KeyPersonsRefused("added", f"{person} is on the proposed list already")
        if person not in in_office:
            raise KeyPersonsRefused("added", f"{person} has no open case in this office")
        if not reason.strip():
            raise KeyPersonsRefused("added", "putting a person on the list needs the reason")
    kept = [k for k in proposed if k.person_id not in removed]
    return kept + [KeyPerson(p, [f"office:{reason.strip()}"], OFFICE_TARGET_ZH) for p, reason in added.items()]


def previous_month(month: str) -> str:
    """'2026-01' → '2025-12'."""
    year, mon = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def newly_determined(listed: list[KeyPerson], previous: set[uuid.UUID]) -> list[KeyPerson]:
    """Those on this month's list who were not on the office's previous one (新认定): an office's
    first list makes everyone on it new."""
    return [k for k in listed if k.person_id not in previous]
