"""Event types and their `data` schemas, one registry for producers, consumers and docs.

Producing models are closed (`extra="forbid"`); consumers validate with `parse_data`, which
ignores unknown fields so that adding a field is never a breaking change.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from datetime import date as Day  # for a field named `date` (the contract's), which would shadow the type
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared import topics
from shared.envelope import IncomingEvent, OutgoingEvent, describe_validation_error, new_event
from shared.text import NUL_ESCAPE


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:30+01:00 has no UTC datetime: a validation error, not a crash
        raise ValueError("the time is out of range in UTC") from None


# The same instant on the shared UTC tzinfo: pydantic gives every parsed datetime a tzinfo
# object of its own, and supervision keeps each person's last fix time (100k of them: 10 MB of
# tzinfo objects, and a slower utcoffset on every comparison; docs/performance.md, section 5).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- ingest (contract §2) ---------------------------------------------------------------


class GeoPolygon(EventData):
    type: Literal["Polygon"]
    coordinates: list[list[tuple[float, float]]] = Field(min_length=1)


class ExclusionZone(EventData):
    name: str = Field(min_length=1, max_length=100)
    polygon: GeoPolygon


class MaskedPerson(EventData):
    """What may travel on Kafka about a person: masked forms only (no 身份证号, phone, address)."""

    name_masked: str
    id_number_masked: str
    sex: Literal["M", "F"]
    residence_town: str
    age_band: Literal["<25", "25-34", "35-49", "50+"] | None = None  # for risk; never the birth date


OffenceCategory = Literal[
    "property", "violent", "drug", "sexual", "national_security", "organised_crime", "duty", "other"
]
SentenceKind = Literal["probation", "parole", "control", "medical_parole"]


class CourtOrderIngested(EventData):
    """A community-correction order (社区矫正决定) accepted by the gateway."""

    order_no: str
    court: str
    person_id: uuid.UUID
    person: MaskedPerson
    sentence_kind: SentenceKind
    offence: str
    offence_category: OffenceCategory
    term_start: date
    term_end: date
    judgment_effective: date | None = None
    electronic_monitoring: bool = False
    # The monitoring device the order names, if the court fitted one: bound to the person at once.
    device_id: str | None = None
    permitted_area: Literal["jiangyin"] | GeoPolygon = "jiangyin"
    exclusion_zones: list[ExclusionZone] = []


RiskRating = Literal["low", "medium", "high"]


class ReleaseNoticeIngested(EventData):
    """A prison's pre-release notice (预释放人员信息) accepted by the gateway."""

    notice_no: str
    prison: str
    person_id: uuid.UUID
    person: MaskedPerson
    offence: str
    offence_category: OffenceCategory
    release_date: date
    sentence_months: int
    deprived_political_rights: bool = False
    three_false: bool = False
    household_residence_separated: bool = False
    serious_illness: bool = False
    reform_performance: Literal["good", "average", "poor"] = "average"
    prison_risk_rating: RiskRating = "medium"
    destination_town: str


class RehabNoticeIngested(EventData):
    """A rehabilitation centre's notice of release (即将解戒人员信息) accepted by the gateway."""

    notice_no: str
    centre: str
    person_id: uuid.UUID
    person: MaskedPerson
    release_date: date
    destination_town: str
    key_person: bool = False
    community_rehabilitation: bool = False


class LocationFix(EventData):
    """One location fix (contract §2: `ingest.locations.v1`)."""

    person_id: uuid.UUID
    device_id: str = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)
    recorded_at: UtcDatetime
    battery_pct: float | None = Field(None, ge=0, le=100)
    strap_intact: bool | None = None


class Checkin(EventData):
    """A check-in (contract §2: `ingest.checkins.v1`)."""

    person_id: uuid.UUID
    channel: Literal["app", "phone", "in_person", "video"]
    recorded_at: AwareDatetime
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


# --- supervision (internal) -------------------------------------------------------------


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


class Signal(EventData):
    """Something that may raise an alert. `cause` names this occurrence (an episode, a deadline):
    the same rule, person and cause always make the same alert."""

    person_id: uuid.UUID
    jurisdiction: str
    cause: str = Field(min_length=1, max_length=200)
    observed_at: AwareDatetime
    evidence: list[str] = []
    case_id: uuid.UUID | None = None


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


class SignInBurst(Signal):
    """Many failed sign-ins or token requests from one address in a short time (contract §7.2):
    someone may be guessing. About no person (`person_id` is the nil UUID); for the duty desk."""

    door: Literal["staff_sign_in", "agency_token"]
    address: str = Field(max_length=64)
    attempts: int = Field(ge=1)


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


class AppReport(EventData):
    """One report from the supervised person's app (在矫通, `POST /v1/app/reports`): study or
    community-service time (to be confirmed), or a request for help."""

    person_id: uuid.UUID
    kind: Literal["study", "community_service", "help_request"]
    minutes: int | None = Field(None, ge=1, le=24 * 60)
    date: Day
    note: str = Field("", max_length=1000)


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


class HandoverOpened(EventData):
    """A notice received and verified (信息核查): linked to a justice office, or on the unlinked list."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    kind: Literal["release", "rehab"]
    notice_no: str
    source: str
    release_date: date
    destination_town: str
    linked: bool
    justice_office: str | None = None
    unlinked_reason: str | None = None
    key_person: bool
    key_reasons: list[str] = []


class ArrivalRegistered(EventData):
    """A released person registered at the justice office: a resettlement or aftercare case opens."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    kind: Literal["release", "rehab"]
    justice_office: str
    arrived_at: AwareDatetime
    release_date: date
    key_person: bool
    case_years: int
    person: MaskedPerson
    community_rehabilitation: bool = False  # 社区康复: report within the policy window of the order


class InformationSupplemented(EventData):
    """信息补录: what the office learned of a released person after arrival (employment, family,
    housing, substance use). Risk takes the instrument's items from it and assesses again."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    justice_office: str
    employment: Literal["employed", "unemployed"] | None = None
    family_support: Literal["strong", "weak", "none"] | None = None
    housing: Literal["stable", "temporary", "none"] | None = None
    substance_use: Literal["none", "past", "current"] | None = None
    recorded_by: str
    recorded_at: AwareDatetime


class ReleaseIntakeMissed(Signal):
    pass


class RehabArrivalMissed(Signal):
    """社区康复: a releasee ordered to community rehabilitation, key person or not, who did not come
    to the office within the window of the release (docs/rules.md)."""


class PickupUnplanned(Signal):
    release_date: date


class ReceiptOverdue(Signal):
    notice_no: str


class RiskHigh(Signal):
    level: str
    score: float | None = None


class ReassessmentOverdue(Signal):
    level: str
    assessment_id: uuid.UUID


class RiskItem(EventData):
    item: str
    value: str | int
    points: float


class RiskAssessed(EventData):
    """A risk assessment (危险性评估): every item's value and points, the total and the level."""

    assessment_id: uuid.UUID
    person_id: uuid.UUID
    instrument_version: str
    trigger: str
    items: list[RiskItem]
    total: float
    level_by_points: Literal["low", "medium", "high"]
    level: Literal["low", "medium", "high"]  # after override rules and any professional override
    override_level: Literal["low", "medium", "high"] | None = None
    override_reason: str | None = None
    explanation_zh: list[str] = []
    explanation_en: list[str] = []
    jurisdiction: str | None = None


# --- alerts (contract §3) ---------------------------------------------------------------

AlertColour = Literal["red", "orange", "yellow", "blue"]
AlertStatus = Literal["open", "acknowledged", "escalated", "disposed", "closed"]


class DisposalSteps(EventData):
    """The justice office's recorded handling of an alert (docs/domain.md §4): 核实 (what was
    verified), 处置 (what was done), 跟踪 (the follow-up)."""

    verification: str = Field(min_length=1, max_length=2000)
    action: str = Field(min_length=1, max_length=2000)
    follow_up: str = Field(min_length=1, max_length=2000)


class SearchOutcome(EventData):
    """The police's answer to a request to find a person (协助查找), kept on the alert."""

    outcome: Literal["found", "not_found", "in_custody"]
    found_at: AwareDatetime | None = None
    note: str = Field(min_length=1, max_length=2000)
    police_unit: str
    answered_at: AwareDatetime


class AlertData(EventData):
    alert_id: uuid.UUID
    person_id: uuid.UUID
    colour: AlertColour
    rule_id: str
    title_zh: str
    title_en: str
    raised_at: AwareDatetime
    ack_due_at: AwareDatetime
    dispose_due_at: AwareDatetime
    status: AlertStatus
    jurisdiction: str
    evidence: list[str]
    # Beyond the contract's minimum: who did the last step and why, where it stands, who is told.
    actor: str | None = None
    reason: str | None = None
    version: int = 1
    level: str | None = None  # escalation level now responsible
    notify: list[str] = []  # who is told of this change
    silenced_until: AwareDatetime | None = None
    reason_code: str | None = None  # the disposal's reason code
    disposal: DisposalSteps | None = None  # 核实 → 处置 → 跟踪, when the disposal recorded its steps
    search: SearchOutcome | None = None  # the police's answer to the search this alert opened (协助查找)
    note: str | None = None
    acknowledged_at: AwareDatetime | None = None
    disposed_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class NotificationFailed(EventData):
    """An alert notification given up after every retry (the notifier's own DLQ)."""

    notification_id: int
    alert_id: uuid.UUID
    version: int
    channel: str
    target: str
    attempts: int
    error: str


# --- exchange and audit ---------------------------------------------------------------------


class AuditCheckpoint(EventData):
    """The audit chain's head, signed by the gateway (ES256, the JWKS's key): an anchor kept
    outside the database, so a rewrite of the chain shows against it (docs/security.md, M2)."""

    seq: int
    hash: str
    at: AwareDatetime
    signature: str  # a compact JWS over {seq, hash, at}


class ReceiptIssued(EventData):
    """A receipt (回执) to a prison for a pre-release notice."""

    notice_no: str
    prison: str
    person_id: uuid.UUID
    status: Literal["linked", "unlinked"]
    justice_office: str | None = None
    reason: str | None = None
    issued_at: AwareDatetime
    # 前置化: a notice that came less than the policy's lead before release (the plan asks a month)
    # is flagged back to the prison, with how many days it gave.
    late_notice: bool = False
    notice_days: int | None = None


class PoliceHandoverIssued(EventData):
    """A key releasee handed to the police for community control (管控移交)."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    person: MaskedPerson
    reasons: list[str]
    release_date: date
    destination_town: str
    issued_at: AwareDatetime


class RevocationProposed(EventData):
    """A proposal to revoke (提请撤销缓刑、假释或暂予监外执行) decided by the county bureau, sent to the
    court that made the order (contract §6.2); the court has `ruling_due` to rule."""

    proposal_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    court: str
    order_no: str
    person: MaskedPerson
    reason: str
    decided_by: str
    decided_at: AwareDatetime
    ruling_due: AwareDatetime


class ExitControl(EventData):
    """不准出境报备: a community-correction case's border-control notice to the police, imposed when
    the case opens and lifted when it ends (contract §6.2, `GET /v1/police/exit-controls`)."""

    control_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    person: MaskedPerson
    office: str
    action: Literal["imposed", "lifted"]
    at: AwareDatetime
    until: date | None = None  # the term's planned end, while imposed


class CaseEnding(EventData):
    """The end of a community-correction case, for the court that made the order, the
    procuratorate and the police (contract §6.2, `GET /v1/court/case-endings`): 解除社区矫正 when
    the term is served (with its certificate's number), or 收监执行 when the court revoked, which
    asks the police to take the person into custody (docs/domain.md §1, "The end of a case")."""

    notice_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    person: MaskedPerson
    office: str
    court: str
    order_no: str
    ending: Literal["term_served", "revoked", "transferred_out"]
    term_start: date | None = None
    term_end: date | None = None
    ended_at: AwareDatetime
    certificate_no: str | None = None  # 解除社区矫正证明书, when the term is served
    custody: bool = False  # 收监: the police take the person into custody
    to_county: str | None = None  # transferred out: the receiving county's bureau
    reason: str | None = None


class EndingAnnounced(EventData):
    """解矫宣告: the office announced the end of the term to the person (docs/domain.md §1)."""

    person_id: uuid.UUID
    case_id: uuid.UUID
    jurisdiction: str
    announced_at: AwareDatetime
    place: str
    announced_by: str
    note: str | None = None


class ExitControlAcknowledged(EventData):
    """The police registered a border-control notice, or its lifting
    (`POST /v1/police/exit-controls/{id}/acknowledge`)."""

    control_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    action: Literal["imposed", "lifted"]
    police_unit: str
    officer: str | None = None
    acknowledged_at: AwareDatetime


class SearchRequested(EventData):
    """A request to the police to find a person (协助查找), opened by a red `contact_lost` or
    `intake_missed` alert (contract §6.2, `GET /v1/police/search-requests`)."""

    request_id: uuid.UUID
    alert_id: uuid.UUID
    person_id: uuid.UUID
    rule_id: str
    office: str
    title_zh: str
    raised_at: AwareDatetime
    evidence: list[str] = []


class SearchResult(SearchOutcome):
    """The police's result for a search request (contract §6.2, `POST …/{id}/result`): the outcome
    the alert keeps, and which request and alert it answers."""

    request_id: uuid.UUID
    alert_id: uuid.UUID
    person_id: uuid.UUID


class RevocationRuling(EventData):
    """The court's ruling on a revocation proposal (contract §6.2): revoked → 收监执行."""

    proposal_id: uuid.UUID
    person_id: uuid.UUID
    court: str
    ruling: Literal["revoked", "rejected"]
    ruled_at: AwareDatetime
    ruling_no: str = Field(min_length=1, max_length=64)


class RevocationRulingOverdue(Signal):
    """The court's days to rule on a revocation proposal passed with no ruling."""

    proposal_id: uuid.UUID
    court: str


class ProcuratorateReplyOverdue(Signal):
    """A procuratorate's notice about this person was not answered by its reply deadline."""

    notice_id: uuid.UUID
    notice_no: str
    reply_due: date


class AssistanceRequested(EventData):
    """A released person's request for social assistance that civil affairs handles (低保, 临时救助…)."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    person: MaskedPerson
    kind: Literal["minimum_living", "medical", "housing", "temporary_relief", "other"]
    justice_office: str
    status: Literal["requested", "in_progress", "granted", "refused"]
    requested_at: AwareDatetime


class AssistanceOutcome(EventData):
    """Civil affairs decided an assistance request (contract §6.2, `POST /v1/assistance-requests/{id}/outcome`):
    granted, refused or referred to another programme; counted in 救助帮扶率."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    civil_affairs: str  # the bureau that decided
    outcome: Literal["granted", "refused", "referred"]
    programme: str
    decided_at: AwareDatetime
    note: str


class VisitSlotOffered(EventData):
    """A prison offers a remote family video-visit slot (远程亲情视频会见, contract §6.2,
    `POST /v1/visit-slots`): a time at which the prisoner can be seen from a justice office."""

    slot_id: uuid.UUID  # from the prison and its slot number
    slot_no: str
    prison: str
    person_id: uuid.UUID  # the prisoner
    start: AwareDatetime
    minutes: int
    offered_at: AwareDatetime


class VisitFamily(EventData):
    """The family member a justice office books for: masked like every identity, with who checked it."""

    name_masked: str
    id_number_masked: str
    relationship: Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "other"]
    identity_checked_by: str  # the member of staff who saw the family member's identity card


class VisitBooking(EventData):
    """A booking of a prison's slot by a justice office for a family, or its cancellation (contract
    §6.2, `GET /v1/visits`): the prison reads its own."""

    booking_id: uuid.UUID
    slot_id: uuid.UUID
    slot_no: str
    prison: str
    person_id: uuid.UUID  # the prisoner
    office: str  # the justice office whose video room the family comes to
    family: VisitFamily
    start: AwareDatetime
    minutes: int
    status: Literal["booked", "cancelled"]
    reason: str | None = None  # why cancelled
    at: AwareDatetime
    by: str


class VisitAnswered(EventData):
    """The prison confirms or declines a booking (`POST /v1/visits/{booking_id}/answer`)."""

    booking_id: uuid.UUID
    person_id: uuid.UUID
    prison: str
    answer: Literal["confirmed", "declined"]
    note: str | None = None
    answered_at: AwareDatetime


NoticeKind = Literal["procuratorial_suggestion", "rectification_notice"]


class ProcuratorateNotice(EventData):
    """检察建议 or 纠正违法通知 to a justice office (contract §6.2, `POST /v1/procuratorate/notices`):
    a task for the office with its reply deadline (none given: policy `procuratorate`)."""

    notice_id: uuid.UUID
    notice_no: str
    procuratorate: str
    kind: NoticeKind
    office: str
    person_id: uuid.UUID | None = None
    content: str
    reply_due: date | None = None
    received_at: AwareDatetime


class ProcuratorateReply(EventData):
    """The office's reply to a procuratorate's notice (contract §6.2, `GET /v1/procuratorate/replies`)."""

    notice_id: uuid.UUID
    notice_no: str
    procuratorate: str
    kind: NoticeKind
    office: str
    person_id: uuid.UUID | None = None
    reply: str
    replied_by: str
    replied_at: AwareDatetime


class PoliceAcknowledged(EventData):
    """The police took over community control (社区管控) of a handed-over key person."""

    handover_id: uuid.UUID
    person_id: uuid.UUID | None = None
    police_unit: str
    officer: str | None = None
    acknowledged_at: AwareDatetime


class AuditRecorded(EventData):
    """Who read or changed a person's data, and why (kept hash-chained by the gateway)."""

    actor: str
    agency: str
    role: str
    action: Literal["read", "create", "update", "delete"]
    resource: str
    person_id: uuid.UUID | None = None
    purpose: str
    at: AwareDatetime
    service: str


# --- registry --------------------------------------------------------------------------


class EventType(BaseModel):
    type: str
    topic: str
    data: builtins.type[EventData]
    summary: str


EVENT_TYPES: dict[str, EventType] = {
    et.type: et
    for et in [
        EventType(
            type="sps.ingest.court-order",
            topic=topics.COURT_ORDERS,
            data=CourtOrderIngested,
            summary="Community-correction order accepted from a court (社区矫正决定)",
        ),
        EventType(
            type="sps.ingest.release-notice",
            topic=topics.RELEASE_NOTICES,
            data=ReleaseNoticeIngested,
            summary="Pre-release notice accepted from a prison (预释放人员信息)",
        ),
        EventType(
            type="sps.ingest.rehab-notice",
            topic=topics.REHAB_NOTICES,
            data=RehabNoticeIngested,
            summary="Release notice accepted from a drug rehabilitation centre (即将解戒人员信息)",
        ),
        EventType(
            type="sps.exchange.audit-checkpoint",
            topic=topics.EXCHANGE_OUTBOUND,
            data=AuditCheckpoint,
            summary="The audit chain's head, signed: an anchor for the procuratorate",
        ),
        EventType(
            type="sps.exchange.receipt",
            topic=topics.EXCHANGE_OUTBOUND,
            data=ReceiptIssued,
            summary="A receipt to a prison (回执)",
        ),
        EventType(
            type="sps.exchange.revocation-proposal",
            topic=topics.EXCHANGE_OUTBOUND,
            data=RevocationProposed,
            summary="A revocation proposal decided by the county bureau, for the court (提请撤销)",
        ),
        EventType(
            type="sps.exchange.exit-control",
            topic=topics.EXCHANGE_OUTBOUND,
            data=ExitControl,
            summary="A border-control notice for the police (不准出境报备), imposed or lifted",
        ),
        EventType(
            type="sps.ingest.assistance-outcome",
            topic=topics.AGENCY_REPLIES,
            data=AssistanceOutcome,
            summary="Civil affairs' decision on an assistance request (社会救助)",
        ),
        EventType(
            type="sps.ingest.visit-slot",
            topic=topics.AGENCY_REPLIES,
            data=VisitSlotOffered,
            summary="A prison's remote family video-visit slot (远程亲情视频会见)",
        ),
        EventType(
            type="sps.ingest.visit-answer",
            topic=topics.AGENCY_REPLIES,
            data=VisitAnswered,
            summary="A prison confirms or declines a family video-visit booking",
        ),
        EventType(
            type="sps.exchange.visit-booking",
            topic=topics.EXCHANGE_OUTBOUND,
            data=VisitBooking,
            summary="A justice office's booking of a prison's video-visit slot for a family, or its cancellation",
        ),
        EventType(
            type="sps.ingest.procuratorate-notice",
            topic=topics.AGENCY_REPLIES,
            data=ProcuratorateNotice,
            summary="A procuratorate's notice to a justice office (检察建议, 纠正违法通知)",
        ),
        EventType(
            type="sps.exchange.procuratorate-reply",
            topic=topics.EXCHANGE_OUTBOUND,
            data=ProcuratorateReply,
            summary="A justice office's reply to a procuratorate's notice",
        ),
        EventType(
            type="sps.exchange.case-ending",
            topic=topics.EXCHANGE_OUTBOUND,
            data=CaseEnding,
            summary="A corrections case's end for the court, procuratorate and police (解除社区矫正 or 收监执行)",
        ),
        EventType(
            type="sps.ingest.exit-control-ack",
            topic=topics.POLICE_ACKS,
            data=ExitControlAcknowledged,
            summary="The police registered a border control or its lifting",
        ),
        EventType(
            type="sps.exchange.search-request",
            topic=topics.EXCHANGE_OUTBOUND,
            data=SearchRequested,
            summary="A request to the police to find a person (协助查找)",
        ),
        EventType(
            type="sps.ingest.search-result",
            topic=topics.POLICE_ACKS,
            data=SearchResult,
            summary="The police's result for a search request",
        ),
        EventType(
            type="sps.alert.transferred",
            topic=topics.ALERTS,
            data=AlertData,
            summary="An alert moved with its person's case to another justice office",
        ),
        EventType(
            type="sps.alert.search-answered",
            topic=topics.ALERTS,
            data=AlertData,
            summary="The police answered the search an alert opened (协助查找)",
        ),
        EventType(
            type="sps.ingest.revocation-ruling",
            topic=topics.COURT_ORDERS,
            data=RevocationRuling,
            summary="A court's ruling on a revocation proposal",
        ),
        EventType(
            type="sps.supervision.procuratorate-reply-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=ProcuratorateReplyOverdue,
            summary="A procuratorate's notice about a person passed its reply deadline unanswered",
        ),
        EventType(
            type="sps.supervision.revocation-ruling-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=RevocationRulingOverdue,
            summary="A court's days to rule on a revocation proposal passed with no ruling",
        ),
        EventType(
            type="sps.exchange.police-handover",
            topic=topics.EXCHANGE_OUTBOUND,
            data=PoliceHandoverIssued,
            summary="A key releasee handed to the police for community control (管控移交)",
        ),
        EventType(
            type="sps.exchange.assistance-request",
            topic=topics.EXCHANGE_OUTBOUND,
            data=AssistanceRequested,
            summary="An assistance request for civil affairs",
        ),
        EventType(
            type="sps.ingest.police-ack",
            topic=topics.POLICE_ACKS,
            data=PoliceAcknowledged,
            summary="The police acknowledged a key-person handover",
        ),
        EventType(
            type="sps.audit.recorded",
            topic=topics.AUDIT,
            data=AuditRecorded,
            summary="Who read or changed a person's data",
        ),
        EventType(
            type="sps.ingest.location",
            topic=topics.LOCATIONS,
            data=LocationFix,
            summary="One location fix from an electronic-positioning device or phone",
        ),
        EventType(
            type="sps.ingest.checkin",
            topic=topics.CHECKINS,
            data=Checkin,
            summary="One check-in of a supervised person",
        ),
        EventType(
            type="sps.supervision.case-opened",
            topic=topics.SUPERVISION_EVENTS,
            data=CaseOpened,
            summary="A supervision case was opened",
        ),
        EventType(
            type="sps.supervision.leave-approved",
            topic=topics.SUPERVISION_EVENTS,
            data=LeaveApproved,
            summary="A leave was approved",
        ),
        EventType(
            type="sps.supervision.leave-requested",
            topic=topics.SUPERVISION_EVENTS,
            data=LeaveRequested,
            summary="A leave was applied for (请假申请)",
        ),
        EventType(
            type="sps.supervision.leave-declined",
            topic=topics.SUPERVISION_EVENTS,
            data=LeaveDeclined,
            summary="A leave application was refused",
        ),
        EventType(
            type="sps.supervision.leave-returned",
            topic=topics.SUPERVISION_EVENTS,
            data=LeaveReturned,
            summary="Back from a leave (销假): outside the county is a breach again",
        ),
        EventType(
            type="sps.supervision.intake-reported",
            topic=topics.SUPERVISION_EVENTS,
            data=IntakeReported,
            summary="The person reported for intake (报到)",
        ),
        EventType(
            type="sps.supervision.zone-exited",
            topic=topics.SUPERVISION_EVENTS,
            data=ZoneExited,
            summary="Outside the permitted area beyond the fix's accuracy, no approved leave",
        ),
        EventType(
            type="sps.supervision.zone-returned",
            topic=topics.SUPERVISION_EVENTS,
            data=ZoneReturned,
            summary="Back inside the permitted area",
        ),
        EventType(
            type="sps.supervision.exclusion-zone-entered",
            topic=topics.SUPERVISION_EVENTS,
            data=ExclusionZoneEntered,
            summary="Inside an exclusion zone beyond the fix's accuracy",
        ),
        EventType(
            type="sps.supervision.device-tampered",
            topic=topics.SUPERVISION_EVENTS,
            data=DeviceTampered,
            summary="Strap cut or device tampered",
        ),
        EventType(
            type="sps.supervision.device-offline",
            topic=topics.SUPERVISION_EVENTS,
            data=DeviceOffline,
            summary="No fix for the offline window",
        ),
        EventType(
            type="sps.supervision.checkin-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=CheckinMissed,
            summary="A scheduled check-in was missed",
        ),
        EventType(
            type="sps.supervision.contact-check-due",
            topic=topics.SUPERVISION_EVENTS,
            data=ContactCheckDue,
            summary="The contact window passed: the office must try to reach the person",
        ),
        EventType(
            type="sps.supervision.contact-checked",
            topic=topics.SUPERVISION_EVENTS,
            data=ContactChecked,
            summary="The result of trying to reach the person (reached, unreachable, no result, a sign of life)",
        ),
        EventType(
            type="sps.supervision.contact-lost",
            topic=topics.SUPERVISION_EVENTS,
            data=ContactLost,
            summary="No fix and no check-in for the contact-lost window",
        ),
        EventType(
            type="sps.supervision.intake-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=IntakeMissed,
            summary="Not reported within the intake window (漏管)",
        ),
        EventType(
            type="sps.supervision.leave-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=LeaveOverdue,
            summary="Leave ended, not back in the area",
        ),
        EventType(
            type="sps.supervision.sanction-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=SanctionRecorded,
            summary="An admonition, warning or revocation proposal",
        ),
        EventType(
            type="sps.supervision.positioning-term-ending",
            topic=topics.SUPERVISION_EVENTS,
            data=PositioningTermEnding,
            summary="Electronic positioning near the end of its term",
        ),
        EventType(
            type="sps.supervision.aftercare-followup-due",
            topic=topics.SUPERVISION_EVENTS,
            data=AftercareFollowupDue,
            summary="Aftercare phone call or visit due",
        ),
        EventType(
            type="sps.supervision.rehab-report-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=RehabReportMissed,
            summary="Community rehabilitation not reported in time",
        ),
        EventType(
            type="sps.supervision.key-persons-unconfirmed",
            topic=topics.SUPERVISION_EVENTS,
            data=KeyPersonsUnconfirmed,
            summary="A justice office had not confirmed its month's key-person list in time (一月一认定)",
        ),
        EventType(
            type="sps.supervision.sanction-proposed",
            topic=topics.SUPERVISION_EVENTS,
            data=SanctionProposed,
            summary="A justice office proposed a sanction for the county bureau to decide",
        ),
        EventType(
            type="sps.supervision.sanction-proposal-decided",
            topic=topics.SUPERVISION_EVENTS,
            data=SanctionProposalDecided,
            summary="The county bureau approved or refused a proposed sanction",
        ),
        EventType(
            type="sps.supervision.plan-made",
            topic=topics.SUPERVISION_EVENTS,
            data=PlanMade,
            summary="An individual correction plan made by the office (个案矫正方案)",
        ),
        EventType(
            type="sps.supervision.plan-approved",
            topic=topics.SUPERVISION_EVENTS,
            data=PlanApproved,
            summary="A correction plan approved: the case's plan in force",
        ),
        EventType(
            type="sps.supervision.plan-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=PlanOverdue,
            summary="No approved correction plan by its day (after intake, a level change or at review)",
        ),
        EventType(
            type="sps.supervision.help-requested",
            topic=topics.SUPERVISION_EVENTS,
            data=HelpRequested,
            summary="A request for help: the office's task with its deadline",
        ),
        EventType(
            type="sps.supervision.help-answered",
            topic=topics.SUPERVISION_EVENTS,
            data=HelpAnswered,
            summary="The office answered a help request, or referred it to civil affairs",
        ),
        EventType(
            type="sps.supervision.help-request-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=HelpRequestOverdue,
            summary="A help request not answered by its deadline",
        ),
        EventType(
            type="sps.ingest.app-report",
            topic=topics.APP_REPORTS,
            data=AppReport,
            summary="A report from the supervised person's app (在矫通): hours or a help request",
        ),
        EventType(
            type="sps.supervision.hours-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=HoursRecorded,
            summary="Study or community-service time recorded, or confirmed",
        ),
        EventType(
            type="sps.supervision.hours-short",
            topic=topics.SUPERVISION_EVENTS,
            data=HoursShort,
            summary="A month ended short of the hours the person's level owes",
        ),
        EventType(
            type="sps.supervision.hours-short-withdrawn",
            topic=topics.SUPERVISION_EVENTS,
            data=HoursShortWithdrawn,
            summary="A month judged short met its hours with time confirmed later: its signal is withdrawn",
        ),
        EventType(
            type="sps.supervision.case-transferred",
            topic=topics.SUPERVISION_EVENTS,
            data=CaseTransferred,
            summary="A case moved to another justice office inside the county",
        ),
        EventType(
            type="sps.supervision.case-closed",
            topic=topics.SUPERVISION_EVENTS,
            data=CaseClosed,
            summary="A case ended (期满), was revoked (收监) or transferred",
        ),
        EventType(
            type="sps.supervision.ending-announced",
            topic=topics.SUPERVISION_EVENTS,
            data=EndingAnnounced,
            summary="The office announced the end of a corrections term (解矫宣告)",
        ),
        EventType(
            type="sps.supervision.battery-low",
            topic=topics.SUPERVISION_EVENTS,
            data=BatteryLow,
            summary="A positioning device's battery is low",
        ),
        EventType(
            type="sps.supervision.separation-reported",
            topic=topics.SUPERVISION_EVENTS,
            data=SeparationReported,
            summary="人机分离: the device was found not with the person",
        ),
        EventType(
            type="sps.supervision.rehab-serious-breach",
            topic=topics.SUPERVISION_EVENTS,
            data=RehabSeriousBreach,
            summary="社区康复: a serious breach (unreported trips, days away, dodged tests)",
        ),
        EventType(
            type="sps.supervision.level-changed",
            topic=topics.SUPERVISION_EVENTS,
            data=LevelChanged,
            summary="The supervision level changed (分类管理)",
        ),
        EventType(
            type="sps.supervision.positioning-started",
            topic=topics.SUPERVISION_EVENTS,
            data=PositioningStarted,
            summary="Electronic positioning approved or renewed (电子定位)",
        ),
        EventType(
            type="sps.supervision.positioning-ended",
            topic=topics.SUPERVISION_EVENTS,
            data=PositioningEnded,
            summary="Electronic positioning ended, its device unbound (term end or case closed)",
        ),
        EventType(
            type="sps.supervision.followup-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=FollowupRecorded,
            summary="An aftercare follow-up was recorded (后续照管回访)",
        ),
        EventType(
            type="sps.supervision.key-persons-determined",
            topic=topics.SUPERVISION_EVENTS,
            data=KeyPersonsDetermined,
            summary="A justice office's monthly key-person list (一月一认定)",
        ),
        EventType(
            type="sps.supervision.key-person-newly-determined",
            topic=topics.SUPERVISION_EVENTS,
            data=KeyPersonNewlyDetermined,
            summary="A person newly on an office's monthly key-person list (signal: risk_high)",
        ),
        EventType(
            type="sps.handover.opened",
            topic=topics.HANDOVER_EVENTS,
            data=HandoverOpened,
            summary="A notice was received and verified (linked or unlinked)",
        ),
        EventType(
            type="sps.handover.supplemented",
            topic=topics.HANDOVER_EVENTS,
            data=InformationSupplemented,
            summary="What the office learned of a released person after arrival (信息补录)",
        ),
        EventType(
            type="sps.handover.arrived",
            topic=topics.HANDOVER_EVENTS,
            data=ArrivalRegistered,
            summary="A released person registered at the justice office",
        ),
        EventType(
            type="sps.handover.release-intake-missed",
            topic=topics.HANDOVER_EVENTS,
            data=ReleaseIntakeMissed,
            summary="Key releasee not registered after release (漏管)",
        ),
        EventType(
            type="sps.handover.rehab-arrival-missed",
            topic=topics.HANDOVER_EVENTS,
            data=RehabArrivalMissed,
            summary="Community-rehabilitation releasee not come within the window (社区康复未报到)",
        ),
        EventType(
            type="sps.handover.pickup-unplanned",
            topic=topics.HANDOVER_EVENTS,
            data=PickupUnplanned,
            summary="Key releasee without a pick-up plan before release",
        ),
        EventType(
            type="sps.handover.receipt-overdue",
            topic=topics.HANDOVER_EVENTS,
            data=ReceiptOverdue,
            summary="Pre-release notice without a receipt in time",
        ),
        EventType(
            type="sps.risk.assessed",
            topic=topics.RISK_EVENTS,
            data=RiskAssessed,
            summary="A risk assessment was made or overridden",
        ),
        EventType(
            type="sps.risk.reassessment-overdue",
            topic=topics.RISK_EVENTS,
            data=ReassessmentOverdue,
            summary="A reassessment is overdue for the person's level",
        ),
        EventType(
            type="sps.risk.risk-high",
            topic=topics.RISK_EVENTS,
            data=RiskHigh,
            summary="Assessment rose to high, or key person newly determined",
        ),
        EventType(
            type="sps.security.sign-in-burst",
            topic=topics.SECURITY_EVENTS,
            data=SignInBurst,
            summary="A burst of failed sign-ins or token requests from one address",
        ),
        EventType(
            type="sps.alert.notification-failed",
            topic=topics.NOTIFICATIONS_DEAD,
            data=NotificationFailed,
            summary="An alert notification was given up after every retry",
        ),
        *[
            EventType(type=f"sps.alert.{step}", topic=topics.ALERTS, data=AlertData, summary=f"An alert was {step}")
            for step in ("raised", "escalated", "acknowledged", "disposed", "closed")
        ],
    ]
}


# Every step of an alert's life as alerts.v1 carries it (raised … transferred): the command centre
# projects each and the console listens for each, from this one list.
ALERT_STEPS: tuple[str, ...] = tuple(
    t.removeprefix("sps.alert.") for t, et in EVENT_TYPES.items() if et.topic == topics.ALERTS and et.data is AlertData
)


class UnknownEventType(ValueError):
    pass


_BY_DATA: dict[type[EventData], list[EventType]] = {}
for _et in EVENT_TYPES.values():
    _BY_DATA.setdefault(_et.data, []).append(_et)


def event_type_of(data: EventData, type: str | None = None) -> EventType:
    """The registered type of `data`, from its class; `type` picks one where a class has several
    (the alert steps share `AlertData`). Publishing an unregistered class is a programming error."""
    registered = _BY_DATA.get(data.__class__)
    if not registered:
        raise UnknownEventType(f"{data.__class__.__name__} is not a registered event type")
    if type is None:
        if len(registered) > 1:
            raise UnknownEventType(
                f"{data.__class__.__name__} is the data of several types "
                f"({', '.join(e.type for e in registered)}): name one"
            )
        return registered[0]
    for et in registered:
        if et.type == type:
            return et
    raise UnknownEventType(f"{type!r} is not a type of {data.__class__.__name__}")


def build_event(
    data: EventData,
    source: str,
    *,
    subject: uuid.UUID | str | None,
    type: str | None = None,
    id: uuid.UUID | None = None,
    cause: IncomingEvent | None = None,
    time: datetime | None = None,
) -> tuple[str, OutgoingEvent]:
    """The topic and the CloudEvent for `data`, its type from the registry by its class."""
    et = event_type_of(data, type)
    return et.topic, new_event(
        et.type, source, data, subject=None if subject is None else str(subject), cause=cause, time=time, id=id
    )


def build_dumped(
    event_type: str, source: str, data: dict[str, Any], *, subject: str, id: uuid.UUID
) -> tuple[str, OutgoingEvent]:
    """`build_event` for data already validated and dumped as JSON (the gateway's batches, whose
    records go to Kafka encoded by `envelope.encode_many` and, when Kafka is away, to the outbox
    as these same events)."""
    et = EVENT_TYPES[event_type]
    return et.topic, new_event(et.type, source, data, subject=subject, id=id)


def topics_of(event_types: Iterable[str]) -> list[str]:
    """The topics that carry these event types: a consumer subscribes to what it handles."""
    try:
        return sorted({EVENT_TYPES[t].topic for t in event_types})
    except KeyError as exc:
        raise UnknownEventType(f"a handler names the unknown event type {exc.args[0]!r}") from None


class InvalidEventData(ValueError):
    pass


def parse_data(event: IncomingEvent) -> EventData:
    """Validate `event.data` against its registered schema, tolerating unknown fields."""
    et = EVENT_TYPES.get(event.type)
    if et is None:
        raise UnknownEventType(f"unknown event type {event.type!r}")
    try:
        return et.data.model_validate(_tolerant(et.data, event.data))
    except ValidationError as exc:
        raise InvalidEventData(f"invalid data for {event.type}: {describe_validation_error(exc)}") from None


_TYPED: dict[str, type[IncomingEvent] | None] = {}


def typed_envelope(event_type: str) -> type[IncomingEvent] | None:
    """A CloudEvent of this type, its data the registered model (unknown data fields ignored, as
    `parse_data` does): validated in one pass from the record's bytes (docs/performance.md)."""
    if event_type in _TYPED:
        return _TYPED[event_type]
    et = EVENT_TYPES.get(event_type)
    model: type[IncomingEvent] | None = None
    if et is not None:
        name = et.data.__name__
        tolerant = type(f"{name}In", (et.data,), {"model_config": ConfigDict(extra="ignore", frozen=True)})
        model = type(f"{name}Event", (IncomingEvent,), {"__annotations__": {"data": tolerant}, "__module__": __name__})
    _TYPED[event_type] = model
    return model


def decode_typed(raw: bytes | None, event_type: str) -> tuple[IncomingEvent, EventData] | None:
    """The envelope and its data validated in one pass from a record's bytes, for the type the
    record's header names (`sps-type`); None when that fails or the envelope names another type.
    Then the caller decodes the long way (`decode`, `parse_data`), whose errors say what is wrong,
    so a bad record's dead-letter reason never depends on the path."""
    if raw is None or NUL_ESCAPE in raw or (model := typed_envelope(event_type)) is None:
        return None
    try:
        event = model.model_validate_json(raw)
    except ValidationError:
        return None
    if event.type != event_type:
        return None
    return event, event.data  # type: ignore[return-value]


_KNOWN_FIELDS: dict[type[EventData], frozenset[str]] = {}


def _tolerant(model: type[EventData], data: dict[str, Any]) -> dict[str, Any]:
    # Cached: pydantic's `model_fields` is a deprecation-wrapped property that cost supervision
    # ~4 % of its CPU when read per record (docs/performance.md, section 4).
    known = _KNOWN_FIELDS.get(model)
    if known is None:
        known = _KNOWN_FIELDS[model] = frozenset(model.model_fields)
    if data.keys() <= known:
        return data
    return {k: v for k, v in data.items() if k in known}


def envelope_json_schema(event_type: str) -> dict[str, Any]:
    """JSON Schema of a whole CloudEvent of this type (envelope + data)."""
    et = EVENT_TYPES[event_type]
    data_schema = et.data.model_json_schema(ref_template="#/$defs/{model}")
    defs = data_schema.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://sps.jiangyin.example/schemas/{event_type}.json",
        "title": event_type,
        "description": et.summary,
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "pattern": "^/sps/"},
            "type": {"const": event_type},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string"},
            "datacontenttype": {"const": "application/json"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "data": data_schema,
        },
        "$defs": defs,
    }
