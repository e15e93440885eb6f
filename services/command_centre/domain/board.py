"""What the duty board does for a shift (policy/console.yaml; docs/console.md): when alerts of one
rule are many enough, close enough in time, to be one storm (a boundary or device-clock fault
more likely than a thousand breaches), and whether a new alert sounds by default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from shared.policy import load_policy


class Storm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int = Field(20, ge=2)
    window_minutes: int = Field(5, ge=1, le=24 * 60)


class StatisticsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # A month's figures are final once this many whole days after it have passed (the one period
    # rule, docs/rules.md); from then on they are kept and answered as kept (docs/indicators.md).
    final_after_days: int = Field(10, ge=0)
    # How often the command centre looks for a month that became final, to keep its figures.
    keep_check_every: timedelta = timedelta(hours=1)


class ConsolePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    storm: Storm = Storm()
    sound_on_new_alert: bool = True
    statistics: StatisticsPolicy = StatisticsPolicy()


def load_console_policy(policy_dir: Path) -> ConsolePolicy:
    return load_policy(policy_dir / "console.yaml", ConsolePolicy)
