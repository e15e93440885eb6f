"""The gateway's HTTP API (contract §4). Every route but the token and JWKS needs a scope."""
from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import parse_qs

import orjson
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from services.exchange.adapters.tables import identities
from services.exchange.auth import Caller, require_scope
from services.exchange.domain.requests import CheckinBatch, CourtOrderIn, LocationBatch
from shared import topics
from shared.envelope import OutgoingEvent, new_event
from shared.events import Checkin, CourtOrderIngested, LocationFix, MaskedPerson
from shared.http import ProblemError
from shared.identity import derive_person_id, mask_id_number, mask_name
from shared.ids import case_id_for, court_order_ref
from shared.logging import get_logger

SOURCE = "/sps/exchange"
router = APIRouter(tags=["exchange"])
log = get_logger(__name__)


@router.post("/oauth/token", tags=["auth"])
async def token(request: Request) -> JSONResponse:
    """OAuth 2.0 client credentials (form-encoded per RFC 6749, or JSON)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = {k: str(v) for k, v in orjson.loads(raw or b"{}").items()}
        except (orjson.JSONDecodeError, AttributeError):
            raise ProblemError(400, "Bad Request", "body is not a JSON object") from None
    else:
        form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    missing = [f for f in ("grant_type", "client_id", "client_secret") if not form.get(f)]
    if missing:
        raise ProblemError(400, "Bad Request", "missing " + ", ".join(missing),
                           errors=[{"field": f, "message": "required"} for f in missing])
    if form["grant_type"] != "client_credentials":
        raise ProblemError(400, "Bad Request", "only grant_type=client_credentials is supported",
                           errors=[{"field": "grant_type", "message": "unsupported_grant_type"}])
    issued = request.app.state.tokens.issue(form["client_id"], form["client_secret"], form.get("scope"))
    return JSONResponse(issued, headers={"Cache-Control": "no-store"})


@router.get("/.well-known/jwks.json", tags=["auth"])
async def jwks(request: Request) -> dict:
    return {"keys": [request.app.state.tokens.key.jwk()]}


@router.post("/v1/court-orders", status_code=202)
async def court_order(body: CourtOrderIn, request: Request,
                      caller: Annotated[Caller, Depends(require_scope("court:write"))]) -> dict:
    """A community-correction order (社区矫正决定). Identity is sealed here; Kafka gets the person id."""
    state = request.app.state
    town = body.person.residence.town
    if not state.geography.is_office(town):
        raise ProblemError(422, "Request is not valid", f"person.residence.town: {town!r} is not a Jiangyin "
                           "town or street", errors=[{"field": "person.residence.town",
                                                      "message": f"not one of the {len(state.geography.offices)} "
                                                                 "justice offices' towns"}])
    person_id = derive_person_id(body.person.id_number, state.person_key)
    ref = court_order_ref(body.order_no)
    data = CourtOrderIngested(
        order_no=body.order_no, court=body.court, person_id=person_id,
        person=MaskedPerson(name_masked=mask_name(body.person.name), id_number_masked=mask_id_number(
            body.person.id_number), sex=body.person.sex, residence_town=town),
        sentence_kind=body.sentence_kind, offence=body.offence, offence_category=body.offence_category,
        term_start=body.term_start, term_end=body.term_end, judgment_effective=body.judgment_effective,
        electronic_monitoring=body.electronic_monitoring, permitted_area=body.permitted_area,
        exclusion_zones=body.exclusion_zones,
    )
    event = new_event("sps.ingest.court-order", SOURCE, data, subject=str(person_id))
    sealed = state.cipher.seal(person_id, body.person.model_dump(mode="json"))
    runtime = state.runtime
    try:
        async with runtime.uow() as uow:
            await uow.conn.execute(
                insert(identities).values(person_id=person_id, sealed=sealed, updated_by=caller.client_id)
                .on_conflict_do_update(index_elements=["person_id"],
                                       set_={"sealed": sealed, "updated_by": caller.client_id,
                                             "updated_at": func.now()})
            )
            uow.emit(topics.COURT_ORDERS, event)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("court order not stored", error=str(exc))
        raise ProblemError(503, "Service Unavailable", "the gateway cannot store records right now",
                           headers={"Retry-After": "5"}) from None
    return {"person_id": str(person_id), "case_id": str(case_id_for(ref))}


@router.post("/v1/locations", status_code=202)
async def locations(body: LocationBatch, request: Request,
                    caller: Annotated[Caller, Depends(require_scope("device:write"))]) -> dict:
    events = [
        new_event("sps.ingest.location", SOURCE, LocationFix(**f.model_dump()), subject=str(f.person_id))
        for f in body.fixes
    ]
    await accept(request, topics.LOCATIONS, events)
    return {"accepted": len(events)}


@router.post("/v1/checkins", status_code=202)
async def checkins(body: CheckinBatch, request: Request,
                   caller: Annotated[Caller, Depends(require_scope("device:write"))]) -> dict:
    events = [
        new_event("sps.ingest.checkin", SOURCE, Checkin(**c.model_dump()), subject=str(c.person_id))
        for c in body.checkins
    ]
    await accept(request, topics.CHECKINS, events)
    return {"accepted": len(events)}


async def accept(request: Request, topic: str, events: list[OutgoingEvent]) -> None:
    """Durable before 2xx: on Kafka with acks=all, else in the outbox, else 503 — never a lost 202."""
    runtime = request.app.state.runtime
    if runtime.started is not None and runtime.started.is_set():
        try:
            await asyncio.wait_for(runtime.producer.publish_many((topic, e) for e in events),
                                   timeout=request.app.state.publish_timeout_s)
            return
        except (KafkaError, TimeoutError) as exc:
            # Anything already sent carries the same event ids; consumers' inboxes drop the copies.
            log.warning("Kafka did not acknowledge; accepting into the outbox", error=str(exc))
    try:
        async with runtime.uow() as uow:
            for event in events:
                uow.emit(topic, event)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("outbox not reachable either", error=str(exc))
        raise ProblemError(503, "Service Unavailable", "neither Kafka nor the outbox can take records now",
                           headers={"Retry-After": "5"}) from None
