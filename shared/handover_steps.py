"""The handover's staff steps (安置帮教衔接) as one table: each step's name (the last part of its
path), its body and the status its owner answers with. Handover records them (its internal routes
take each body with who acts); the command centre makes one forwarding route per row, so both
sides, their OpenAPI documents and the console's forms name the same fields (docs/architecture.md).
Which authority a step needs is the handover's to say (an unlinked notice is the county's), not
the table's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator


class Resolve(BaseModel):
    town: str | None = Field(None, description="a Jiangyin town to link it to; omit to confirm it belongs elsewhere")


class PickupPlan(BaseModel):
    who: str = Field(min_length=1, max_length=100)
    when: AwareDatetime
    escort: str = Field(min_length=1, max_length=200)


class PickupOutcome(BaseModel):
    outcome: Literal["picked_up", "failed", "declined"]


class Moment(BaseModel):
    at: AwareDatetime


class Agreement(BaseModel):
    """安置帮教协议 (1+1+N): the person, the office, and N helpers, with the terms each keeps."""

    terms: list[str] = Field(min_length=1, max_length=50)
    signed_on: date
    helpers: list[str] = Field(default_factory=list, max_length=20)  # the N: family, employer, volunteers…


class AgreementCheck(BaseModel):
    """Whether the agreement is kept, as the office found on a day."""

    on: date
    kept: bool
    note: str = Field(min_length=1, max_length=2000)


class Application(BaseModel):
    """自愿申请帮教: the released person asked for assistance themselves."""

    at: AwareDatetime


class Assistance(BaseModel):
    kind: Literal["minimum_living", "medical", "housing", "temporary_relief", "other"]


class Verification(BaseModel):
    """信息核查: the notice's information checked against the person and the household register;
    `not_ours` sends it back to the county's unlinked list, the note saying why."""

    result: Literal["confirmed", "corrected", "not_ours"]
    note: str = Field(min_length=1, max_length=2000)


class Supplement(BaseModel):
    """信息补录 after arrival: any of the four, at least one (none is a 422, not a step refused)."""

    employment: Literal["employed", "unemployed"] | None = None
    family_support: Literal["strong", "weak", "none"] | None = None
    housing: Literal["stable", "temporary", "none"] | None = None
    substance_use: Literal["none", "past", "current"] | None = None

    @model_validator(mode="after")
    def _something(self) -> Supplement:
        if all(v is None for v in (self.employment, self.family_support, self.housing, self.substance_use)):
            raise ValueError("record at least one of employment, family_support, housing, substance_use")
        return self


class Reoffence(BaseModel):
    """重新犯罪: a later judgment of the released person (docs/indicators.md), by its court and number."""

    court: str = Field(min_length=1, max_length=100)
    judgment_no: str = Field(min_length=1, max_length=100)
    sentenced_on: date
    sentence: Literal[
        "imprisonment",  # 有期徒刑及以上: back to prison
        "criminal_detention",  # 拘役
        "community_corrections",  # 管制、缓刑 (the court's order reaches the platform too)
        "fine_only",  # 单处罚金等附加刑
    ]


class Service(BaseModel):
    """A resettlement service after release (docs/indicators.md: 安置率, 就业服务率)."""

    kind: Literal[
        "placed_employment",  # 安置: a job
        "placed_self_employed",  # 安置: self-employed
        "placed_family",  # 安置: taken in by family
        "placed_base",  # 安置: a resettlement base (安置基地)
        "unemployment_registration",  # 就业服务: 失业登记
        "skills_training",  # 就业服务: 技能培训
        "job_referral",  # 就业服务: 推荐就业
    ]
    on: date
    note: str | None = Field(None, max_length=2000)
    base_id: uuid.UUID | None = None  # 安置基地: the base a placed_base placement is in


@dataclass(frozen=True)
class HandoverStep:
    body: type[BaseModel]
    status: int = 200  # 201 where the step adds a record of its own (a service, a request, a judgment)
    summary: str = ""


HANDOVER_STEPS: dict[str, HandoverStep] = {
    "resolve": HandoverStep(
        Resolve, summary="An unlinked notice linked to an office, or confirmed to belong elsewhere"
    ),
    "verification": HandoverStep(Verification, summary="信息核查: the office's check, which sends the receipt"),
    "pickup-plan": HandoverStep(PickupPlan, summary="必接必送: who picks the key person up, when, with whom"),
    "pickup-outcome": HandoverStep(PickupOutcome, summary="Whether the person was picked up"),
    "release": HandoverStep(Moment, summary="Released from prison"),
    "arrival": HandoverStep(Moment, summary="Registered at the office: supervision opens the case"),
    "agreement": HandoverStep(Agreement, summary="安置帮教协议 (1+1+N) signed"),
    "agreement-check": HandoverStep(AgreementCheck, summary="Whether the agreement is kept"),
    "application": HandoverStep(Application, summary="自愿申请帮教: the person applied themselves"),
    "assistance": HandoverStep(Assistance, 201, summary="A request to civil affairs for social assistance"),
    "services": HandoverStep(Service, 201, summary="A placement (安置) or an employment service"),
    "supplement": HandoverStep(Supplement, summary="信息补录 after arrival: risk assesses again"),
    "reoffence": HandoverStep(Reoffence, 201, summary="重新犯罪: a later judgment, a prison sentence too"),
}
