"""Layered classification (分层分类衔接) and verification (信息核查), pure.

A key person (重点人员) is one who falls in any of the seven categories of docs/domain.md §2; the reasons
are kept and shown. Key persons must be picked up at the gate (必接必送) and handed to the
police for community control (社区管控).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.handover.domain.policy import HandoverPolicy
from shared.county import County
from shared.events import ReleaseNoticeIngested
from shared.periods import Deadline, days_before, within_days, within_working_days

KEY_REASONS: dict[str, tuple[str, str]] = {
    "deprived_political_rights": ("剥夺政治权利", "Deprived of political rights"),
    "national_security": ("危害国家安全犯罪", "Crime against national security"),
    "three_false": ("三假（假姓名、假住址、假身份）", "False name, address or identity"),
    "household_residence_separated": ("人户分离", "Living away from the registered household"),
    "serious_illness": ("服刑期间患严重疾病释放时仍未治愈", "Seriously ill and uncured at release"),
    "poor_reform_performance": ("狱内改造表现较差", "Poor reform performance"),
    "likely_to_reoffend": ("再犯可能性较大", "Likely to re-offend"),
}


def key_reasons(notice: ReleaseNoticeIngested) -> list[str]:
    """The categories this person falls in; empty for an ordinary releasee."""
    found = {
        "deprived_political_rights": notice.deprived_political_rights,
        "national_security": notice.offence_category == "national_security",
        "three_false": notice.three_false,
        "household_residence_separated": notice.household_residence_separated,
        "serious_illness": notice.serious_illness,
        "poor_reform_performance": notice.reform_performance == "poor",
        "likely_to_reoffend": notice.prison_risk_rating == "high",
    }
    return [reason for reason, hit in found.items() if hit]


@dataclass(frozen=True)
class Verification:
    linked: bool
    justice_office: str | None
    reason: str | None


def verify_destination(town: str, offices: set[str]) -> Verification:
    if town in offices:
        return Verification(True, town, None)
    return Verification(False, None, f"目的地“{town}”不属于江阴市任何司法所 (destination is not a Jiangyin town)")


def receipt_due(received_at: datetime, policy: HandoverPolicy, county: County) -> datetime:
    """The receipt (回执) is due by the end of the county's third working day after the day the
    notice arrived (holidays and make-up working days from the calendar; docs/rules.md)."""
    return within_working_days(county, received_at, policy.receipt.within_working_days).due


def pickup_plan_due(release_date: date, policy: HandoverPolicy, county: County) -> datetime:
    """A key person needs a pick-up plan by the end of the day the window before release."""
    return days_before(county, release_date, policy.pickup.plan_due_before_release).due


def arrival_deadline(release_date: date, policy: HandoverPolicy, county: County, rehab: bool = False) -> Deadline:
    """A key releasee registered after the window's last day (in full) is missed intake (漏管); one
    ordered to 社区康复 (`rehab`), key or not, has its own window."""
    window = policy.arrival.rehab_within if rehab else policy.arrival.key_person_within
    return within_days(county, release_date, window)


def arrival_due(release_date: date, policy: HandoverPolicy, county: County, rehab: bool = False) -> datetime:
    return arrival_deadline(release_date, policy, county, rehab).due
