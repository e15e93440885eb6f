"""What supervision publishes on supervision.events.v1: cases, leaves, signals, plans, hours."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import EventData, Signal


class CaseOpened(EventData):
    case_id: uuid.UUID
    person_id: uuid.UUID
    kind: Literal["community_correction", "resettlement", "aftercare"]
    jurisdiction: str
    order_no: str | None = None


class LeaveApproved(EventData):
    """An approved leave (请假外出): while it runs, being outside the county is no breach."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    leave_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    destination: str
    approval_level: Literal["justice_office", "county"]
    approved_by: str


class LeaveRequested(EventData):
    """A leave applied for (请假申请), recorded by the office; no effect on monitoring until approved.
    `needs` is the level that must decide it (docs/domain.md, "Leave")."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    leave_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    destination: str
    needs: Literal["justice_office", "county"]
    requested_by: str


class LeaveDeclined(EventData):
    """A leave application refused (不予批准), with the reason."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    leave_id: uuid.UUID
    declined_by: str
    reason: str


class LeaveReturned(EventData):
    """销假: the person is back from an approved leave; from `returned_at` being outside the county
    is a breach again, whatever the leave's planned end."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    leave_id: uuid.UUID
    returned_at: AwareDatetime
    recorded_by: str


class IntakeReported(EventData):
    """The person reported (报到) to the justice office, as the office recorded it: the case is
    under supervision."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    reported_at: AwareDatetime
    channel: str  # "office": recorded by its staff (contract §7.5)
    recorded_by: str | None = None
    note: str | None = None


class ZoneExited(Signal):
    """Outside the permitted area beyond the fix's accuracy, with no approved leave."""

    lat: float
    lon: float
    accuracy_m: float
    distance_m: float


class ZoneReturned(Signal):
    """Back inside the permitted area (not an alert; kept on the case file)."""


class ExclusionZoneEntered(Signal):
    zone: str
    lat: float
    lon: float
    accuracy_m: float


class DeviceTampered(Signal):
    device_id: str


class DeviceOffline(Signal):
    device_id: str | None = None
    last_fix_at: AwareDatetime | None = None


class CheckinMissed(Signal):
    due_at: AwareDatetime


class ContactCheckDue(Signal):
    """The contact window passed (docs/domain.md §1): the office must try to reach the person and
    record reached or unreachable within the policy's time."""

    basis: Literal["location", "checkin"]  # no fix and no check-in / a missed check-in not made up
    last_seen: AwareDatetime | None = None
    result_due: AwareDatetime


class ContactLost(Signal):
    """No fix and no check-in for the window, and unreachable: recorded so, or nobody recorded a
    result of the check in time."""

    reason: Literal["unreachable", "no_result"] | None = None


class ContactChecked(EventData):
    """The office's attempt to reach the person after the contact window, on the case file."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    check_id: uuid.UUID
    outcome: Literal["reached", "unreachable", "no_result", "sign_of_life"]
    at: AwareDatetime
    recorded_by: str | None = None
    note: str | None = None


class IntakeMissed(Signal):
    """Not reported (报到) within the intake window after the judgment took effect (漏管)."""


class LeaveOverdue(Signal):
    leave_end: AwareDatetime


class SanctionRecorded(Signal):
    kind: Literal["admonition", "warning", "revocation_proposal"]
    count: int = Field(ge=1)  # how many of this kind the case has now
    reason: str


class PositioningTermEnding(Signal):
    term_end: date


class AftercareFollowupDue(Signal):
    kind: Literal["phone", "visit"]


class RehabReportMissed(Signal):
    pass


class KeyPersonsUnconfirmed(Signal):
    """一月一认定: a justice office had not confirmed its month's key-person list by the policy's
    day. About the office, no person (`person_id` is the nil UUID)."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class CaseClosed(EventData):
    """A case ended: the term is over (期满), revoked (收监) or transferred to another county."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    outcome: Literal["ended", "revoked", "transferred"]
    reason: str | None = None
    closed_by: str | None = None


class SanctionProposed(EventData):
    """A justice office proposed a sanction that the county bureau decides (警告, 提请撤销)."""

    proposal_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    kind: Literal["admonition", "warning", "revocation_proposal"]
    reason: str
    proposed_by: str


class SanctionProposalDecided(EventData):
    """The county bureau approved a proposed sanction (then recorded as the sanction) or refused it."""

    proposal_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    kind: Literal["admonition", "warning", "revocation_proposal"]
    decision: Literal["approved", "refused"]
    decided_by: str
    note: str
    sanction_id: uuid.UUID | None = None


class PlanMade(EventData):
    """An individual correction plan (个案矫正方案) made by the office, to be approved."""

    plan_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    items: list[dict[str, str]]
    made_by: str


class PlanApproved(EventData):
    """The plan approved by someone other than who made it: it is the case's plan in force."""

    plan_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    made_by: str
    approved_by: str


class PlanOverdue(Signal):
    """No approved plan by its day: after intake, after a level change, or at its review."""

    due_on: date


HelpKind = Literal["minimum_living", "employment", "legal_aid", "psychological", "schooling", "other"]


class HelpRequested(EventData):
    """A request for help (低保, employment, legal aid, psychological help, children's schooling):
    the office's task, to answer by `answer_due`."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    kind: HelpKind
    note: str
    source: Literal["app", "staff"]
    answer_due: AwareDatetime


class HelpAnswered(EventData):
    """The office answered a help request: helped, declined, or referred to civil affairs."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    outcome: Literal["helped", "declined", "referred"]
    answered_by: str
    note: str


class HelpRequestOverdue(Signal):
    """A help request not answered by its deadline."""

    request_id: uuid.UUID
    kind: str


class HoursRecorded(EventData):
    """Study or community-service time on the person's file: recorded by staff (confirmed at once)
    or confirmed by the office or a team member after the app reported it."""

    entry_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    kind: Literal["study", "community_service"]
    minutes: int
    on: date
    source: Literal["staff", "app"]
    confirmed_by: str


class HoursShort(Signal):
    """A month ended short of the study or community-service hours the person's level owes."""

    month: str
    level: str
    short: dict[str, int]  # kind → minutes missing


class HoursShortWithdrawn(Signal):
    """A month judged short is no longer short: time done in it was confirmed after the judgement,
    and judging it again met the hours (its `hours_short` closes by itself)."""

    month: str
    level: str


class CaseTransferred(EventData):
    """A case moved to another justice office inside the county (its history and alerts with it)."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    from_office: str
    to_office: str
    reason: str
    transferred_by: str


class BatteryLow(Signal):
    """The positioning device's battery fell below the policy's threshold."""

    battery_pct: float


class SeparationReported(Signal):
    """人机分离: the phone or device was found not with the person."""

    count: int = Field(ge=1)  # reports on this case so far
    warning_due: bool  # the policy's count is reached: a warning (警告) is due


class RehabSeriousBreach(Signal):
    """社区康复: a serious breach of the rehabilitation agreement (docs/domain.md §3): too many
    unreported trips, too long away, or too many dodged drug tests. One alert per reason."""

    case_id: uuid.UUID
    reason: Literal["unreported_trips", "days_away", "dodged_tests"]
    count: int = Field(ge=1)  # the trips, days or tests that crossed the policy's number


class LevelChanged(EventData):
    """The supervision level (分类管理) changed; it sets the check-in schedule."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    level: Literal["strict", "ordinary", "lenient"]
    previous: Literal["strict", "ordinary", "lenient"] | None = None
    reasons: list[str] = []


class PositioningEnded(EventData):
    """Electronic positioning ended: its device is no longer the person's."""

    positioning_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    device_id: str
    reason: Literal["term_end", "case_closed"]


class PositioningStarted(EventData):
    """Electronic positioning (电子定位) approved on a legal ground, for a term (new or renewed)."""

    positioning_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    ground: str
    approved_by: str
    device_id: str
    starts_on: date
    ends_on: date
    renewal: int = 0


class FollowupRecorded(EventData):
    """An aftercare phone call or visit (回访) with any drug test."""

    followup_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    kind: Literal["phone", "visit"]
    at: AwareDatetime
    drug_test: Literal["negative", "positive", "refused", "not_tested"]
    police_record: bool
    abstinent: bool


class KeyPersonEntry(EventData):
    person_id: uuid.UUID
    reasons: list[str]
    target_zh: str


class KeyPersonRemoval(EventData):
    person_id: uuid.UUID
    reason: str


class KeyPersonsDetermined(EventData):
    """A justice office's monthly key-person list (一月一认定), with who confirmed it, and whom the
    office took off the proposal and why (those it put on carry `office:<reason>` as a reason)."""

    office: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    confirmed_by: str
    persons: list[KeyPersonEntry]
    removed: list[KeyPersonRemoval] = []


class KeyPersonNewlyDetermined(Signal):
    """A person on a justice office's confirmed monthly list who was not on its previous one
    (新认定重点人员): raises `risk_high` (docs/domain.md §4)."""

    office: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    reasons: list[str]


class EndingAnnounced(EventData):
    """解矫宣告: the office announced the end of the term to the person (docs/domain.md §1)."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    announced_at: AwareDatetime
    place: str
    announced_by: str
    note: str | None = None


class RevocationRulingOverdue(Signal):
    """The court's days to rule on a revocation proposal passed with no ruling."""

    proposal_id: uuid.UUID
    court: str


class ProcuratorateReplyOverdue(Signal):
    """A procuratorate's notice about this person was not answered by its reply deadline."""

    notice_id: uuid.UUID
    notice_no: str
    reply_due: date
