"""Electronic positioning, aftercare follow-ups, trips, the correction team and the monthly
key-person determination, as staff record them. HTTP in, a command or a query out."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from services.supervision import commands, conversions, endings, forces, help, plans, team
from services.supervision import hours as hours_steps
from services.supervision.adapters import queries
from services.supervision.adapters.store import candidates
from services.supervision.deps import Parts
from services.supervision.domain.keypersons import determine, judged_month
from services.supervision.domain.positioning import GROUNDS
from shared import staff_steps as steps
from shared.authority import ActingStaff, Actor
from shared.db.rows import plain
from shared.deps import StaffActor
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


class PositioningIn(ActingStaff, steps.Positioning):
    pass


class RenewalIn(ActingStaff, steps.Renewal):
    pass


class FollowupIn(ActingStaff, steps.Followup):
    pass


class TripIn(ActingStaff, steps.Trip):
    pass


class CloseIn(ActingStaff, steps.Close):
    pass


class EndingAnnouncementIn(ActingStaff, steps.EndingAnnouncement):
    pass


class TransferIn(ActingStaff, steps.Transfer):
    pass


class SeparationIn(ActingStaff, steps.Separation):
    pass


class ContactResultIn(ActingStaff, steps.ContactResult):
    pass


class TeamIn(ActingStaff, steps.Team):
    pass


class TeamEntryIn(ActingStaff, steps.TeamEntry):
    pass


@router.get("/positioning-grounds")
async def positioning_grounds() -> dict[str, dict[str, str]]:
    return GROUNDS


@router.post("/persons/{person_id}/positioning", status_code=201)
async def start_positioning(
    actor: StaffActor, person_id: uuid.UUID, body: PositioningIn, parts: Parts
) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        data, notice_on = await commands.start_positioning(parts.ctx, uow, actor, person_id, body)
    return {**data.model_dump(mode="json"), "notice_on": notice_on.isoformat()}


@router.post("/positioning/{positioning_id}/renew")
async def renew_positioning(
    actor: StaffActor, positioning_id: uuid.UUID, body: RenewalIn, parts: Parts
) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        data, notice_on = await commands.renew_positioning(parts.ctx, uow, actor, positioning_id, body)
    return {**data.model_dump(mode="json"), "notice_on": notice_on.isoformat()}


@router.post("/persons/{person_id}/followups", status_code=201)
async def record_followup(actor: StaffActor, person_id: uuid.UUID, body: FollowupIn, parts: Parts) -> dict[str, Any]:
    """A phone call or visit; it moves that kind's next due date on."""
    async with parts.runtime.uow() as uow:
        data = await commands.record_followup(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/trips", status_code=201)
async def record_trip(actor: StaffActor, person_id: uuid.UUID, body: TripIn, parts: Parts) -> dict[str, Any]:
    """A trip out of the county in community rehabilitation; long trips need a written report."""
    async with parts.runtime.uow() as uow:
        return await commands.record_trip(parts.ctx, uow, actor, person_id, body)


@router.post("/persons/{person_id}/close")
async def close_case(actor: StaffActor, person_id: uuid.UUID, body: CloseIn, parts: Parts) -> dict[str, Any]:
    """收监 (revoked by the court) or transferred to another county; the term's end closes by itself."""
    async with parts.runtime.uow() as uow:
        data = await commands.close_case(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json") if data else {}


@router.post("/persons/{person_id}/ending-announcement", status_code=201)
async def announce_ending(
    actor: StaffActor, person_id: uuid.UUID, body: EndingAnnouncementIn, parts: Parts
) -> dict[str, Any]:
    """解矫宣告: on or after the term's last day, once per case."""
    async with parts.runtime.uow() as uow:
        data = await endings.announce_ending(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.get("/persons/{person_id}/case-ending")
async def case_ending(actor: StaffActor, person_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    """What the 解除社区矫正证明书 says (but the identity, which only the exchange holds)."""
    async with parts.runtime.uow() as uow:
        return await endings.ending_of(parts.ctx, uow, actor, person_id)


@router.post("/persons/{person_id}/transfer")
async def transfer_case(actor: StaffActor, person_id: uuid.UUID, body: TransferIn, parts: Parts) -> dict[str, Any]:
    """To another justice office in the county (the county bureau): history and alerts go with it."""
    async with parts.runtime.uow() as uow:
        data = await commands.transfer_case(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/separations", status_code=201)
async def report_separation(
    actor: StaffActor, person_id: uuid.UUID, body: SeparationIn, parts: Parts
) -> dict[str, Any]:
    """人机分离 found on a check: counted per case; at the policy's count a warning is due."""
    async with parts.runtime.uow() as uow:
        data = await commands.report_separation(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/contact-checks", status_code=201)
async def record_contact(
    actor: StaffActor, person_id: uuid.UUID, body: ContactResultIn, parts: Parts
) -> dict[str, Any]:
    """失联核查: the result of trying to reach the person after the contact window."""
    async with parts.runtime.uow() as uow:
        data = await commands.record_contact(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.put("/persons/{person_id}/team")
async def set_team(actor: StaffActor, person_id: uuid.UUID, body: TeamIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        case_id = await commands.set_team(parts.ctx, uow, actor, person_id, body)
    return {"case_id": str(case_id), "members": [m.model_dump() for m in body.members]}


class SocialForceIn(ActingStaff, steps.SocialForce):
    pass


class ServiceTimeIn(ActingStaff, steps.ServiceTime):
    pass


class LeftServiceIn(ActingStaff, steps.LeftService):
    pass


@router.get("/social-forces")
async def social_forces(parts: Parts, office: str | None = None) -> list[dict[str, Any]]:
    """社会力量: the registry, with each helper's time this year and the persons they serve."""
    year_from = parts.runtime.county.day_of(parts.ctx.clock()).replace(month=1, day=1)
    async with parts.runtime.engine.connect() as conn:
        return await queries.social_forces_of(conn, office, year_from)


@router.post("/social-forces", status_code=201)
async def register_social_force(actor: StaffActor, body: SocialForceIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await forces.register_social_force(parts.ctx, uow, actor, body)


@router.post("/social-forces/{force_id}/service-time", status_code=201)
async def service_time(actor: StaffActor, force_id: uuid.UUID, body: ServiceTimeIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await forces.record_service_time(parts.ctx, uow, actor, force_id, body)


@router.post("/social-forces/{force_id}/left")
async def left_service(actor: StaffActor, force_id: uuid.UUID, body: LeftServiceIn, parts: Parts) -> dict[str, Any]:
    async with parts.runtime.uow() as uow:
        return await forces.social_force_left(parts.ctx, uow, actor, force_id, body)


@router.get("/team/persons")
async def team_persons(actor: StaffActor, parts: Parts) -> list[dict[str, Any]]:
    """协矫通: the persons whose correction teams name the acting account."""
    async with parts.runtime.uow() as uow:
        return await team.team_persons(parts.ctx, uow, actor)


@router.get("/persons/{person_id}/team-view")
async def team_view(actor: StaffActor, person_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    """协矫通: one person as a member of their team sees them (refused to anyone not on it)."""
    async with parts.runtime.uow() as uow:
        return await team.team_view(parts.ctx, uow, actor, person_id)


@router.post("/persons/{person_id}/team-entries", status_code=201)
async def team_entry(actor: StaffActor, person_id: uuid.UUID, body: TeamEntryIn, parts: Parts) -> dict[str, Any]:
    """A team member's visit to the person or note on them."""
    async with parts.runtime.uow() as uow:
        return await team.record_team_entry(parts.ctx, uow, actor, person_id, body)


@router.get("/persons/{person_id}/programmes")
async def programmes(person_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    """Level, electronic positioning, follow-ups, trips and team of the person's cases."""
    async with parts.runtime.engine.connect() as conn:
        return await queries.programmes(conn, person_id)


@router.get("/key-persons/{office}/{month}")
async def key_persons(office: str, month: str, parts: Parts) -> dict[str, Any]:
    """The confirmed list, or the proposal from risk and behaviour while not yet confirmed."""
    start, end = judged_month(parts.runtime.county, month)  # the month just ended (D6)
    async with parts.runtime.engine.connect() as conn:
        confirmed = await queries.confirmed_list(conn, office, month)
        if confirmed:
            return {**confirmed, "status": "confirmed"}
        listed = determine(await candidates(conn, office, start, end), parts.ctx.policy.key_persons)
    return {
        "office": office,
        "month": month,
        "status": "proposed",
        "persons": [{"person_id": str(k.person_id), "reasons": k.reasons, "target_zh": k.target_zh} for k in listed],
    }


class KeyPersonsConfirm(ActingStaff):
    """The office's edits to the proposal: whom it takes off and whom it puts on, each with why."""

    removed: dict[uuid.UUID, str] = Field(default_factory=dict, max_length=500)
    added: dict[uuid.UUID, str] = Field(default_factory=dict, max_length=500)


@router.post("/key-persons/{office}/{month}/confirm", status_code=201)
async def confirm_key_persons(
    actor: StaffActor, office: str, month: str, body: KeyPersonsConfirm, parts: Parts
) -> dict[str, Any]:
    """The office confirms the month's list, as proposed or edited (who confirmed it is kept);
    published for risk and alerting."""
    async with parts.runtime.uow() as uow:
        data = await commands.confirm_key_persons(
            parts.ctx, uow, actor, office, month, removed=body.removed, added=body.added
        )
    return data.model_dump(mode="json")


class HoursIn(ActingStaff, steps.HoursEntry):
    pass


class ConfirmIn(ActingStaff, steps.NoBody):
    pass


@router.post("/persons/{person_id}/hours", status_code=201)
async def record_hours(actor: StaffActor, person_id: uuid.UUID, body: HoursIn, parts: Parts) -> dict[str, Any]:
    """Study or community-service time the office saw done: confirmed at once."""
    async with parts.runtime.uow() as uow:
        data = await hours_steps.record_hours(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/hours/{entry_id}/confirm")
async def confirm_hours(
    actor: StaffActor, person_id: uuid.UUID, entry_id: uuid.UUID, body: ConfirmIn, parts: Parts
) -> dict[str, Any]:
    """The app's time confirmed by the office or a team member, once."""
    async with parts.runtime.uow() as uow:
        data = await hours_steps.confirm_hours(parts.ctx, uow, actor, person_id, entry_id)
    return data.model_dump(mode="json")


@router.get("/persons/{person_id}/hours")
async def hours(person_id: uuid.UUID, parts: Parts, month: str | None = None) -> dict[str, Any]:
    """The month's confirmed time per kind against what the person's level owes."""
    async with parts.runtime.uow() as uow:
        return await hours_steps.hours_month(parts.ctx, uow, person_id, month)


@router.post("/hours/months/{month}/judge")
async def judge_month(month: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")], parts: Parts) -> dict[str, Any]:
    """Judge a month's hours now (an operator's re-run; the month's end does it by itself).
    Judging again raises nothing new."""
    async with parts.runtime.uow() as uow:
        short = await hours_steps.judge_month(parts.ctx, uow, month, parts.ctx.clock())
    return {"month": month, "short": short}


class PlanIn(ActingStaff, steps.Plan):
    pass


@router.post("/persons/{person_id}/plans", status_code=201)
async def make_plan(actor: StaffActor, person_id: uuid.UUID, body: PlanIn, parts: Parts) -> dict[str, Any]:
    """个案矫正方案, made by the office, to be approved by someone else."""
    async with parts.runtime.uow() as uow:
        data = await plans.make_plan(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/plans/{plan_id}/approve")
async def approve_plan(
    actor: StaffActor, person_id: uuid.UUID, plan_id: uuid.UUID, body: ConfirmIn, parts: Parts
) -> dict[str, Any]:
    """Approved once, by someone other than its maker: the case's plan in force."""
    async with parts.runtime.uow() as uow:
        data = await plans.approve_plan(parts.ctx, uow, actor, person_id, plan_id)
    return data.model_dump(mode="json")


class HelpRequestIn(ActingStaff, steps.HelpRequest):
    pass


class HelpAnswerIn(ActingStaff, steps.HelpAnswer):
    pass


@router.post("/persons/{person_id}/help-requests", status_code=201)
async def record_help_request(
    actor: StaffActor, person_id: uuid.UUID, body: HelpRequestIn, parts: Parts
) -> dict[str, Any]:
    """A request for help the office records: its task, with its deadline."""
    async with parts.runtime.uow() as uow:
        data = await help.record_help_request(parts.ctx, uow, actor, person_id, body)
    return data.model_dump(mode="json")


@router.post("/persons/{person_id}/help-requests/{request_id}/answer")
async def answer_help_request(
    actor: StaffActor, person_id: uuid.UUID, request_id: uuid.UUID, body: HelpAnswerIn, parts: Parts
) -> dict[str, Any]:
    """Answered once: helped, declined, or referred to civil affairs."""
    async with parts.runtime.uow() as uow:
        data = await help.answer_help_request(parts.ctx, uow, actor, person_id, request_id, body)
    return data.model_dump(mode="json")


# --- 挂牌转化 (services/supervision/conversions.py) ----------------------------------------------


class MeasuresIn(ActingStaff, steps.ConversionMeasures):
    pass


class ProgressIn(ActingStaff, steps.ConversionProgress):
    pass


class CountyListingIn(ActingStaff, steps.CountyListing):
    pass


class ConversionEndIn(ActingStaff, steps.ConversionEnd):
    pass


@router.get("/conversions")
async def conversion_list(
    parts: Parts, office: str | None = None, level: str | None = None, closed: bool = False
) -> list[dict[str, Any]]:
    """挂牌转化 of an office or every office, of one level (office, county: the 市级 list) or both."""
    async with parts.runtime.engine.connect() as conn:
        return await queries.conversions_of(conn, office, level, closed=closed)


async def _conversion(parts: Parts, actor: Actor, person_id: uuid.UUID, body: ActingStaff, step: Any) -> dict[str, Any]:
    """One step of a conversion, in its own unit of work, with who takes it."""
    async with parts.runtime.uow() as uow:
        done = await step(parts.ctx.store(uow), actor, person_id, body, parts.ctx.clock())
    return plain(done)


@router.post("/persons/{person_id}/conversion/measures")
async def conversion_measures(
    actor: StaffActor, person_id: uuid.UUID, body: MeasuresIn, parts: Parts
) -> dict[str, Any]:
    return await _conversion(parts, actor, person_id, body, conversions.set_measures)


@router.post("/persons/{person_id}/conversion/progress", status_code=201)
async def conversion_progress(
    actor: StaffActor, person_id: uuid.UUID, body: ProgressIn, parts: Parts
) -> dict[str, Any]:
    return await _conversion(
        parts, actor, person_id, body, partial(conversions.add_progress, county=parts.runtime.county)
    )


@router.post("/persons/{person_id}/conversion/county-listing")
async def conversion_county_listing(
    actor: StaffActor, person_id: uuid.UUID, body: CountyListingIn, parts: Parts
) -> dict[str, Any]:
    return await _conversion(parts, actor, person_id, body, conversions.list_at_county)


@router.post("/persons/{person_id}/conversion/end")
async def conversion_end(
    actor: StaffActor, person_id: uuid.UUID, body: ConversionEndIn, parts: Parts
) -> dict[str, Any]:
    return await _conversion(parts, actor, person_id, body, conversions.end)
