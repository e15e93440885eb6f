"""The staff steps on a person's case as one table (docs/architecture.md, "A staff step"): each
step's path under the person, its body, the authority model's action the command centre checks
(supervision checks it again with the case's office), how the audit trail files it and the status
the owner answers with. Supervision records each step (its internal route takes the body with who
acts); the command centre makes one forwarding route per row (services/command_centre/api/
person_steps.py), so both sides, their OpenAPI documents and the console's forms name the same
fields; `tests/unit/test_person_steps_contract.py` holds both sides to the table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from shared import staff_steps as steps

Access = Literal["create", "update"]


@dataclass(frozen=True)
class PersonStep:
    body: type[BaseModel]
    may: str | None  # None: the step's own rule decides who may (supervision alone checks)
    summary: str
    access: Access = "create"
    status: int = 200
    method: Literal["POST", "PUT"] = "POST"
    resource: str | None = None  # the audit trail's resource; the action's first word unless named
    # The owner's path under /internal/v1/ where it is not the public one under persons/{person_id}/.
    owner_path: str | None = None
    # The body may be left out (an approval): the step's body with its defaults is sent then.
    body_optional: bool = False

    @property
    def body_may_be_left_out(self) -> bool:
        return self.body_optional or self.body is steps.NoBody

    def audited_as(self) -> str:
        return self.resource or (self.may or "case").split(".")[0]


# Keyed by the path under /api/v1/persons/{person_id}/ (the owner's under /internal/v1/persons/{person_id}/).
PERSON_STEPS: dict[str, PersonStep] = {
    "leave-requests": PersonStep(
        steps.Leave,
        "leave.request",
        "An application (请假申请), for the justice office (≤ 7 days) or the county to decide.",
        status=201,
        resource="leave",
    ),
    # Who may approve depends on the leave's length: supervision alone checks (None).
    "leaves": PersonStep(
        steps.Leave,
        None,
        "An approved leave (请假外出): ≤ 7 days by the person's justice office, longer by the county.",
        status=201,
        resource="leave",
    ),
    "leaves/{leave_id}/approve": PersonStep(
        steps.LeaveDecision,
        None,
        "Approve an application; supervision checks the level its length needs.",
        "update",
        resource="leave",
        body_optional=True,
    ),
    "leaves/{leave_id}/refuse": PersonStep(
        steps.LeaveDecision,
        None,
        "Refuse an application with the reason; by the level its length needs, as approving.",
        "update",
        resource="leave",
    ),
    "leaves/{leave_id}/return": PersonStep(
        steps.LeaveReturn,
        "leave.return",
        "销假: back from the leave; outside the county is a breach again from the return.",
        "update",
        resource="leave",
    ),
    # Each kind is its own action ({kind} is the body's).
    "sanctions": PersonStep(
        steps.Sanction, "sanction.{kind}", "训诫 / 警告 / 提请撤销 with its reason, counted per case.", status=201
    ),
    "sanction-proposals": PersonStep(
        steps.SanctionProposal,
        "sanction.propose",
        "The office proposes a sanction it may not decide (警告, 提请撤销) to whoever does.",
        status=201,
    ),
    "sanction-proposals/{proposal_id}/decision": PersonStep(
        steps.ProposalDecision,
        None,
        "Approved (then recorded as the sanction) or refused, by whoever may decide the kind.",
        access="update",
        resource="sanction",
    ),
    "hours": PersonStep(
        steps.HoursEntry,
        "hours.record",
        "Study or community-service time the office saw done (教育学习, 公益活动): confirmed at once.",
        status=201,
    ),
    "hours/{entry_id}/confirm": PersonStep(
        steps.NoBody, "hours.confirm", "The app's reported time confirmed, once.", access="update"
    ),
    "help-requests": PersonStep(
        steps.HelpRequest,
        "help.record",
        "A request for help (低保, employment, legal aid, psychological help, schooling): the office's task.",
        status=201,
    ),
    "help-requests/{request_id}/answer": PersonStep(
        steps.HelpAnswer,
        "help.answer",
        "Answered once: helped, declined, or referred to civil affairs (GET /v1/assistance-requests).",
        access="update",
        resource="help",
    ),
    "plans": PersonStep(
        steps.Plan, "plan.make", "个案矫正方案: made by the office, approved by someone else.", status=201
    ),
    "plans/{plan_id}/approve": PersonStep(
        steps.NoBody, "plan.approve", "Approved once, by someone other than who made it.", access="update"
    ),
    "conversion/measures": PersonStep(
        steps.ConversionMeasures, "key_persons.convert", "挂牌转化: the measures and who carries them out.", "update"
    ),
    "conversion/progress": PersonStep(
        steps.ConversionProgress, "key_persons.convert", "挂牌转化: a record of progress.", "update", status=201
    ),
    "conversion/county-listing": PersonStep(
        steps.CountyListing,
        "key_persons.county_list",
        "市级挂牌: the county takes the person onto its own list.",
        "update",
    ),
    "conversion/end": PersonStep(
        steps.ConversionEnd,
        "key_persons.convert",
        "解除挂牌: converted; a person on the county's list is ended by the county (supervision checks).",
        "update",
    ),
    "positioning": PersonStep(
        steps.Positioning,
        "positioning.approve",
        "电子定位 on one of the five legal grounds; only the bureau head approves (supervision checks).",
        status=201,
    ),
    "positioning/{positioning_id}/renew": PersonStep(
        steps.Renewal,
        "positioning.approve",
        "电子定位 renewed for another term, with the review's note.",
        "update",
        owner_path="positioning/{positioning_id}/renew",
    ),
    "followups": PersonStep(
        steps.Followup, "followup.record", "后续照管: a phone call or visit, with any drug test.", status=201
    ),
    "trips": PersonStep(
        steps.Trip, "trip.record", "A trip out of the county the person reported (or did not).", status=201
    ),
    "team": PersonStep(
        steps.Team,
        "team.set",
        "矫正小组; a woman under supervision has a woman on her team (supervision checks).",
        "update",
        method="PUT",
    ),
    "close": PersonStep(
        steps.Close,
        "case.close",
        "收监 or transferred (a county supervisor or the bureau head; the term's end closes by itself).",
        "update",
    ),
    "transfer": PersonStep(
        steps.Transfer,
        "case.transfer",
        "To another justice office in the county (the county bureau); its history and alerts go with it.",
        "update",
    ),
    "separations": PersonStep(steps.Separation, "separation.report", "人机分离 found on a check.", status=201),
    "contact-checks": PersonStep(
        steps.ContactResult,
        "contact.record",
        "失联核查: reached, or unreachable (contact lost, red), after the contact window passed.",
        status=201,
    ),
    "ending-announcement": PersonStep(
        steps.EndingAnnouncement,
        "case.ending_announce",
        "解矫宣告: on or after the term's last day, once per case.",
        "update",
        status=201,
        resource="case-ending",
    ),
}
