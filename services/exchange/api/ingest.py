"""What agencies and devices send: orders, notices, fixes, check-ins (the contract's gateway API).

Each route checks the caller's scope and what only the caller can be refused for (its own
organisation, a town of the county), then hands the request to `services/exchange/commands.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from services.exchange.commands import BatchRecord, Client, Replayed, Retry
from services.exchange.deps import Caller, ExchangeParts, Parts, require_scope
from services.exchange.domain import ingest
from services.exchange.domain.requests import (
    AppReportBatch,
    CheckinBatch,
    CourtOrderIn,
    LocationBatch,
    RehabNoticeIn,
    ReleaseNoticeBatch,
    ReleaseNoticeIn,
)
from shared.ahead import first_ahead
from shared.errors import Forbidden, Refused
from shared.events import EventData
from shared.http import OnePassJsonRoute, field_errors
from shared.identity import derive_person_id
from shared.ids import case_id_for, court_order_ref, handover_id_for

router = APIRouter(tags=["exchange"], route_class=OnePassJsonRoute)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
Answer = dict[str, Any] | JSONResponse


async def _retry(request: Request, key: str | None) -> Retry | None:
    if not key:
        return None
    digest = hashlib.sha256(request.url.path.encode() + b"|" + await request.body()).hexdigest()
    return Retry(key, digest)


def _client(caller: Caller) -> Client:
    return Client(caller.client_id, caller.agency)


def _replay(replayed: Replayed) -> JSONResponse:
    return JSONResponse(replayed.body, status_code=replayed.status, headers={"Idempotent-Replayed": "true"})


async def _person_record(
    parts: Parts,
    request: Request,
    caller: Caller,
    key: str | None,
    body: Any,
    data: EventData,
    *,
    number: ingest.AgencyNumber,
    resource: str,
    purpose: str,
    answer: dict[str, Any],
) -> Answer:
    client, retry = _client(caller), await _retry(request, key)
    if (replayed := await parts.ingest.replayed(client, retry)) is not None:
        return _replay(replayed)
    return await parts.ingest.person_record(
        client, retry, body.person, data, number=number, resource=resource, purpose=purpose, answer=answer
    )


async def _stream(
    parts: Parts, request: Request, caller: Caller, key: str | None, event_type: str, data: Sequence[BaseModel]
) -> Answer:
    """Records of one type, each validated by the request model already (a subclass of the
    event's data model, unknown fields dropped): straight onto Kafka (commands.Ingest.stream)."""
    client, retry = _client(caller), await _retry(request, key)
    if (replayed := await parts.ingest.replayed(client, retry)) is not None:
        return _replay(replayed)
    return await parts.ingest.stream(client, retry, event_type, data)


@router.post("/v1/court-orders", status_code=202, response_model=None)
async def court_order(
    body: CourtOrderIn,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("court:write")],
    key: IdemKey = None,
) -> Answer:
    """A community-correction order (社区矫正决定)."""
    town = body.person.residence.town
    if not parts.geography.is_office(town):
        raise Refused(
            "person.residence.town",
            f"{town!r} is not one of the {len(parts.geography.offices)} justice offices' towns of Jiangyin",
        )
    if body.court != caller.organisation:
        raise Forbidden(f"this client sends orders of {caller.organisation} only")
    person_id = derive_person_id(body.person.id_number, parts.person_key)
    answer = {"person_id": str(person_id), "case_id": str(case_id_for(court_order_ref(body.court, body.order_no)))}
    return await _person_record(
        parts,
        request,
        caller,
        key,
        body,
        ingest.court_order(body, person_id, _today(parts)),
        number=ingest.agency_number("court-order", body.court, body.order_no, body),
        resource=f"court-order:{body.order_no}",
        purpose="社区矫正交付执行 (community-correction order)",
        answer=answer,
    )


def _today(parts: ExchangeParts) -> date:
    return parts.runtime.county.day_of(datetime.now(UTC))


RELEASE_PURPOSE = "刑满释放衔接 (pre-release notice)"


def _release_record(parts: ExchangeParts, notice: ReleaseNoticeIn, today: date) -> BatchRecord:
    """A pre-release notice as the gateway stores it: the person's id, the event, the prison's
    number for it and the first answer (the person and the handover the notice opens)."""
    person_id = derive_person_id(notice.person.id_number, parts.person_key)
    handover = handover_id_for("release", notice.prison, notice.notice_no)
    return BatchRecord(
        notice.person,
        ingest.release_notice(notice, person_id, today),
        ingest.agency_number("release-notice", notice.prison, notice.notice_no, notice),
        f"release-notice:{notice.notice_no}",
        {"person_id": str(person_id), "handover_id": str(handover)},
    )


@router.post("/v1/release-notices", status_code=202, response_model=None)
async def release_notice(
    body: ReleaseNoticeIn,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("prison:write")],
    key: IdemKey = None,
) -> Answer:
    """A pre-release notice (预释放人员信息); a prison sends only its own."""
    if body.prison != caller.organisation:
        raise Forbidden(f"this client sends notices for {caller.organisation} only")
    record = _release_record(parts, body, _today(parts))
    return await _person_record(
        parts,
        request,
        caller,
        key,
        body,
        record.data,
        number=record.number,
        resource=record.resource,
        purpose=RELEASE_PURPOSE,
        answer=record.answer,
    )


@router.post("/v1/release-notices/batch", status_code=200, response_model=None)
async def release_notice_batch(
    body: ReleaseNoticeBatch,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("prison:write")],
    key: IdemKey = None,
) -> Answer:
    """Up to 1,000 pre-release notices at once (a prison's monthly list, tools/handover_import.py).
    Each row is answered by its index: accepted, duplicate (the same number and content again:
    the first answer), conflict (the same number with other content) or refused (its errors by
    field). The good rows are stored in one transaction; the bad ones are reported, never lost."""
    client, retry = _client(caller), await _retry(request, key)
    if (replayed := await parts.ingest.replayed(client, retry)) is not None:
        return _replay(replayed)
    today = _today(parts)
    results: list[dict[str, Any] | None] = [None] * len(body.notices)
    good: list[tuple[int, BatchRecord]] = []
    for index, row in enumerate(body.notices):
        try:
            notice = ReleaseNoticeIn.model_validate(row)
        except ValidationError as exc:
            results[index] = {"status": "refused", "errors": field_errors(exc)}
            continue
        if notice.prison != caller.organisation:
            message = f"this client sends notices for {caller.organisation} only"
            results[index] = {"status": "refused", "errors": [{"field": "prison", "message": message}]}
            continue
        good.append((index, _release_record(parts, notice, today)))

    def respond(stored: list[dict[str, Any]]) -> dict[str, Any]:
        for (index, _), answer in zip(good, stored, strict=True):
            results[index] = answer
        rows = [
            {"index": i, "notice_no": str(row.get("notice_no", "")), **(result or {})}
            for i, (row, result) in enumerate(zip(body.notices, results, strict=True))
        ]
        counts = {s: sum(r["status"] == s for r in rows) for s in ("accepted", "duplicate", "conflict", "refused")}
        return {"received": len(rows), **counts, "results": rows}

    if not good:
        return respond([])
    records = [r for _, r in good]
    return await parts.ingest.person_records(client, retry, records, RELEASE_PURPOSE, respond)


@router.post("/v1/rehab-notices", status_code=202, response_model=None)
async def rehab_notice(
    body: RehabNoticeIn,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("rehab:write")],
    key: IdemKey = None,
) -> Answer:
    """A notice of release from compulsory drug rehabilitation (即将解戒人员信息)."""
    if body.centre != caller.organisation:
        raise Forbidden(f"this client sends notices of {caller.organisation} only")
    person_id = derive_person_id(body.person.id_number, parts.person_key)
    answer = {"person_id": str(person_id), "handover_id": str(handover_id_for("rehab", body.centre, body.notice_no))}
    return await _person_record(
        parts,
        request,
        caller,
        key,
        body,
        ingest.rehab_notice(body, person_id, _today(parts)),
        number=ingest.agency_number("rehab-notice", body.centre, body.notice_no, body),
        resource=f"rehab-notice:{body.notice_no}",
        purpose="后续照管衔接 (rehabilitation release notice)",
        answer=answer,
    )


@router.post("/v1/locations", status_code=202, response_model=None)
async def locations(
    body: LocationBatch,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("device:write")],
    key: IdemKey = None,
) -> Answer:
    _not_ahead(parts, [f.recorded_at for f in body.fixes], "fixes")
    return await _stream(parts, request, caller, key, "sps.ingest.location", body.fixes)


@router.post("/v1/checkins", status_code=202, response_model=None)
async def checkins(
    body: CheckinBatch,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("device:write")],
    key: IdemKey = None,
) -> Answer:
    _not_ahead(parts, [c.recorded_at for c in body.checkins], "checkins")
    return await _stream(parts, request, caller, key, "sps.ingest.checkin", body.checkins)


@router.post("/v1/app/reports", status_code=202, response_model=None)
async def app_reports(
    body: AppReportBatch,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("app:write")],
    key: IdemKey = None,
) -> Answer:
    """The supervised person's app (在矫通): study and community-service time (counted once the
    office or a team member confirms it) and requests for help. A day after the county's today
    is refused; an Idempotency-Key makes a retry harmless."""
    now = datetime.now(UTC)
    for i, report in enumerate(body.reports):
        if why := parts.runtime.county.not_come_yet(report.date, now):
            raise Refused(f"reports[{i}].date", why)
    return await _stream(parts, request, caller, key, "sps.ingest.app-report", body.reports)


def _not_ahead(parts: ExchangeParts, recorded: list[datetime], field: str) -> None:
    """A record dated more than the tolerance ahead is refused (contract §6.3)."""
    tolerance = parts.future_tolerance
    index = first_ahead(recorded, datetime.now(UTC), tolerance)
    if index is not None:
        raise Refused(f"{field}[{index}].recorded_at", f"more than {tolerance} in the future")
