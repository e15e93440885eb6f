"""What agencies and devices send in, through the exchange gateway (contract §2)."""

from __future__ import annotations

import uuid
from datetime import date
from datetime import date as Day  # for a field named `date` (the contract's), which would shadow the type
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.alerts import SearchOutcome
from shared.events.base import EventData, UtcDatetime
from shared.events.risk import RiskRating


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


class AppReport(EventData):
    """One report from the supervised person's app (在矫通, `POST /v1/app/reports`): study or
    community-service time (to be confirmed), or a request for help."""

    person_id: uuid.UUID
    kind: Literal["study", "community_service", "help_request"]
    minutes: int | None = Field(None, ge=1, le=24 * 60)
    date: Day
    note: str = Field("", max_length=1000)


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


class PoliceAcknowledged(EventData):
    """The police took over community control (社区管控) of a handed-over key person."""

    handover_id: uuid.UUID
    person_id: uuid.UUID | None = None
    police_unit: str
    officer: str | None = None
    acknowledged_at: AwareDatetime
