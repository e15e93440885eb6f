"""What an agency's request becomes on Kafka: the masked person and the ingest event's data.

The real identity never leaves the gateway: events carry the masked name and 身份证号, the
town, the sex and the risk instrument's age band (not the birth date) (docs/domain.md §6).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel

from services.exchange.domain.requests import CourtOrderIn, PersonIn, RehabNoticeIn, ReleaseNoticeIn
from shared.events import CourtOrderIngested, MaskedPerson, RehabNoticeIngested, ReleaseNoticeIngested
from shared.identity import mask_id_number, mask_name


@dataclass(frozen=True)
class AgencyNumber:
    """An agency's own number for a record (an order's 文书号, a notice's 编号), unique per issuer,
    with the hash of the content it was first sent with."""

    kind: str
    issuer: str
    number: str
    content_hash: str


def agency_number(
    kind: str, issuer: str, number: str, body: BaseModel, about: dict[str, str] | None = None
) -> AgencyNumber:
    """The number and a hash of the request's content, independent of key order and whitespace.
    `about` is what the request is on when its path says it (a ruling's proposal): the same number
    on another one is other content, a 409, never a silent repeat (docs/security.md, L6)."""
    content = {**body.model_dump(mode="json"), **({"(about)": about} if about else {})}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return AgencyNumber(kind, issuer, number, hashlib.sha256(canonical.encode()).hexdigest())


AgeBand = Literal["<25", "25-34", "35-49", "50+"]


def age_band_of(id_number: str, today: date) -> AgeBand:
    """The risk instrument's age band on the county's `today`, from the birth date in the 身份证号
    (the date itself stays here)."""
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return "<25" if age < 25 else "25-34" if age < 35 else "35-49" if age < 50 else "50+"


def masked(person: PersonIn, town: str, today: date) -> MaskedPerson:
    return MaskedPerson(
        name_masked=mask_name(person.name),
        id_number_masked=mask_id_number(person.id_number),
        sex=person.sex,
        residence_town=town,
        age_band=age_band_of(person.id_number, today),
    )


def court_order(body: CourtOrderIn, person_id: uuid.UUID, today: date) -> CourtOrderIngested:
    """A community-correction order (社区矫正决定)."""
    return CourtOrderIngested(
        order_no=body.order_no,
        court=body.court,
        person_id=person_id,
        person=masked(body.person, body.person.residence.town, today),
        sentence_kind=body.sentence_kind,
        offence=body.offence,
        offence_category=body.offence_category,
        term_start=body.term_start,
        term_end=body.term_end,
        judgment_effective=body.judgment_effective,
        electronic_monitoring=body.electronic_monitoring,
        device_id=body.device_id,
        permitted_area=body.permitted_area,
        exclusion_zones=body.exclusion_zones,
    )


def release_notice(body: ReleaseNoticeIn, person_id: uuid.UUID, today: date) -> ReleaseNoticeIngested:
    """A prison's pre-release notice (预释放人员信息)."""
    return ReleaseNoticeIngested(
        notice_no=body.notice_no,
        prison=body.prison,
        person_id=person_id,
        person=masked(body.person, body.person.residence.town, today),
        offence=body.offence,
        offence_category=body.offence_category,
        release_date=body.release_date,
        sentence_months=body.sentence_months,
        deprived_political_rights=body.deprived_political_rights,
        three_false=body.three_false,
        household_residence_separated=body.household_residence_separated,
        serious_illness=body.serious_illness,
        reform_performance=body.reform_performance,
        prison_risk_rating=body.prison_risk_rating,
        destination_town=body.destination.town,
    )


def rehab_notice(body: RehabNoticeIn, person_id: uuid.UUID, today: date) -> RehabNoticeIngested:
    """A rehabilitation centre's notice of release (即将解戒人员信息)."""
    return RehabNoticeIngested(
        notice_no=body.notice_no,
        centre=body.centre,
        person_id=person_id,
        person=masked(body.person, body.person.residence.town, today),
        release_date=body.release_date,
        destination_town=body.destination.town,
        key_person=body.key_person,
        community_rehabilitation=body.community_rehabilitation,
    )
