"""The alert catalogue as policy (policy/alerts.yaml, docs/domain.md §4)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import EVENT_TYPES, AlertColour, Signal
from shared.policy import load_policy

COLOURS = ("red", "orange", "yellow", "blue")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MinCondition(_Strict):
    field: str
    min: float


class ColourIf(_Strict):
    field: str
    equals: str | int | bool
    colour: AlertColour


class Repeat(_Strict):
    within: timedelta
    colour: AlertColour


class RulePolicy(_Strict):
    colour: AlertColour
    ack: timedelta
    dispose: timedelta
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    # The signal event type that raises it, or several (risk_high: a risk rising to high, and a
    # key person newly determined; docs/domain.md §4).
    trigger: str | tuple[str, ...] | None = None
    when: MinCondition | None = None
    colour_if: ColourIf | None = None
    repeat: Repeat | None = None
    upgrade_after: timedelta | None = None
    # The signal that withdraws the alert its trigger raised for the same cause (the service judged
    # again and found no breach); the alert closes by itself.
    withdrawn_by: str | None = None

    @property
    def triggers(self) -> tuple[str, ...]:
        if self.trigger is None:
            return ()
        return (self.trigger,) if isinstance(self.trigger, str) else self.trigger

    @model_validator(mode="after")
    def _trigger_is_a_signal(self) -> RulePolicy:
        for trigger in self.triggers:
            et = EVENT_TYPES.get(trigger)
            if et is None or not issubclass(et.data, Signal):
                raise ValueError(f"trigger {trigger!r} is not a known signal event type")
        if self.trigger is not None and not self.triggers:
            raise ValueError("trigger lists no event type")
        if self.withdrawn_by is not None:
            et = EVENT_TYPES.get(self.withdrawn_by)
            if et is None or not issubclass(et.data, Signal):
                raise ValueError(f"withdrawn_by {self.withdrawn_by!r} is not a known signal event type")
        return self


class DisposalReason(_Strict):
    zh: str
    en: str
    unfounded: bool


class Correlation(_Strict):
    rule: str
    components: list[str] = Field(min_length=2)
    at_least: int = Field(ge=2)


class Routing(_Strict):
    always: list[str]
    by_colour: dict[AlertColour, list[str]] = {}


class Notifications(_Strict):
    max_attempts: int = Field(ge=1)
    silent_after: timedelta


class AlertPolicy(_Strict):
    colours_by_severity: list[AlertColour]
    escalation_levels: list[str] = Field(min_length=1)
    ack_by_colour: dict[AlertColour, timedelta]
    dispose_escalation_factor: float = Field(gt=0)
    close_needs_supervisor: list[AlertColour]
    disposal_reasons: dict[str, DisposalReason] = Field(min_length=1)
    correlations: list[Correlation] = []
    routing: Routing
    notifications: Notifications
    rules: dict[str, RulePolicy] = Field(min_length=1)
    # 协助查找: a red alert of these rules asks the police to find the person (contract §6.2).
    search_request_on: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> AlertPolicy:
        if sorted(self.colours_by_severity) != sorted(COLOURS):
            raise ValueError("colours_by_severity must list red, orange, yellow and blue once each")
        if set(self.ack_by_colour) != set(COLOURS):
            raise ValueError("ack_by_colour needs a deadline for each colour")
        if unknown_search := set(self.search_request_on) - set(self.rules):
            raise ValueError(f"search_request_on names unknown rules: {sorted(unknown_search)}")
        for c in self.correlations:
            unknown = {c.rule, *c.components} - set(self.rules)
            if unknown:
                raise ValueError(f"correlation names unknown rules: {sorted(unknown)}")
        return self

    def rules_withdrawn_by(self, event_type: str) -> list[str]:
        return [rule_id for rule_id, rule in self.rules.items() if rule.withdrawn_by == event_type]

    @property
    def withdrawals(self) -> set[str]:
        return {r.withdrawn_by for r in self.rules.values() if r.withdrawn_by}

    def rules_for_trigger(self, event_type: str) -> list[tuple[str, RulePolicy]]:
        return [(rule_id, rule) for rule_id, rule in self.rules.items() if event_type in rule.triggers]

    @property
    def triggers(self) -> set[str]:
        return {t for r in self.rules.values() for t in r.triggers}

    def severity(self, colour: str) -> int:
        return self.colours_by_severity.index(colour)  # type: ignore[arg-type]

    def colour_up(self, colour: str) -> str:
        i = self.severity(colour)
        return self.colours_by_severity[min(i + 1, len(self.colours_by_severity) - 1)]

    def level_up(self, level: str) -> str:
        i = self.escalation_levels.index(level)
        return self.escalation_levels[min(i + 1, len(self.escalation_levels) - 1)]


def load_alert_policy(policy_dir: Path) -> AlertPolicy:
    return load_policy(policy_dir / "alerts.yaml", AlertPolicy)
