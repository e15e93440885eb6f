"""What agencies and devices send: orders, notices, fixes, check-ins.

A 2xx means durable: on Kafka with acks=all, or in the gateway's outbox; else 503 with
Retry-After. Real identities are sealed here and never leave the gateway; every create is on
the audit chain; an `Idempotency-Key` makes a retried POST harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from services.exchange.adapters import audit
from services.exchange.adapters.tables import idempotency, identities
from services.exchange.deps import Caller, Parts, parts_of, require_scope
from services.exchange.domain.requests import (
    CheckinBatch,
    CourtOrderIn,
    LocationBatch,
    PersonIn,
    RehabNoticeIn,
    ReleaseNoticeIn,
)
from shared.db.uow import UnitOfWork
from shared.envelope import OutgoingEvent
from shared.events import (
    Checkin,
    CourtOrderIngested,
    EventData,
    LocationFix,
    MaskedPerson,
    RehabNoticeIngested,
    ReleaseNoticeIngested,
    build_event,
)
from shared.http import ProblemError
from shared.identity import derive_person_id, mask_id_number, mask_name
from shared.ids import case_id_for, court_order_ref, handover_id_for
from shared.logging import get_logger

router = APIRouter(tags=["exchange"])
log = get_logger(__name__)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
_ID_NS = uuid.UUID("5b0e7f2a-9c1d-4e3b-8a6f-1d2c3b4a5e6f")


def _masked(person: PersonIn, town: str) -> MaskedPerson:
    return MaskedPerson(
        name_masked=mask_name(person.name),
        id_number_masked=mask_id_number(person.id_number),
        sex=person.sex,
        residence_town=town,
        age_band=age_band_of(person.id_number),
    )


def age_band_of(id_number: str, today: date | None = None) -> str:
    """The risk instrument's age band from the birth date in the 身份证号 (the date itself stays here)."""
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    today = today or date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return "<25" if age < 25 else "25-34" if age < 35 else "35-49" if age < 50 else "50+"


def _event_id(caller: Caller, key: str | None, index: int) -> uuid.UUID | None:
    """With an Idempotency-Key, a retry publishes the same event ids, so consumers drop the copies."""
    return uuid.uuid5(_ID_NS, f"{caller.client_id}|{key}|{index}") if key else None


async def _replay(request: Request, caller: Caller, key: str | None) -> JSONResponse | None:
    if not key:
        return None
    digest = hashlib.sha256(request.url.path.encode() + b"|" + await request.body()).hexdigest()
    request.state.request_hash = digest
    async with parts_of(request).runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(idempotency.c.request_hash, idempotency.c.status, idempotency.c.body).where(
                    idempotency.c.client_id == caller.client_id, idempotency.c.key == key
                )
            )
        ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise ProblemError(
            422,
            "Request is not valid",
            "this Idempotency-Key was used for another request",
            errors=[{"field": "Idempotency-Key", "message": "reused with a different request"}],
        )
    return JSONResponse(row.body, status_code=row.status, headers={"Idempotent-Replayed": "true"})


async def _remember(uow: UnitOfWork, request: Request, caller: Caller, key: str | None, body: dict) -> None:
    if key:
        await uow.conn.execute(
            insert(idempotency)
            .values(client_id=caller.client_id, key=key, request_hash=request.state.request_hash, status=202, body=body)
            .on_conflict_do_nothing()
        )


async def _accept_person_record(
    request: Request,
    caller: Caller,
    key: str | None,
    person: PersonIn,
    data: EventData,
    resource: str,
    purpose: str,
    answer: dict,
) -> dict | JSONResponse:
    """Seal the identity, put the event in the outbox and the create on the audit chain, in one transaction."""
    if (replayed := await _replay(request, caller, key)) is not None:
        return replayed
    state = parts_of(request)
    person_id = data.person_id  # type: ignore[attr-defined]
    topic, event = build_event(data, state.runtime.source, subject=person_id, id=_event_id(caller, key, 0))
    sealed = state.cipher.seal(person_id, person.model_dump(mode="json"))
    try:
        async with state.runtime.uow() as uow:
            await uow.conn.execute(
                insert(identities)
                .values(person_id=person_id, sealed=sealed, updated_by=caller.client_id)
                .on_conflict_do_update(
                    index_elements=["person_id"],
                    set_={"sealed": sealed, "updated_by": caller.client_id, "updated_at": func.now()},
                )
            )
            uow.emit(topic, event)
            await audit.append(
                uow.conn,
                audit.content_of(
                    actor=caller.client_id,
                    agency=caller.agency,
                    role="agency-client",
                    action="create",
                    resource=resource,
                    person_id=person_id,
                    purpose=purpose,
                    at=datetime.now(UTC),
                    service="exchange",
                ),
            )
            await _remember(uow, request, caller, key, answer)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("record not stored", error=str(exc))
        raise ProblemError(
            503, "Service Unavailable", "the gateway cannot store records right now", headers={"Retry-After": "5"}
        ) from None
    return answer


@router.post("/v1/court-orders", status_code=202)
async def court_order(
    body: CourtOrderIn, request: Request, caller: Annotated[Caller, require_scope("court:write")], key: IdemKey = None
):
    """A community-correction order (社区矫正决定)."""
    state = parts_of(request)
    town = body.person.residence.town
    if not state.geography.is_office(town):
        raise ProblemError(
            422,
            "Request is not valid",
            f"person.residence.town: {town!r} is not a Jiangyin town or street",
            errors=[
                {
                    "field": "person.residence.town",
                    "message": f"not one of the {len(state.geography.offices)} justice offices' towns",
                }
            ],
        )
    person_id = derive_person_id(body.person.id_number, state.person_key)
    data = CourtOrderIngested(
        order_no=body.order_no,
        court=body.court,
        person_id=person_id,
        person=_masked(body.person, town),
        sentence_kind=body.sentence_kind,
        offence=body.offence,
        offence_category=body.offence_category,
        term_start=body.term_start,
        term_end=body.term_end,
        judgment_effective=body.judgment_effective,
        electronic_monitoring=body.electronic_monitoring,
        permitted_area=body.permitted_area,
        exclusion_zones=body.exclusion_zones,
    )
    answer = {"person_id": str(person_id), "case_id": str(case_id_for(court_order_ref(body.order_no)))}
    return await _accept_person_record(
        request,
        caller,
        key,
        body.person,
        data,
        f"court-order:{body.order_no}",
        "社区矫正交付执行 (community-correction order)",
        answer,
    )


@router.post("/v1/release-notices", status_code=202)
async def release_notice(
    body: ReleaseNoticeIn,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("prison:write")],
    key: IdemKey = None,
):
    """A pre-release notice (预释放人员信息); a prison sends only its own."""
    if body.prison != caller.organisation:
        raise ProblemError(403, "Forbidden", f"this client sends notices for {caller.organisation} only")
    person_id = derive_person_id(body.person.id_number, parts.person_key)
    data = ReleaseNoticeIngested(
        notice_no=body.notice_no,
        prison=body.prison,
        person_id=person_id,
        person=_masked(body.person, body.person.residence.town),
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
    handover_id = handover_id_for("release", body.prison, body.notice_no)
    answer = {"person_id": str(person_id), "handover_id": str(handover_id)}
    return await _accept_person_record(
        request,
        caller,
        key,
        body.person,
        data,
        f"release-notice:{body.notice_no}",
        "刑满释放衔接 (pre-release notice)",
        answer,
    )


@router.post("/v1/rehab-notices", status_code=202)
async def rehab_notice(
    body: RehabNoticeIn,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("rehab:write")],
    key: IdemKey = None,
):
    """A notice of release from compulsory drug rehabilitation (即将解戒人员信息)."""
    person_id = derive_person_id(body.person.id_number, parts.person_key)
    data = RehabNoticeIngested(
        notice_no=body.notice_no,
        centre=body.centre,
        person_id=person_id,
        person=_masked(body.person, body.person.residence.town),
        release_date=body.release_date,
        destination_town=body.destination.town,
        key_person=body.key_person,
        community_rehabilitation=body.community_rehabilitation,
    )
    handover_id = handover_id_for("rehab", body.centre, body.notice_no)
    answer = {"person_id": str(person_id), "handover_id": str(handover_id)}
    return await _accept_person_record(
        request,
        caller,
        key,
        body.person,
        data,
        f"rehab-notice:{body.notice_no}",
        "后续照管衔接 (rehabilitation release notice)",
        answer,
    )


@router.post("/v1/locations", status_code=202)
async def locations(
    body: LocationBatch, request: Request, caller: Annotated[Caller, require_scope("device:write")], key: IdemKey = None
):
    if (replayed := await _replay(request, caller, key)) is not None:
        return replayed
    source = parts_of(request).runtime.source
    events = [
        build_event(LocationFix(**f.model_dump()), source, subject=f.person_id, id=_event_id(caller, key, i))
        for i, f in enumerate(body.fixes)
    ]
    return await accept(request, caller, key, events)


@router.post("/v1/checkins", status_code=202)
async def checkins(
    body: CheckinBatch, request: Request, caller: Annotated[Caller, require_scope("device:write")], key: IdemKey = None
):
    if (replayed := await _replay(request, caller, key)) is not None:
        return replayed
    source = parts_of(request).runtime.source
    events = [
        build_event(Checkin(**c.model_dump()), source, subject=c.person_id, id=_event_id(caller, key, i))
        for i, c in enumerate(body.checkins)
    ]
    return await accept(request, caller, key, events)


async def accept(request: Request, caller: Caller, key: str | None, events: list[tuple[str, OutgoingEvent]]) -> dict:
    """Durable before 2xx: on Kafka with acks=all, else in the outbox, else 503 — never a lost 202."""
    runtime = parts_of(request).runtime
    answer = {"accepted": len(events)}
    on_kafka = False
    if runtime.started is not None and runtime.started.is_set():
        try:
            await asyncio.wait_for(runtime.producer.publish_many(events), timeout=parts_of(request).publish_timeout_s)
            on_kafka = True
        except (KafkaError, TimeoutError) as exc:
            # Anything already sent carries the same event ids; consumers' inboxes drop the copies.
            log.warning("Kafka did not acknowledge; accepting into the outbox", error=str(exc))
    if on_kafka and not key:
        return answer  # the hot path: no database round trip
    try:
        async with runtime.uow() as uow:
            if not on_kafka:
                for topic, event in events:
                    uow.emit(topic, event)
            await _remember(uow, request, caller, key, answer)
    except (SQLAlchemyError, OSError) as exc:
        if on_kafka:
            return answer  # durable on Kafka; only the idempotency record is missing
        log.warning("outbox not reachable either", error=str(exc))
        raise ProblemError(
            503,
            "Service Unavailable",
            "neither Kafka nor the outbox can take records now",
            headers={"Retry-After": "5"},
        ) from None
    return answer
