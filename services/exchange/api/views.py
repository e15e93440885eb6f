"""What agencies read: receipts (prisons, their own only), police handovers, assistance requests,
the audit trail (procuratorate); and the police's acknowledgement. Every read of a person's
record is itself on the audit chain (`services/exchange/commands.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from services.exchange.commands import Client
from services.exchange.deps import (
    Caller,
    Parts,
    any_scope_security,
    require_county_police,
    require_one_of,
    require_scope,
)
from services.exchange.domain.ingest import agency_number
from shared.ahead import refuse_ahead
from shared.errors import Refused
from shared.events import ProcuratorateNotice, VisitSlotOffered

router = APIRouter(tags=["agency views"])
Since = Annotated[str | None, Query(description="a cursor (`next` of the last page) or an RFC 3339 time")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _cursor(since: str | None) -> int | datetime | None:
    if not since:
        return None
    if since.isascii() and since.isdigit():  # a cursor; "²" is a digit to str.isdigit but no number
        if len(since) > 18:
            raise Refused("since", "since is not a cursor this gateway gave")  # beyond a bigint
        return int(since)
    try:
        at = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise Refused("since", "since must be a cursor or an RFC 3339 time") from None
    if at.tzinfo is None:
        raise Refused("since", "since needs a time zone")
    try:
        return at.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00 is before the first instant there is
        raise Refused("since", "since is out of range") from None


def _not_ahead(parts: Parts, field: str, at: datetime, why: str) -> None:
    """An agency's answer dated beyond the clock's tolerance (shared/ahead.py) is a 422."""
    refuse_ahead(field, at, datetime.now(UTC), parts.future_tolerance, why)


async def _page(
    parts: Parts,
    caller: Caller,
    kind: str,
    since: str | None,
    limit: int,
    purpose: str,
    organisation: str | None = None,
) -> dict[str, Any]:
    rows = await parts.views.page(
        Client(caller.client_id, caller.agency), kind, _cursor(since), limit, purpose=purpose, organisation=organisation
    )
    return {"items": [r.data for r in rows], "next": str(rows[-1].seq) if rows else since}


@router.get("/v1/receipts")
async def receipts(
    parts: Parts, caller: Annotated[Caller, require_scope("prison:read")], since: Since = None, limit: Limit = 500
) -> dict[str, Any]:
    """Receipts (回执) for this prison's notices only."""
    return await _page(parts, caller, "receipt", since, limit, "回执查询 (receipts)", organisation=caller.organisation)


@router.get("/v1/police/handovers")
async def police_handovers(
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:read")],
    since: Since = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """Key releasees handed over for community control (社区管控)."""
    return await _page(parts, caller, "police-handover", since, limit, "社区管控移交 (police handover)")


class PoliceAck(BaseModel):
    officer: str | None = Field(None, max_length=64)


@router.post("/v1/police/handovers/{handover_id}/acknowledge", status_code=202)
async def acknowledge_handover(
    handover_id: uuid.UUID,
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:write")],
    body: PoliceAck | None = None,
) -> dict[str, Any]:
    """The police record that they took over community control (社区管控) of this key person."""
    ack = await parts.views.acknowledge_police_handover(
        Client(caller.client_id, caller.agency), caller.organisation, handover_id, (body or PoliceAck()).officer
    )
    return {"handover_id": str(handover_id), "acknowledged_at": ack.acknowledged_at.isoformat()}


@router.get("/v1/police/exit-controls")
async def exit_controls(
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:read")],
    since: Since = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """Border-control notices (不准出境报备): imposed when a corrections case opens, lifted when it ends."""
    return await _page(parts, caller, "exit-control", since, limit, "出境报备 (exit control)")


class ExitControlAck(BaseModel):
    action: Literal["imposed", "lifted"]
    officer: str | None = Field(None, max_length=60)


@router.post("/v1/police/exit-controls/{control_id}/acknowledge", status_code=202)
async def acknowledge_exit_control(
    control_id: uuid.UUID,
    body: ExitControlAck,
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:write")],
) -> dict[str, Any]:
    """The police registered the border control (不准出境报备), or its lifting: on the person's
    file. Once per control and action; the same again is harmless, another officer's is a 409."""
    police = caller.organisation or caller.client_id
    number = agency_number("exit-control-ack", police, f"{control_id}:{body.action}", body)
    return await parts.views.acknowledge_exit_control(
        Client(caller.client_id, caller.agency), police, control_id, body.action, body.officer, number
    )


@router.get("/v1/police/search-requests")
async def search_requests(
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:read")],
    since: Since = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """Requests to find a person (协助查找), opened by a red contact_lost or intake_missed alert."""
    return await _page(parts, caller, "search-request", since, limit, "协助查找 (search)")


class SearchResultIn(BaseModel):
    outcome: Literal["found", "not_found", "in_custody"]
    found_at: AwareDatetime | None = None
    note: str = Field(min_length=1, max_length=2000)


@router.post("/v1/police/search-requests/{request_id}/result", status_code=202)
async def search_result(
    request_id: uuid.UUID,
    body: SearchResultIn,
    parts: Parts,
    caller: Annotated[Caller, require_county_police("police:write")],
) -> dict[str, Any]:
    """The police's result; it goes on the alert that opened the search. One result per request:
    the same again is harmless, another is a 409."""
    now = datetime.now(UTC)
    if body.found_at is not None:
        _not_ahead(parts, "found_at", body.found_at, "a person is found before the result is sent, not after")
    police = caller.organisation or caller.client_id
    number = agency_number("search-result", police, str(request_id), body)
    return await parts.views.search_result(
        Client(caller.client_id, caller.agency), police, request_id, body.model_dump(), now, number
    )


@router.get("/v1/court/revocation-proposals")
async def revocation_proposals(
    parts: Parts, caller: Annotated[Caller, require_scope("court:read")], since: Since = None, limit: Limit = 500
) -> dict[str, Any]:
    """Proposals to revoke (提请撤销) decided by the county bureau, for this court's orders only."""
    return await _page(
        parts, caller, "revocation-proposal", since, limit, "提请撤销 (revocation)", organisation=caller.organisation
    )


class RulingIn(BaseModel):
    ruling: Literal["revoked", "rejected"]
    ruled_at: AwareDatetime
    ruling_no: str = Field(min_length=1, max_length=64)


@router.post("/v1/court/revocation-proposals/{proposal_id}/ruling", status_code=202)
async def revocation_ruling(
    proposal_id: uuid.UUID, body: RulingIn, parts: Parts, caller: Annotated[Caller, require_scope("court:write")]
) -> dict[str, Any]:
    """The court's ruling (the court has 30 days): revoked ends the case as 收监执行. Idempotent on
    the ruling's number; the same number with other content is a 409."""
    _not_ahead(parts, "ruled_at", body.ruled_at, "a ruling is not dated ahead")
    about = {"proposal_id": str(proposal_id)}
    number = agency_number("ruling", caller.organisation or caller.client_id, body.ruling_no, body, about)
    return await parts.views.revocation_ruling(
        Client(caller.client_id, caller.agency), caller.organisation or "", proposal_id, body.model_dump(), number
    )


ENDING_READERS = ("court:read", "procuratorate:read", "police:read")


@router.get("/v1/court/case-endings", openapi_extra=any_scope_security(*ENDING_READERS))
async def case_endings(
    parts: Parts, caller: Annotated[Caller, require_one_of(*ENDING_READERS)], since: Since = None, limit: Limit = 500
) -> dict[str, Any]:
    """The ends of community-correction terms: 解除社区矫正 (`ending: term_served`, with the
    certificate's number) and 收监执行 (`ending: revoked`, `custody: true`: the police take the
    person into custody). A court reads its own orders'; the procuratorate and the police every one."""
    others = caller.scopes & {"procuratorate:read", "police:read"}
    return await _page(
        parts,
        caller,
        "case-ending",
        since,
        limit,
        "解除社区矫正 (case ending)",
        organisation=None if others else caller.organisation,
    )


@router.get("/v1/assistance-requests")
async def assistance_requests(
    parts: Parts,
    caller: Annotated[Caller, require_scope("civil-affairs:read")],
    since: Since = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """Assistance requests that civil affairs handles (低保, medical, housing, temporary relief)."""
    return await _page(parts, caller, "assistance-request", since, limit, "社会救助 (social assistance)")


class AssistanceOutcomeIn(BaseModel):
    outcome: Literal["granted", "refused", "referred"]
    programme: str = Field(min_length=1, max_length=100)  # 低保, 临时救助, 医疗救助…
    decided_at: AwareDatetime
    note: str = Field(min_length=1, max_length=2000)


@router.post("/v1/assistance-requests/{request_id}/outcome", status_code=202)
async def assistance_outcome(
    request_id: uuid.UUID,
    body: AssistanceOutcomeIn,
    parts: Parts,
    caller: Annotated[Caller, require_scope("civil-affairs:write")],
) -> dict[str, Any]:
    """Civil affairs' decision on an assistance request (社会救助): shown on the person, counted in
    救助帮扶率. One decision per request: the same again is harmless, another is a 409."""
    _not_ahead(parts, "decided_at", body.decided_at, "decided_at is in the future")
    bureau = caller.organisation or caller.client_id
    number = agency_number("assistance-outcome", bureau, str(request_id), body)
    return await parts.views.assistance_outcome(
        Client(caller.client_id, caller.agency), bureau, request_id, body.model_dump(), number
    )


SLOT_NS = uuid.UUID("6a1e0c55-3d2b-4f8e-b7a4-2c9d0e1f3a52")  # a slot's id from its prison and number


class SlotIn(BaseModel):
    slot_no: str = Field(min_length=1, max_length=64)
    prisoner_person_id: uuid.UUID
    start: AwareDatetime
    minutes: int = Field(ge=10, le=180)


class SlotsIn(BaseModel):
    slots: list[SlotIn] = Field(min_length=1, max_length=500)


@router.post("/v1/visit-slots", status_code=202)
async def visit_slots(
    body: SlotsIn, parts: Parts, caller: Annotated[Caller, require_scope("prison:write")]
) -> dict[str, Any]:
    """远程亲情视频会见: the prison's slots for family video visits, each bookable by a justice
    office. Idempotent on each slot number; the same number with other content is a 409."""
    prison = caller.organisation or caller.client_id
    now = datetime.now(UTC)
    for i, slot in enumerate(body.slots):
        if slot.start <= now:
            raise Refused(f"slots[{i}].start", "a slot starts in the future")
    slots = [
        (
            VisitSlotOffered(
                slot_id=uuid.uuid5(SLOT_NS, f"{prison}|{slot.slot_no}"),
                slot_no=slot.slot_no,
                prison=prison,
                person_id=slot.prisoner_person_id,
                start=slot.start,
                minutes=slot.minutes,
                offered_at=now,
            ),
            agency_number("visit-slot", prison, slot.slot_no, slot),
        )
        for slot in body.slots
    ]
    return await parts.views.visit_slots(Client(caller.client_id, caller.agency), slots)


@router.get("/v1/visits")
async def visit_bookings(
    parts: Parts, caller: Annotated[Caller, require_scope("prison:read")], since: Since = None, limit: Limit = 500
) -> dict[str, Any]:
    """The justice offices' bookings of this prison's slots, and their cancellations, oldest first."""
    return await _page(
        parts, caller, "visit", since, limit, "远程亲情视频会见 (bookings)", organisation=caller.organisation
    )


class VisitAnswerIn(BaseModel):
    answer: Literal["confirmed", "declined"]
    note: str | None = Field(None, max_length=1000)


@router.post("/v1/visits/{booking_id}/answer", status_code=202)
async def visit_answer(
    booking_id: uuid.UUID, body: VisitAnswerIn, parts: Parts, caller: Annotated[Caller, require_scope("prison:write")]
) -> dict[str, Any]:
    """The prison confirms or declines a booking of its slot (双向预约), once: another answer is a 409."""
    prison = caller.organisation or caller.client_id
    number = agency_number("visit-answer", prison, str(booking_id), body)
    return await parts.views.visit_answer(
        Client(caller.client_id, caller.agency), prison, booking_id, body.answer, body.note, number
    )


NOTICE_NS = uuid.UUID("0f3d2c6e-7a51-4b8e-9d20-5c4a3b2e1f10")  # a notice's id from its issuer and number


class NoticeIn(BaseModel):
    notice_no: str = Field(min_length=1, max_length=64)
    kind: Literal["procuratorial_suggestion", "rectification_notice"]
    office: str = Field(min_length=1, max_length=50)
    person_id: uuid.UUID | None = None
    content: str = Field(min_length=1, max_length=5000)
    reply_due: date | None = None


@router.post("/v1/procuratorate/notices", status_code=202)
async def procuratorate_notice(
    body: NoticeIn, parts: Parts, caller: Annotated[Caller, require_scope("procuratorate:write")]
) -> dict[str, Any]:
    """检察建议 or 纠正违法通知 to a justice office: a task for it with its reply deadline (the
    notice's `reply_due`, or two months for a suggestion and fifteen days for a rectification
    notice). Idempotent on the notice's number; the same number with other content is a 409."""
    if body.office not in parts.geography.offices:
        raise Refused("office", f"{body.office!r} is not one of the county's justice offices")
    procuratorate = caller.organisation or caller.client_id
    notice = ProcuratorateNotice(
        notice_id=uuid.uuid5(NOTICE_NS, f"{procuratorate}|{body.notice_no}"),
        procuratorate=procuratorate,
        received_at=datetime.now(UTC),
        **body.model_dump(),
    )
    number = agency_number("procuratorate-notice", procuratorate, body.notice_no, body)
    return await parts.views.procuratorate_notice(Client(caller.client_id, caller.agency), notice, number)


@router.get("/v1/procuratorate/replies")
async def procuratorate_replies(
    parts: Parts,
    caller: Annotated[Caller, require_scope("procuratorate:read")],
    since: Since = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """The offices' replies to this procuratorate's notices, oldest first."""
    return await _page(
        parts, caller, "procuratorate-reply", since, limit, "检察监督 (replies)", organisation=caller.organisation
    )


@router.get("/v1/audit")
async def audit_trail(
    parts: Parts, person_id: uuid.UUID, caller: Annotated[Caller, require_scope("procuratorate:read")]
) -> dict[str, Any]:
    """Who read or changed this person's record (legal supervision), and whether the chain holds."""
    return await parts.views.audit_trail(Client(caller.client_id, caller.agency), person_id, parts.tokens.keys)


@router.get("/v1/audit/checkpoints")
async def audit_checkpoints(
    parts: Parts,
    caller: Annotated[Caller, require_scope("procuratorate:read")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The audit chain's signed heads, newest first: keep them, and check one later with
    `/v1/audit/anchor` (each signature verifies with the gateway's JWKS)."""
    return await parts.views.checkpoints(Client(caller.client_id, caller.agency), limit)


@router.get("/v1/audit/anchor")
async def audit_anchor(
    parts: Parts,
    seq: Annotated[int, Query(ge=1, le=2**63 - 1)],  # a BIGINT
    hash: Annotated[str, Query(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")],
    caller: Annotated[Caller, require_scope("procuratorate:read")],
) -> dict[str, Any]:
    """Whether the chain still holds an anchor the procuratorate kept, and whether it verifies whole."""
    return await parts.views.check_anchor(Client(caller.client_id, caller.agency), seq, hash)
