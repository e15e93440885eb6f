"""Request bodies of the gateway (contract §4). More fields are welcome and ignored.

Identity is validated here (身份证号 length, birth date, check digit); it never leaves the
gateway in clear.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.events import AppReport, Checkin, ExclusionZone, GeoPolygon, LocationFix, OffenceCategory, SentenceKind
from shared.identity import InvalidIdNumber, normalise_id_number


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Residence(_In):
    town: str = Field(min_length=1, max_length=20)
    address: str | None = Field(None, max_length=200)


class PersonIn(_In):
    name: str = Field(min_length=1, max_length=50)
    id_number: str
    sex: Literal["M", "F"]
    phone: str | None = Field(None, pattern=r"^\+?[0-9\-]{5,20}$")
    residence: Residence

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        try:
            return normalise_id_number(value)
        except InvalidIdNumber as exc:
            raise ValueError(f"身份证号 {exc}") from None


class CourtOrderIn(_In):
    order_no: str = Field(min_length=1, max_length=64)
    court: str = Field(min_length=1, max_length=100)
    person: PersonIn
    sentence_kind: SentenceKind
    offence: str = Field(min_length=1, max_length=100)
    offence_category: OffenceCategory
    term_start: date
    term_end: date
    judgment_effective: date | None = None
    electronic_monitoring: bool = False
    # The device fitted under the order (contract 1.1, additive): bound to the person at once.
    device_id: str | None = Field(None, min_length=1, max_length=64)
    permitted_area: Literal["jiangyin"] | GeoPolygon = "jiangyin"
    exclusion_zones: list[ExclusionZone] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _term(self) -> CourtOrderIn:
        if self.term_end < self.term_start:
            raise ValueError("term_end is before term_start")
        if self.device_id is not None and not self.electronic_monitoring:
            raise ValueError("device_id is given without electronic_monitoring")
        return self


class Destination(_In):
    town: str = Field(min_length=1, max_length=40)  # outside Jiangyin is accepted: handover lists it as unlinked
    address: str | None = Field(None, max_length=200)


class ReleaseNoticeIn(_In):
    notice_no: str = Field(min_length=1, max_length=64)
    prison: str = Field(min_length=1, max_length=100)
    person: PersonIn
    offence: str = Field(min_length=1, max_length=100)
    offence_category: OffenceCategory
    release_date: date
    sentence_months: int = Field(ge=0, le=12 * 100)
    deprived_political_rights: bool = False
    three_false: bool = False
    household_residence_separated: bool = False
    serious_illness: bool = False
    reform_performance: Literal["good", "average", "poor"] = "average"
    prison_risk_rating: Literal["low", "medium", "high"] = "medium"
    destination: Destination


class ReleaseNoticeBatch(_In):
    """A prison's list of notices in one request: each row is checked on its own (a bad row is
    answered with its errors, never refusing the good ones), so the rows stay plain objects here."""

    notices: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class RehabNoticeIn(_In):
    notice_no: str = Field(min_length=1, max_length=64)
    centre: str = Field(min_length=1, max_length=100)
    person: PersonIn
    release_date: date
    destination: Destination
    key_person: bool = False
    community_rehabilitation: bool = False


class FixIn(LocationFix):
    """One fix as a device sends it: the event's own schema, with extra fields welcome."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class LocationBatch(_In):
    fixes: list[FixIn] = Field(min_length=1, max_length=1000)


class CheckinIn(Checkin):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CheckinBatch(_In):
    checkins: list[CheckinIn] = Field(min_length=1, max_length=1000)


class AppReportIn(AppReport):
    """One report from 在矫通: time for study or community service carries its minutes; a help
    request carries none."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="after")
    def _minutes_for_time(self) -> AppReportIn:
        if self.kind == "help_request" and self.minutes is not None:
            raise ValueError("a help request carries no minutes")
        if self.kind != "help_request" and self.minutes is None:
            raise ValueError(f"a {self.kind} report needs its minutes")
        if self.kind == "help_request" and not self.note.strip():
            raise ValueError("a help request says what help is asked for (note)")
        return self


class AppReportBatch(_In):
    reports: list[AppReportIn] = Field(min_length=1, max_length=500)
