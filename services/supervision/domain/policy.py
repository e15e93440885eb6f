"""Supervision's policy (policy/supervision.yaml)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from shared.policy import load_policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntakePolicy(_Strict):
    report_within: timedelta


class LeavePolicy(_Strict):
    office_may_approve_up_to: timedelta
    longest: timedelta

    @model_validator(mode="after")
    def _order(self) -> LeavePolicy:
        if self.office_may_approve_up_to > self.longest:
            raise ValueError("office_may_approve_up_to is longer than longest")
        return self


class DevicePolicy(_Strict):
    offline_after: timedelta


class SupervisionPolicy(_Strict):
    intake: IntakePolicy
    leave: LeavePolicy
    devices: DevicePolicy


def load_supervision_policy(policy_dir: Path) -> SupervisionPolicy:
    return load_policy(policy_dir / "supervision.yaml", SupervisionPolicy)
