"""The alert catalogue as policy (policy/alerts.yaml, BRIEF §4)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import AlertColour
from shared.policy import load_policy


class RulePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colour: AlertColour
    ack: timedelta
    dispose: timedelta
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    trigger: str | None = None
    live: bool = False


class AlertPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colours_by_severity: list[AlertColour]
    escalation_levels: list[str] = Field(min_length=1)
    rules: dict[str, RulePolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _all_colours(self) -> AlertPolicy:
        if sorted(self.colours_by_severity) != sorted(["red", "orange", "yellow", "blue"]):
            raise ValueError("colours_by_severity must list red, orange, yellow and blue once each")
        return self

    def rule_for_trigger(self, event_type: str) -> tuple[str, RulePolicy] | None:
        for rule_id, rule in self.rules.items():
            if rule.trigger == event_type and rule.live:
                return rule_id, rule
        return None


def load_alert_policy(policy_dir: Path) -> AlertPolicy:
    return load_policy(policy_dir / "alerts.yaml", AlertPolicy)
