"""Alert identity and raising: one alert per (rule, person, cause), whatever order signals come in.

`on_signal` turns a signal into actions against what is known of the person's alerts. It is
pure and order-independent: any interleaving and duplication of the same signals ends in the
same alerts (same ids, rules, colours, evidence) — the property test holds it to that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.alerting.domain.policy import AlertPolicy, RulePolicy
from shared.events import AlertData, Signal

_ALERT_NS = uuid.UUID("3c2b7e90-5f1a-4d8e-b6a4-9e0d1c2f3a57")


def alert_id(rule_id: str, person_id: uuid.UUID, cause: str) -> uuid.UUID:
    """Stable: the same rule firing for the same person and cause gives the same id."""
    return uuid.uuid5(_ALERT_NS, f"{rule_id}|{person_id}|{cause}")


@dataclass(frozen=True)
class Known:
    """What the engine needs to know of one of the person's existing alerts."""

    alert_id: uuid.UUID
    rule_id: str
    cause: str
    colour: str
    status: str
    raised_at: datetime


@dataclass(frozen=True)
class Raise:
    alert: AlertData
    cause: str


@dataclass(frozen=True)
class AddEvidence:
    alert_id: uuid.UUID
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Recolour:
    alert_id: uuid.UUID
    colour: str
    reason: str


Action = Raise | AddEvidence | Recolour


def new_alert(
    rule_id: str,
    rule: RulePolicy,
    policy: AlertPolicy,
    *,
    person_id: uuid.UUID,
    cause: str,
    jurisdiction: str,
    raised_at: datetime,
    evidence: list[str],
    colour: str | None = None,
) -> AlertData:
    """A new alert; deadlines run from when the cause was observed, not from when we saw it."""
    colour = colour or rule.colour
    level = policy.escalation_levels[0]
    draft = AlertData(
        alert_id=alert_id(rule_id, person_id, cause),
        person_id=person_id,
        colour=colour,
        rule_id=rule_id,
        title_zh=rule.title_zh,
        title_en=rule.title_en,
        raised_at=raised_at,
        ack_due_at=raised_at + rule.ack,
        dispose_due_at=raised_at + rule.dispose,
        status="open",
        jurisdiction=jurisdiction,
        evidence=list(dict.fromkeys(evidence)),
        actor="system",
        version=1,
        level=level,
    )
    return draft.model_copy(update={"notify": notify_targets(draft, policy)})


def notify_targets(alert: AlertData, policy: AlertPolicy) -> list[str]:
    """Every alert to its justice office; red and orange also to the county; escalations upward."""
    names = [*policy.routing.always, *policy.routing.by_colour.get(alert.colour, [])]
    if alert.level and alert.level != policy.escalation_levels[0]:
        names.append(alert.level)
    return list(dict.fromkeys(f"office:{alert.jurisdiction}" if n == "justice_office" else n for n in names))


@dataclass
class Decision:
    actions: list[Action] = field(default_factory=list)

    def raised(self) -> list[AlertData]:
        return [a.alert for a in self.actions if isinstance(a, Raise)]


def on_signal(policy: AlertPolicy, event_type: str, signal: Signal, known: list[Known]) -> Decision:
    decision = Decision()
    by_id = {k.alert_id: k for k in known}
    for rule_id, rule in policy.rules_for_trigger(event_type):
        if rule.when is not None and float(getattr(signal, rule.when.field)) < rule.when.min:
            continue
        aid = alert_id(rule_id, signal.person_id, signal.cause)
        if aid in by_id:
            decision.actions.append(AddEvidence(aid, tuple(signal.evidence)))
            continue
        colour: str = rule.colour
        if rule.colour_if is not None and getattr(signal, rule.colour_if.field) == rule.colour_if.equals:
            colour = _worse(policy, colour, rule.colour_if.colour)
        if rule.repeat is not None:
            colour = _apply_repeat(policy, rule_id, rule, aid, signal.observed_at, colour, known, decision)
        alert = new_alert(
            rule_id,
            rule,
            policy,
            person_id=signal.person_id,
            cause=signal.cause,
            jurisdiction=signal.jurisdiction,
            raised_at=signal.observed_at,
            evidence=list(signal.evidence),
            colour=colour,
        )
        decision.actions.append(Raise(alert, signal.cause))
        known = [*known, Known(aid, rule_id, signal.cause, colour, "open", signal.observed_at)]
        by_id[aid] = known[-1]
    _correlate(policy, signal, known, decision)
    return decision


def _apply_repeat(
    policy: AlertPolicy,
    rule_id: str,
    rule: RulePolicy,
    aid: uuid.UUID,
    at: datetime,
    colour: str,
    known: list[Known],
    decision: Decision,
) -> str:
    """The later of two firings within the window takes the repeat colour, whichever arrives first."""
    assert rule.repeat is not None
    for k in known:
        if k.rule_id != rule_id or k.alert_id == aid or abs(k.raised_at - at) > rule.repeat.within:
            continue
        if (k.raised_at, str(k.alert_id)) < (at, str(aid)):
            colour = _worse(policy, colour, rule.repeat.colour)
        elif policy.severity(k.colour) < policy.severity(rule.repeat.colour) and k.status != "closed":
            decision.actions.append(
                Recolour(k.alert_id, rule.repeat.colour, f"repeat of {rule_id} within {rule.repeat.within}")
            )
    return colour


def _correlate(policy: AlertPolicy, signal: Signal, known: list[Known], decision: Decision) -> None:
    for corr in policy.correlations:
        open_parts = sorted({k.rule_id for k in known if k.rule_id in corr.components and k.status != "closed"})
        if len(open_parts) < corr.at_least:
            continue
        # One combined alert per generation: a new picture after the last one was closed is a new cause.
        generation = sum(
            1 for k in known if k.rule_id == corr.rule and k.cause.startswith("combined:") and k.status == "closed"
        )
        cause = f"combined:{generation}"
        aid = alert_id(corr.rule, signal.person_id, cause)
        parts = sorted(str(k.alert_id) for k in known if k.rule_id in corr.components and k.status != "closed")
        if any(k.alert_id == aid for k in known) or any(
            isinstance(a, Raise) and a.alert.alert_id == aid for a in decision.actions
        ):
            decision.actions.append(AddEvidence(aid, tuple(parts)))
            continue
        rule = policy.rules[corr.rule]
        decision.actions.append(
            Raise(
                new_alert(
                    corr.rule,
                    rule,
                    policy,
                    person_id=signal.person_id,
                    cause=cause,
                    jurisdiction=signal.jurisdiction,
                    raised_at=signal.observed_at,
                    evidence=parts,
                ),
                cause,
            )
        )


def _worse(policy: AlertPolicy, a: str, b: str) -> str:
    return a if policy.severity(a) >= policy.severity(b) else b
