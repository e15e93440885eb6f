"""The bodies of staff steps on a person's case: written once for the command centre (which takes
them from staff) and supervision (which records them, with who took the step)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from shared.identity import InvalidIdNumber, normalise_id_number

TeamRole = Literal["justice_office", "committee", "grid_worker", "family", "employer", "social_worker", "volunteer"]


class NoBody(BaseModel):
    """A step whose route says all (a confirmation, an approval)."""


class Leave(BaseModel):
    """请假外出: an application, or a leave approved on the spot; the level its length needs decides."""

    start: AwareDatetime
    end: AwareDatetime
    destination: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class LeaveDecision(BaseModel):
    reason: str | None = Field(None, max_length=500, description="why, when refusing (mandatory then)")


class LeaveReturn(BaseModel):
    """销假."""

    returned_at: AwareDatetime


class Sanction(BaseModel):
    """训诫 / 警告 / 提请撤销, each kind its own action in the authority model."""

    kind: Literal["admonition", "warning", "revocation_proposal"]
    reason: str = Field(min_length=2, max_length=1000)


class Positioning(BaseModel):
    ground: str = Field(min_length=1, max_length=60, description="one of the five legal grounds")
    device_id: str = Field(min_length=1, max_length=64)
    starts_on: date | None = None


class Renewal(BaseModel):
    review_note: str = Field(min_length=2, max_length=2000)


class Followup(BaseModel):
    kind: Literal["phone", "visit"]
    at: AwareDatetime
    drug_test: Literal["negative", "positive", "refused", "not_tested"] = "not_tested"
    police_record: bool = False
    note: str = Field(min_length=1, max_length=2000)


class Trip(BaseModel):
    leaves_on: date
    returns_on: date
    destination: str = Field(min_length=1, max_length=200)
    reported: bool


class Member(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    role: TeamRole
    sex: Literal["M", "F"]
    # 协矫通: the member's platform account (a team_member login), through which they see this person
    account: str | None = Field(None, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")


class TeamEntry(BaseModel):
    """A team member's visit to the person, or a note on them (协矫通)."""

    kind: Literal["visit", "note"]
    on: date
    text: str = Field(min_length=2, max_length=2000)


class Team(BaseModel):
    members: list[Member] = Field(max_length=20)


class Close(BaseModel):
    outcome: Literal["revoked", "transferred"]
    reason: str = Field(min_length=2, max_length=2000)
    # Transferred out of the county: the receiving county's bureau (the notice names it).
    to_county: str | None = Field(None, min_length=2, max_length=100)


class SanctionProposal(BaseModel):
    """A sanction the office proposes to whoever decides it (policy/authority.yaml)."""

    kind: Literal["admonition", "warning", "revocation_proposal"]
    reason: str = Field(min_length=2, max_length=1000)


class ProposalDecision(BaseModel):
    decision: Literal["approved", "refused"]
    note: str = Field(min_length=2, max_length=1000)


class HoursEntry(BaseModel):
    """Study or community-service time the office saw done (教育学习, 公益活动)."""

    kind: Literal["study", "community_service"]
    minutes: int = Field(ge=1, le=24 * 60)
    on: date
    note: str = Field("", max_length=1000)


class PlanItem(BaseModel):
    kind: Literal[
        "group_education",
        "individual_education",
        "online_study",
        "community_service",
        "psychological",
        "vocational",
        "family_support",
        "target",
        # 帮教计划 (resettlement) besides the above
        "employment_help",  # 就业帮扶
        "social_assistance",  # 社会救助
        "regular_visits",  # 定期走访
    ]
    detail: str = Field(min_length=1, max_length=500)


class Plan(BaseModel):
    """An individual correction plan (个案矫正方案), or a released person's help plan (帮教计划):
    what the person will do and be given, item by item."""

    items: list[PlanItem] = Field(min_length=1, max_length=20)


class HelpRequest(BaseModel):
    """A request for help the office records (the app sends its own)."""

    kind: Literal["minimum_living", "employment", "legal_aid", "psychological", "schooling", "other"]
    note: str = Field(min_length=2, max_length=1000)


class HelpAnswer(BaseModel):
    outcome: Literal["helped", "declined", "referred"]
    note: str = Field(min_length=2, max_length=1000)


class Transfer(BaseModel):
    """A case moved to another justice office inside the county: its history and alerts go with it."""

    to_office: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=2, max_length=2000)


class EndingAnnouncement(BaseModel):
    """解矫宣告: the office announces the end of the term to the person, on or after its last day."""

    announced_at: AwareDatetime
    place: str = Field(min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2000)


class NoticeReply(BaseModel):
    """The office's reply to a procuratorate's notice (检察建议 / 纠正违法通知)."""

    reply: str = Field(min_length=2, max_length=5000)


class ContactResult(BaseModel):
    """The result of trying to reach a person after the contact window (失联核查)."""

    outcome: Literal["reached", "unreachable"]
    at: AwareDatetime
    note: str = Field(min_length=1, max_length=2000)


class IntakeReport(BaseModel):
    """报到: the person reported to the office (contract §7.5). Only the office records it: a
    device's check-in, of whatever channel, is no 报到."""

    reported_at: AwareDatetime
    note: str | None = Field(None, max_length=2000)


class Separation(BaseModel):
    observed_at: AwareDatetime
    note: str = Field(min_length=1, max_length=2000)


class SocialForce(BaseModel):
    """A social worker, volunteer or social organisation registered with an office (社会力量)."""

    kind: Literal["social_worker", "volunteer", "organisation"]
    name: str = Field(min_length=1, max_length=100)
    office: str = Field(min_length=2, max_length=60)
    organisation: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{5,20}$")
    # 协矫通: the helper's account; the persons they serve are the teams that name it
    account: str | None = Field(None, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")


class ServiceTime(BaseModel):
    """Time a registered helper served (a visit, a class, a day of community work)."""

    on: date
    minutes: int = Field(ge=1, le=24 * 60)
    note: str = Field("", max_length=1000)


class LeftService(BaseModel):
    on: date


# --- remote family video visits (远程亲情视频会见, services/handover/visits.py) ---------------------------

Relationship = Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "other"]


class FamilyIn(BaseModel):
    """The family member, as the office's staff saw them (handover masks the number at once and
    keeps it nowhere)."""

    name: str = Field(min_length=1, max_length=50)
    id_number: str
    relationship: Relationship

    @field_validator("id_number")
    @classmethod
    def _valid(cls, value: str) -> str:
        try:
            return normalise_id_number(value)
        except InvalidIdNumber as exc:
            raise ValueError(str(exc)) from None


class Booking(BaseModel):
    office: str = Field(min_length=2, max_length=60, description="the justice office whose video room the family uses")
    family: FamilyIn


class Cancellation(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class VisitOutcome(BaseModel):
    outcome: Literal["held", "no_show"]
    note: str = Field("", max_length=1000)


class ConversionMeasures(BaseModel):
    """挂牌转化: what will be done to convert the key person, and who carries it out."""

    measures: list[str] = Field(min_length=1, max_length=20)
    responsible: str = Field(min_length=1, max_length=100)

    @field_validator("measures")
    @classmethod
    def _each_said(cls, measures: list[str]) -> list[str]:
        said = [m.strip() for m in measures]
        if any(len(m) < 2 or len(m) > 500 for m in said):
            raise ValueError("each measure is 2 to 500 characters")
        return said


class ConversionProgress(BaseModel):
    on: date
    note: str = Field(min_length=2, max_length=2000)


class CountyListing(BaseModel):
    """市级挂牌: the county takes the person onto its own list, saying why."""

    reason: str = Field(min_length=2, max_length=1000)


class ConversionEnd(BaseModel):
    """解除挂牌: converted (转化), with what shows it."""

    outcome: Literal["converted"] = "converted"
    note: str = Field(min_length=2, max_length=2000)
