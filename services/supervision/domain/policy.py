"""Supervision's policy (policy/supervision.yaml)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.supervision.domain.hours import HoursPolicy
from services.supervision.domain.plans import PlanPolicy
from services.supervision.domain.social_forces import SocialForcePolicy
from shared.periods import WholeDays
from shared.policy import load_policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntakePolicy(_Strict):
    report_within: WholeDays  # docs/rules.md


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
    watchdog_rearm_every: timedelta = timedelta(minutes=10)
    battery_low_pct: float = Field(20, ge=0, le=100)
    separations_before_warning: int = Field(2, ge=1)
    # A fix that overtakes its court order (another topic) waits this long for the case to open.
    park_without_case: timedelta = timedelta(minutes=15)


class LevelPolicy(_Strict):
    first_months_strict: int = Field(ge=0, le=24)
    checkin_every: dict[Literal["strict", "ordinary", "lenient"], timedelta]

    @model_validator(mode="after")
    def _every_level(self) -> LevelPolicy:
        if set(self.checkin_every) != {"strict", "ordinary", "lenient"}:
            raise ValueError("checkin_every needs strict, ordinary and lenient")
        return self


class ContactPolicy(_Strict):
    lost_after: timedelta
    # After the window the office must try to reach the person and record the result this soon;
    # unreachable, or no result by then, is contact lost (docs/domain.md §1).
    check_within: timedelta = timedelta(hours=4)


class PositioningPolicy(_Strict):
    term_months: int = Field(ge=1, le=12)
    ending_notice_day: int = Field(ge=1)


class AftercarePolicy(_Strict):
    phone_every_months: int = Field(ge=1, le=12)
    visit_every_months: int = Field(ge=1, le=12)
    unreported_trip_days: int = Field(ge=1)
    serious_unreported_trips: int = Field(ge=1)
    serious_days_away: int = Field(30, ge=1)  # a trip longer than this is a serious breach
    serious_dodged_tests: int = Field(3, ge=1)  # this many refused drug tests is a serious breach
    visit_counts_as_phone: bool = True  # a visit in the month is the month's contact too


class TargetPolicy(_Strict):
    aftercare_rate: float | None = Field(None, ge=0, le=1)
    abstinence_rate: float | None = Field(None, ge=0, le=1)
    positioning_rate: float | None = Field(None, ge=0, le=1)
    plan_rate: float | None = Field(None, ge=0, le=1)
    help_plan_rate: float | None = Field(None, ge=0, le=1)
    hours_rate_strict: float | None = Field(None, ge=0, le=1)
    hours_rate_ordinary: float | None = Field(None, ge=0, le=1)
    hours_rate_lenient: float | None = Field(None, ge=0, le=1)
    help_rate: float | None = Field(None, ge=0, le=1)
    social_worker_rate: float | None = Field(None, ge=0, le=1)


class KeyPersonPolicy(_Strict):
    risk_levels: tuple[Literal["low", "medium", "high"], ...]
    sanctions_in_month: int = Field(ge=1)
    serious_alerts_in_month: int = Field(ge=1)
    confirm_within_days: int = Field(5, ge=1, le=28)  # an office confirms its list in the month's first days


class MapPolicy(_Strict):
    track_every: timedelta
    # Live positions and last-fix times are written with the location offsets at most this often
    # (services/supervision/positions.py): the map is at most this old; verdicts are written at once.
    checkpoint_every: timedelta = Field(timedelta(seconds=5), gt=timedelta(0), le=timedelta(minutes=5))


class RevocationPolicy(_Strict):
    court_days: WholeDays = timedelta(days=30)


class CaseEndingPolicy(_Strict):
    # 解除社区矫正证明书's number reads "(year)<prefix>第<case>号": the county bureau's own prefix.
    certificate_prefix: str = "澄矫解字"
    issuer: str = "江阴市司法局"  # who issues 解除社区矫正证明书
    # An office's address and telephone, printed at the certificate's foot when configured.
    office_contacts: dict[str, str] = {}


class ProcuratoratePolicy(_Strict):
    """When a procuratorate's notice is answered by, when it names no date (docs/domain.md §1)."""

    suggestion_reply_months: int = 2  # 检察建议: a written reply within two months
    rectification_reply_days: int = 15  # 纠正违法通知: within fifteen days


class HelpPolicy(_Strict):
    answer_within: WholeDays = timedelta(days=7)  # the office answers a help request this soon


class SanctionSuggestionPolicy(_Strict):
    """When staff are shown a sanction as a suggestion, with its evidence (docs/domain.md §1);
    nothing is decided by these."""

    admonition_up_to: timedelta = timedelta(days=10)  # 脱管 up to this → 训诫
    warning_after: timedelta = timedelta(days=10)  # 脱管 beyond this → 警告
    revocation_after: timedelta = timedelta(days=30)  # 脱管 beyond this (a month) → 提请撤销
    admonitions_for_warning: int = 2
    warnings_for_revocation: int = 2
    short_months_for_admonition: int = Field(1, ge=1)  # months short of the hours owed → 训诫


class SupervisionPolicy(_Strict):
    intake: IntakePolicy
    leave: LeavePolicy
    devices: DevicePolicy
    levels: LevelPolicy
    contact: ContactPolicy
    positioning: PositioningPolicy
    aftercare: AftercarePolicy
    targets: TargetPolicy
    key_persons: KeyPersonPolicy
    map: MapPolicy
    revocation: RevocationPolicy = RevocationPolicy()
    case_ending: CaseEndingPolicy = CaseEndingPolicy()
    sanction_suggestions: SanctionSuggestionPolicy = SanctionSuggestionPolicy()
    procuratorate: ProcuratoratePolicy = ProcuratoratePolicy()
    hours: HoursPolicy = HoursPolicy()
    plans: PlanPolicy = PlanPolicy()
    help_plans: PlanPolicy = PlanPolicy()  # 帮教计划 of released persons, from their arrival
    help: HelpPolicy = HelpPolicy()
    social_forces: SocialForcePolicy = SocialForcePolicy()


def load_supervision_policy(policy_dir: Path) -> SupervisionPolicy:
    return load_policy(policy_dir / "supervision.yaml", SupervisionPolicy)
