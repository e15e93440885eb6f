"""Request bodies of the gateway (contract §4). More fields are welcome and ignored.

Identity is validated here (身份证号 length, birth date, check digit); it never leaves the
gateway in clear.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.events import ExclusionZone, GeoPolygon
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
    sentence_kind: Literal["probation", "parole", "control", "medical_parole"]
    offence: str = Field(min_length=1, max_length=100)
    offence_category: Literal[
        "property", "violent", "drug", "sexual", "national_security", "organised_crime", "duty", "other"
    ]
    term_start: date
    term_end: date
    judgment_effective: date | None = None
    electronic_monitoring: bool = False
    permitted_area: Literal["jiangyin"] | GeoPolygon = "jiangyin"
    exclusion_zones: list[ExclusionZone] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _term(self) -> CourtOrderIn:
        if self.term_end < self.term_start:
            raise ValueError("term_end is before term_start")
        return self


class FixIn(_In):
    person_id: str = Field(pattern=r"^[0-9a-fA-F\-]{36}$")
    device_id: str = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)
    recorded_at: AwareDatetime
    battery_pct: float | None = Field(None, ge=0, le=100)
    strap_intact: bool | None = None


class LocationBatch(_In):
    fixes: list[FixIn] = Field(min_length=1, max_length=1000)


class CheckinIn(_In):
    person_id: str = Field(pattern=r"^[0-9a-fA-F\-]{36}$")
    channel: Literal["app", "phone", "in_person", "video"]
    recorded_at: AwareDatetime
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class CheckinBatch(_In):
    checkins: list[CheckinIn] = Field(min_length=1, max_length=1000)
