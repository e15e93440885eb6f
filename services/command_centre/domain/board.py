"""What the duty board does for a shift (policy/console.yaml; docs/console.md): when alerts of one
rule are many enough, close enough in time, to be one storm (a boundary or device-clock fault
more likely than a thousand breaches), and whether a new alert sounds by default."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from shared.policy import load_policy


class Storm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int = Field(20, ge=2)
    window_minutes: int = Field(5, ge=1, le=24 * 60)


class ConsolePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    storm: Storm = Storm()
    sound_on_new_alert: bool = True


def load_console_policy(policy_dir: Path) -> ConsolePolicy:
    return load_policy(policy_dir / "console.yaml", ConsolePolicy)
