"""What agencies read: receipts (prisons, their own only), police handovers, the audit trail
(procuratorate). Every read of a person's record is itself on the audit chain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.exchange.adapters import audit
from services.exchange.adapters.tables import outbound
from services.exchange.deps import Caller, Parts, parts_of, require_scope
from shared.events import PoliceAcknowledged
from shared.http import ProblemError

router = APIRouter(tags=["agency views"])
Since = Annotated[str | None, Query(description="a cursor (`next` of the last page) or an RFC 3339 time")]


def _since_clause(since: str | None):
    if not since:
        return sa.true()
    if since.isdigit():
        return outbound.c.seq > int(since)
    try:
        at = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise ProblemError(
            422,
            "Request is not valid",
            "since must be a cursor or an RFC 3339 time",
            errors=[{"field": "since", "message": "not a cursor or a time"}],
        ) from None
    if at.tzinfo is None:
        raise ProblemError(
            422,
            "Request is not valid",
            "since needs a time zone",
            errors=[{"field": "since", "message": "no time zone"}],
        )
    return outbound.c.at > at


async def _page(
    request: Request,
    caller: Caller,
    kind: str,
    since: str | None,
    limit: int,
    purpose: str,
    organisation: str | None = None,
) -> dict:
    query = (
        sa.select(outbound.c.seq, outbound.c.person_id, outbound.c.data)
        .where(outbound.c.kind == kind, _since_clause(since))
        .order_by(outbound.c.seq)
        .limit(limit)
    )
    if organisation is not None:
        query = query.where(outbound.c.organisation == organisation)
    async with parts_of(request).runtime.uow() as uow:
        rows = (await uow.conn.execute(query)).all()
        now = datetime.now(UTC)
        for person_id in dict.fromkeys(r.person_id for r in rows):
            await audit.append(
                uow.conn,
                audit.content_of(
                    actor=caller.client_id,
                    agency=caller.agency,
                    role="agency-client",
                    action="read",
                    resource=kind,
                    person_id=person_id,
                    purpose=purpose,
                    at=now,
                    service="exchange",
                ),
            )
    return {"items": [r.data for r in rows], "next": str(rows[-1].seq) if rows else since}


@router.get("/v1/receipts")
async def receipts(
    request: Request,
    caller: Annotated[Caller, require_scope("prison:read")],
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict:
    """Receipts (回执) for this prison's notices only."""
    return await _page(
        request, caller, "receipt", since, limit, "回执查询 (receipts)", organisation=caller.organisation
    )


@router.get("/v1/police/handovers")
async def police_handovers(
    request: Request,
    caller: Annotated[Caller, require_scope("police:read")],
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict:
    """Key releasees handed over for community control (社区管控)."""
    return await _page(request, caller, "police-handover", since, limit, "社区管控移交 (police handover)")


class PoliceAck(BaseModel):
    officer: str | None = Field(None, max_length=64)


@router.post("/v1/police/handovers/{handover_id}/acknowledge", status_code=202)
async def acknowledge_handover(
    handover_id: uuid.UUID,
    request: Request,
    parts: Parts,
    caller: Annotated[Caller, require_scope("police:write")],
    body: PoliceAck | None = None,
) -> dict:
    """The police record that they took over community control (社区管控) of this key person."""
    async with parts.runtime.engine.connect() as conn:
        person_id = await conn.scalar(
            sa.select(outbound.c.person_id).where(
                outbound.c.kind == "police-handover", outbound.c.data["handover_id"].astext == str(handover_id)
            )
        )
    if person_id is None:
        raise ProblemError(404, "Not Found", f"no police handover {handover_id}")
    ack = PoliceAcknowledged(
        handover_id=handover_id,
        person_id=person_id,
        police_unit=caller.organisation,
        officer=(body or PoliceAck()).officer,
        acknowledged_at=datetime.now(UTC),
    )
    async with parts.runtime.uow() as uow:
        uow.publish(ack, subject=person_id)
        await audit.append(
            uow.conn,
            audit.content_of(
                actor=caller.client_id,
                agency=caller.agency,
                role="agency-client",
                action="update",
                resource="police-handover",
                person_id=person_id,
                purpose="社区管控接收 (control taken over)",
                at=ack.acknowledged_at,
                service="exchange",
            ),
        )
    return {"handover_id": str(handover_id), "acknowledged_at": ack.acknowledged_at.isoformat()}


@router.get("/v1/assistance-requests")
async def assistance_requests(
    request: Request,
    caller: Annotated[Caller, require_scope("civil-affairs:read")],
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict:
    """Assistance requests that civil affairs handles (低保, medical, housing, temporary relief)."""
    return await _page(request, caller, "assistance-request", since, limit, "社会救助 (social assistance)")


@router.get("/v1/audit")
async def audit_trail(
    request: Request, parts: Parts, person_id: uuid.UUID, caller: Annotated[Caller, require_scope("procuratorate:read")]
) -> dict:
    """Who read or changed this person's record (legal supervision), and whether the chain holds."""
    async with parts.runtime.uow() as uow:
        entries = await audit.entries_for(uow.conn, person_id)
        check = await audit.verify_chain(uow.conn)
        await audit.append(
            uow.conn,
            audit.content_of(
                actor=caller.client_id,
                agency=caller.agency,
                role="agency-client",
                action="read",
                resource="audit",
                person_id=person_id,
                purpose="法律监督 (legal supervision)",
                at=datetime.now(UTC),
                service="exchange",
            ),
        )
    return {
        "person_id": str(person_id),
        "entries": entries,
        "chain": {
            "ok": check.ok,
            "checked": check.checked,
            "first_bad_seq": check.first_bad_seq,
            "reason": check.reason,
        },
    }
