"""Sanction suggestions (docs/domain.md §1, "Sanctions"): what the rules would point staff to,
with the evidence, for a person to decide. Nothing here decides: staff record a sanction through
the authority model, and a suggestion only helps them see why.

训诫 for 脱管 up to 10 days or a month short of the study and service hours owed; 警告 for more
than 10 days, two admonitions, or a breach of a prohibition order; 提请撤销 for more than a month
or two warnings (policy `sanction_suggestions`).
Evidence a sanction has answered already does not count again: an episode of 脱管 before the
last sanction, admonitions before the last warning, warnings before the last proposal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from services.supervision.domain.policy import SanctionSuggestionPolicy

Kind = Literal["admonition", "warning", "revocation_proposal"]
SEVERITY: tuple[Kind, ...] = ("admonition", "warning", "revocation_proposal")


@dataclass(frozen=True)
class Absconding:
    """An episode of 脱管: from the last sign of life before contact was lost to the first after
    (None: not found yet)."""

    since: datetime
    until: datetime | None = None

    def length(self, now: datetime) -> timedelta:
        return (self.until or now) - self.since


@dataclass(frozen=True)
class SanctionEvidence:
    sanctions: list[tuple[Kind, datetime]] = field(default_factory=list)  # this case's, any order
    absconding: list[Absconding] = field(default_factory=list)
    prohibition_breaches: list[datetime] = field(default_factory=list)  # exclusion zones entered (违反禁止令)
    short_months: list[datetime] = field(default_factory=list)  # months ended short of the hours owed


@dataclass(frozen=True)
class Reason:
    """One piece of evidence, for the console to word: `code` with its number and its time."""

    code: Literal["absconded", "admonitions", "warnings", "prohibition_breach", "hours_short"]
    count: float
    at: datetime | None = None


@dataclass(frozen=True)
class Suggestion:
    kind: Kind
    reasons: list[Reason]


def _last(sanctions: list[tuple[Kind, datetime]], kinds: tuple[Kind, ...]) -> datetime | None:
    times = [at for kind, at in sanctions if kind in kinds]
    return max(times) if times else None


def _after(at: datetime, since: datetime | None) -> bool:
    return since is None or at > since


def suggest(evidence: SanctionEvidence, policy: SanctionSuggestionPolicy, now: datetime) -> Suggestion | None:
    """The most severe sanction the evidence points to, with every reason for it; None if none."""
    last_any = _last(evidence.sanctions, SEVERITY)
    last_warning_or_more = _last(evidence.sanctions, ("warning", "revocation_proposal"))
    last_proposal = _last(evidence.sanctions, ("revocation_proposal",))
    reasons: dict[Kind, list[Reason]] = {kind: [] for kind in SEVERITY}

    for episode in evidence.absconding:
        if not _after(episode.since, last_any):
            continue
        length = episode.length(now)
        days = round(length / timedelta(days=1), 1)
        if length > policy.revocation_after:
            reasons["revocation_proposal"].append(Reason("absconded", days, episode.since))
        elif length > policy.warning_after:
            reasons["warning"].append(Reason("absconded", days, episode.since))
        elif length > timedelta(0):
            reasons["admonition"].append(Reason("absconded", days, episode.since))

    admonitions = [at for kind, at in evidence.sanctions if kind == "admonition" and _after(at, last_warning_or_more)]
    if len(admonitions) >= policy.admonitions_for_warning:
        reasons["warning"].append(Reason("admonitions", len(admonitions), max(admonitions)))
    warnings = [at for kind, at in evidence.sanctions if kind == "warning" and _after(at, last_proposal)]
    if len(warnings) >= policy.warnings_for_revocation:
        reasons["revocation_proposal"].append(Reason("warnings", len(warnings), max(warnings)))
    short = [at for at in evidence.short_months if _after(at, last_any)]
    if len(short) >= policy.short_months_for_admonition:
        reasons["admonition"].append(Reason("hours_short", len(short), max(short)))
    breaches = [at for at in evidence.prohibition_breaches if _after(at, last_warning_or_more)]
    if breaches:
        reasons["warning"].append(Reason("prohibition_breach", len(breaches), max(breaches)))

    for kind in reversed(SEVERITY):
        if reasons[kind]:
            return Suggestion(kind, reasons[kind])
    return None
