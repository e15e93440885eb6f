"""Handover's policy (policy/handover.yaml)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from services.handover.domain.prison_visits import PrisonVisitPolicy
from services.handover.domain.visits import VisitPolicy
from shared.periods import WholeDays
from shared.policy import load_policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReceiptPolicy(_Strict):
    within_working_days: int = Field(ge=1)  # from the notice; the receipt follows the office's 核查


class PickupPolicy(_Strict):
    plan_due_before_release: WholeDays  # docs/rules.md


class ArrivalPolicy(_Strict):
    key_person_within: WholeDays
    # 社区康复: every releasee ordered to it comes within this of the release (戒毒条例 §37: 15 days)
    rehab_within: WholeDays = timedelta(days=15)


class NoticePolicy(_Strict):
    lead_months: int = Field(1, ge=0)  # 前置化: a prison's notice at least a calendar month before release


class AgreementPolicy(_Strict):
    review_every_months: int = Field(6, ge=1)  # 安置帮教协议 reviewed at least this often


class HandoverPolicy(_Strict):
    receipt: ReceiptPolicy
    notice: NoticePolicy = NoticePolicy()
    pickup: PickupPolicy
    arrival: ArrivalPolicy
    assistance_period_years: int = Field(ge=1)
    reoffending_window_years: int = Field(5, ge=1)  # 五年内重新犯罪率 (docs/indicators.md)
    aftercare_max_years: int = Field(ge=1)
    targets: dict[str, float]
    visits: VisitPolicy = VisitPolicy()
    prison_visits: PrisonVisitPolicy = PrisonVisitPolicy()
    agreements: AgreementPolicy = AgreementPolicy()


def load_handover_policy(policy_dir: Path) -> HandoverPolicy:
    return load_policy(policy_dir / "handover.yaml", HandoverPolicy)
