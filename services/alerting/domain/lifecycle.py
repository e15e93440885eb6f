"""An alert's life: open → acknowledged → disposed (核实 → 处置 → 跟踪) → closed, and escalation.

Each step returns the alert's next state (version + 1) with who, when and why, or raises.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.alerting.domain.alerts import notify_targets
from services.alerting.domain.policy import AlertPolicy
from shared.events import AlertData, DisposalSteps, SearchOutcome


class LifecycleError(Exception):
    """The step does not fit the alert's state (HTTP 409)."""


class BadReason(ValueError):
    """An unknown disposal reason code (HTTP 422)."""


def _next(alert: AlertData, **changes: Any) -> AlertData:
    return alert.model_copy(update={**changes, "version": alert.version + 1})


def acknowledge(alert: AlertData, *, actor: str, at: datetime, note: str | None = None) -> AlertData:
    if alert.status not in ("open", "escalated"):
        raise LifecycleError(f"cannot acknowledge an alert that is {alert.status}")
    return _next(
        alert,
        status="acknowledged",
        acknowledged_at=alert.acknowledged_at or at,
        actor=actor,
        reason="acknowledged",
        note=note,
        notify=[],
    )


def dispose(
    alert: AlertData,
    policy: AlertPolicy,
    *,
    actor: str,
    at: datetime,
    reason_code: str,
    note: str | None,
    steps: DisposalSteps | None = None,
) -> AlertData:
    if alert.status not in ("open", "acknowledged", "escalated"):
        raise LifecycleError(f"cannot dispose of an alert that is {alert.status}")
    if reason_code not in policy.disposal_reasons:
        raise BadReason(f"reason_code must be one of {sorted(policy.disposal_reasons)}")
    return _next(
        alert,
        status="disposed",
        disposed_at=at,
        acknowledged_at=alert.acknowledged_at or at,
        actor=actor,
        reason="disposed",
        reason_code=reason_code,
        note=note,
        disposal=steps,
        notify=[],
    )


def close_action(alert: AlertData, policy: AlertPolicy) -> str:
    """The authority model's action that closing this alert takes: the serious colours need a
    supervisor's sign-off (policy `close_needs_supervisor`; who signs is `alert.close_serious`)."""
    return "alert.close_serious" if alert.colour in policy.close_needs_supervisor else "alert.close"


def close(alert: AlertData, *, actor: str, at: datetime, note: str | None) -> AlertData:
    if alert.status != "disposed":
        raise LifecycleError(f"only a disposed alert can be closed; this one is {alert.status}")
    return _next(alert, status="closed", closed_at=at, actor=actor, reason="closed", note=note, notify=[])


def escalate(alert: AlertData, policy: AlertPolicy, *, at: datetime, why: str) -> AlertData | None:
    """One colour up and the next level told; None when there is nothing left to escalate."""
    if alert.status in ("disposed", "closed"):
        return None
    level = alert.level or policy.escalation_levels[0]
    colour, new_level = policy.colour_up(alert.colour), policy.level_up(level)
    if colour == alert.colour and new_level == level:
        return None
    changes = dict(colour=colour, level=new_level, status="escalated", actor="system", reason=why)
    if why == "not acknowledged in time":
        changes["ack_due_at"] = at + policy.ack_by_colour[colour]  # type: ignore[index]
    nxt = _next(alert, **changes)
    return nxt.model_copy(update={"notify": notify_targets(nxt, policy)})


def recolour(alert: AlertData, policy: AlertPolicy, *, colour: str, why: str) -> AlertData | None:
    """Raise the colour only (repeat and upgrade rules); None if it would not be worse."""
    if alert.status in ("disposed", "closed") or policy.severity(colour) <= policy.severity(alert.colour):
        return None
    nxt = _next(alert, colour=colour, actor="system", reason=why)
    return nxt.model_copy(update={"notify": notify_targets(nxt, policy)})


def withdrawn(alert: AlertData, *, at: datetime, why: str) -> AlertData | None:
    """The service that signalled it judged again and found no breach (a month's hours confirmed
    late, docs/rules.md): the alert closes by itself, saying why; a closed one stays as it is."""
    if alert.status == "closed":
        return None
    return _next(alert, status="closed", closed_at=at, actor="system", reason=f"withdrawn: {why}", note=why, notify=[])


def transferred(alert: AlertData, *, office: str, actor: str) -> AlertData | None:
    """The person's case moved to another office: an alert not yet closed goes with it."""
    if alert.status == "closed" or alert.jurisdiction == office:
        return None
    return _next(
        alert, jurisdiction=office, actor=actor, reason=f"transferred: {alert.jurisdiction} → {office}", notify=[]
    )


def search_answered(alert: AlertData, *, outcome: SearchOutcome) -> AlertData | None:
    """The police's answer to the search the alert opened, on the alert (its disposal record shows
    it); a repeat of the answer already kept changes nothing."""
    if alert.search == outcome:
        return None
    return _next(alert, search=outcome, actor=outcome.police_unit, reason=f"search: {outcome.outcome}", notify=[])
