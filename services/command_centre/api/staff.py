"""The staff API (contract §5) and the console's static files."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Literal

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from services.command_centre.adapters.tables import alert_changes, alert_view
from services.command_centre.auth import COOKIE, current_user
from services.command_centre.domain.staff import StaffUser
from shared import audit
from shared.http import ProblemError
from shared.secrets import verify_secret

STATIC = Path(__file__).parent.parent / "static"
router = APIRouter()
User = Annotated[StaffUser, Depends(current_user)]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/api/v1/auth/login", tags=["staff"])
async def login(body: Login, request: Request) -> JSONResponse:
    sessions = request.app.state.sessions
    user = sessions.users.get(body.username)
    if user is None or not verify_secret(body.password, user.password_hash):
        raise ProblemError(401, "Unauthorized", "wrong username or password")
    token = sessions.issue(user)
    response = JSONResponse({"access_token": token, "token_type": "Bearer", "role": user.role,
                             "jurisdiction": user.jurisdiction, "username": user.username})
    response.set_cookie(COOKIE, token, max_age=sessions.ttl_s, httponly=True, secure=True, samesite="strict",
                        path="/")
    return response


@router.post("/api/v1/auth/logout", tags=["staff"])
async def logout() -> JSONResponse:
    response = JSONResponse({"status": "logged out"})
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.get("/api/v1/me", tags=["staff"])
async def me(user: User) -> dict:
    return {"username": user.username, "role": user.role, "jurisdiction": user.jurisdiction}


Colour = Literal["red", "orange", "yellow", "blue"]
Status = Literal["open", "acknowledged", "escalated", "disposed", "closed"]


@router.get("/api/v1/alerts", tags=["staff"])
async def list_alerts(request: Request, user: User, status: Status | None = None, colour: Colour | None = None,
                      jurisdiction: str | None = None, rule_id: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """Alerts, newest first. `X-Alerts-Seq` is the feed position this list reflects."""
    if jurisdiction and not user.sees(jurisdiction):
        raise ProblemError(403, "Forbidden", f"you cannot see the alerts of {jurisdiction}")
    query = sa.select(alert_view.c.data).order_by(alert_view.c.raised_at.desc()).limit(limit)
    if not user.county_wide:
        query = query.where(alert_view.c.jurisdiction == user.jurisdiction)
    for column, value in ((alert_view.c.status, status), (alert_view.c.colour, colour),
                          (alert_view.c.jurisdiction, jurisdiction), (alert_view.c.rule_id, rule_id)):
        if value:
            query = query.where(column == value)
    async with request.app.state.runtime.engine.connect() as conn:
        async with conn.begin():
            # One snapshot for the list and its feed position, so list + stream have no gap.
            await conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            seq = await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(alert_changes.c.seq), 0)))
            rows = (await conn.execute(query)).scalars().all()
    return Response(orjson.dumps(rows), media_type="application/json", headers={"X-Alerts-Seq": str(seq)})


@router.get("/api/v1/alerts/stream", tags=["staff"])
async def stream(request: Request, user: User, after: Annotated[int | None, Query(ge=0)] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events, one per alert change; resumable with `Last-Event-ID` (or `?after=`)."""
    feed = request.app.state.feed
    if last_event_id is not None:
        try:
            position = int(last_event_id)
        except ValueError:
            raise ProblemError(400, "Bad Request", "Last-Event-ID must be a number") from None
    else:
        position = after if after is not None else feed.head
    queue = feed.subscribe()

    async def events():
        last = position
        try:
            while True:  # catch up from the database first, then follow the live queue
                backlog = await feed.changes_after(last)
                for change in backlog:
                    last = change.seq
                    if user.sees(change.jurisdiction):
                        yield {"id": str(change.seq), "event": change.event_type, "data": change.data}
                if len(backlog) < 5000:
                    break
            while True:
                change = await queue.get()
                if change.seq <= last:
                    continue  # already sent during catch-up
                last = change.seq
                if user.sees(change.jurisdiction):
                    yield {"id": str(change.seq), "event": change.event_type, "data": change.data}
        finally:
            feed.unsubscribe(queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


# --- staff steps on alerts: alerting decides and publishes; the board follows on the feed -------------

class AckIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class DisposeIn(BaseModel):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(min_length=1, max_length=2000)


class CloseIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class SilenceIn(BaseModel):
    person_id: str = Field(pattern=r"^[0-9a-fA-F\-]{36}$")
    rule_id: str = Field(min_length=1, max_length=60)
    duration_minutes: int = Field(ge=1, le=60 * 24 * 30)
    reason: str = Field(min_length=1, max_length=500)


def _actor(user: StaffUser) -> dict:
    return {"actor": user.username, "role": user.role, "jurisdiction": user.jurisdiction}


async def _visible(request: Request, user: StaffUser, alert_id: str) -> None:
    """A justice officer acts only on their own office's alerts (checked here and again in alerting)."""
    if user.county_wide:
        return
    async with request.app.state.runtime.engine.connect() as conn:
        jur = await conn.scalar(sa.select(alert_view.c.jurisdiction).where(alert_view.c.alert_id == alert_id))
    if jur is not None and jur != user.jurisdiction:
        raise ProblemError(403, "Forbidden", f"this alert belongs to {jur}")


@router.post("/api/v1/alerts/{alert_id}/acknowledge", tags=["staff"])
async def acknowledge(alert_id: uuid.UUID, request: Request, user: User, body: AckIn | None = None):
    await _visible(request, user, str(alert_id))
    return await request.app.state.alerting.call(
        "POST", f"/internal/v1/alerts/{alert_id}/acknowledge", json={**_actor(user), **(body or AckIn()).model_dump()})


@router.post("/api/v1/alerts/{alert_id}/dispose", tags=["staff"])
async def dispose(alert_id: uuid.UUID, body: DisposeIn, request: Request, user: User):
    await _visible(request, user, str(alert_id))
    return await request.app.state.alerting.call(
        "POST", f"/internal/v1/alerts/{alert_id}/dispose", json={**_actor(user), **body.model_dump()})


@router.post("/api/v1/alerts/{alert_id}/close", tags=["staff"])
async def close(alert_id: uuid.UUID, request: Request, user: User, body: CloseIn | None = None):
    await _visible(request, user, str(alert_id))
    return await request.app.state.alerting.call(
        "POST", f"/internal/v1/alerts/{alert_id}/close", json={**_actor(user), **(body or CloseIn()).model_dump()})


@router.get("/api/v1/alerts/{alert_id}", tags=["staff"])
async def alert_detail(alert_id: uuid.UUID, request: Request, user: User):
    await _visible(request, user, str(alert_id))
    return await request.app.state.alerting.call("GET", f"/internal/v1/alerts/{alert_id}")


@router.post("/api/v1/silences", tags=["staff"], status_code=201)
async def silence(body: SilenceIn, request: Request, user: User):
    return await request.app.state.alerting.call("POST", "/internal/v1/silences",
                                                 json={**_actor(user), **body.model_dump()})


@router.get("/api/v1/silences", tags=["staff"])
async def silences(request: Request, user: User):
    return await request.app.state.alerting.call("GET", "/internal/v1/silences")


@router.get("/api/v1/alert-quality", tags=["staff"])
async def alert_quality(request: Request, user: User):
    """Per rule: share disposed as unfounded, time to acknowledge and to dispose (supervisors)."""
    if user.role not in ("supervisor", "bureau_head"):
        raise ProblemError(403, "Forbidden", "alert quality is for supervisors")
    return await request.app.state.alerting.call("GET", "/internal/v1/quality")


@router.get("/api/v1/disposal-reasons", tags=["staff"])
async def disposal_reasons(request: Request, user: User):
    return await request.app.state.alerting.call("GET", "/internal/v1/disposal-reasons")


# --- persons (contract §5): supervision holds the case; identity arrives masked -----------------------

class LeaveRequest(BaseModel):
    start: str
    end: str
    destination: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


async def _person_visible(request: Request, user: StaffUser, person_id: uuid.UUID, *, action: str = "read",
                          resource: str = "person"):
    """The person's case, or 403 for a justice officer of another office; the access goes on the audit trail."""
    result = await request.app.state.supervision.call("GET", f"/internal/v1/persons/{person_id}")
    if isinstance(result, Response):
        return result
    if not user.sees(result["jurisdiction"]):
        raise ProblemError(403, "Forbidden", f"this person belongs to {result['jurisdiction']}")
    async with request.app.state.runtime.uow() as uow:
        audit.record(uow, service="command_centre", actor=user.username, agency="justice-bureau", role=user.role,
                     action=action, resource=resource, person_id=person_id, purpose="监管工作 (supervision duty)")
    return result


async def _for_person(request: Request, user: StaffUser, person_id: uuid.UUID, service: str, method: str, path: str,
                      *, action: str = "read", resource: str, **kwargs):
    """Check the person is visible to this user (and audit the access), then call the owning service."""
    found = await _person_visible(request, user, person_id, action=action, resource=resource)
    if isinstance(found, Response):
        return found
    return await getattr(request.app.state, service).call(method, path, **kwargs)


@router.get("/api/v1/persons/{person_id}", tags=["staff"])
async def person(person_id: uuid.UUID, request: Request, user: User):
    return await _person_visible(request, user, person_id)


@router.get("/api/v1/persons/{person_id}/timeline", tags=["staff"])
async def person_timeline(person_id: uuid.UUID, request: Request, user: User):
    return await _for_person(request, user, person_id, "supervision", "GET",
                             f"/internal/v1/persons/{person_id}/timeline", resource="timeline")


@router.post("/api/v1/persons/{person_id}/leaves", tags=["staff"], status_code=201)
async def approve_leave(person_id: uuid.UUID, body: LeaveRequest, request: Request, user: User):
    """An approved leave (请假外出): ≤ 7 days by the person's justice office, longer by the county."""
    return await _for_person(request, user, person_id, "supervision", "POST",
                             f"/internal/v1/persons/{person_id}/leaves",
                             json={**body.model_dump(), **_actor(user)}, action="create", resource="leave")


class SanctionRequest(BaseModel):
    kind: Literal["admonition", "warning", "revocation_proposal"]
    reason: str = Field(min_length=2, max_length=1000)


@router.post("/api/v1/persons/{person_id}/sanctions", tags=["staff"], status_code=201)
async def record_sanction(person_id: uuid.UUID, body: SanctionRequest, request: Request, user: User):
    """训诫 / 警告 / 提请撤销 with its reason, counted per case."""
    return await _for_person(request, user, person_id, "supervision", "POST",
                             f"/internal/v1/persons/{person_id}/sanctions",
                             json={**body.model_dump(), **_actor(user)}, action="create", resource="sanction")


# --- risk (explained, with professional override) ------------------------------------------------------

class RiskOverrideIn(BaseModel):
    level: Literal["low", "medium", "high"]
    reason: str = Field(min_length=5, max_length=2000)


@router.get("/api/v1/persons/{person_id}/risk", tags=["staff"])
async def person_risk(person_id: uuid.UUID, request: Request, user: User):
    return await _for_person(request, user, person_id, "risk", "GET", f"/internal/v1/persons/{person_id}/risk",
                             resource="risk")


@router.post("/api/v1/persons/{person_id}/risk/assess", tags=["staff"], status_code=201)
async def assess_risk(person_id: uuid.UUID, request: Request, user: User):
    """Assess again now (on demand)."""
    return await _for_person(request, user, person_id, "risk", "POST", f"/internal/v1/persons/{person_id}/assess",
                             params={"actor": user.username}, action="update", resource="risk")


@router.post("/api/v1/persons/{person_id}/risk/{assessment_id}/override", tags=["staff"])
async def override_risk(person_id: uuid.UUID, assessment_id: uuid.UUID, body: RiskOverrideIn, request: Request,
                        user: User):
    """A professional override: the reason is mandatory; the computed level stays beside it."""
    return await _for_person(request, user, person_id, "risk", "POST",
                             f"/internal/v1/assessments/{assessment_id}/override",
                             json={**body.model_dump(), "actor": user.username}, action="update", resource="risk")


@router.get("/api/v1/risk/quality", tags=["staff"])
async def risk_quality(request: Request, user: User, version: str | None = None):
    if user.role not in ("supervisor", "bureau_head"):
        raise ProblemError(403, "Forbidden", "the risk quality report is for supervisors")
    params = {"version": version} if version else {}
    return await request.app.state.risk.call("GET", "/internal/v1/quality", params=params)


# --- handover board (安置帮教衔接): staff see their own office; county staff everything -------------------

@router.get("/api/v1/handovers", tags=["staff"])
async def handover_board(request: Request, user: User, view: str = "all", office: str | None = None,
                         days: int = 30):
    if office and not user.sees(office):
        raise ProblemError(403, "Forbidden", f"you cannot see {office}")
    params = {"view": view, "days": days, **({"office": office or user.jurisdiction} if not user.county_wide or office
                                            else {})}
    return await request.app.state.handover.call("GET", "/internal/v1/handovers", params=params)


@router.get("/api/v1/handover-indicators", tags=["staff"])
async def handover_indicators(request: Request, user: User, month: str | None = None):
    return await request.app.state.handover.call("GET", "/internal/v1/indicators",
                                                 params={"month": month} if month else {})


@router.post("/api/v1/handovers/{handover_id}/{step}", tags=["staff"])
async def handover_step(handover_id: uuid.UUID, step: Literal["resolve", "pickup-plan", "pickup-outcome", "release",
                                                               "arrival", "agreement", "assistance"],
                        request: Request, user: User):
    current = await request.app.state.handover.call("GET", f"/internal/v1/handovers/{handover_id}")
    if isinstance(current, Response):
        return current
    if current["justice_office"] and not user.sees(current["justice_office"]):
        raise ProblemError(403, "Forbidden", f"this handover belongs to {current['justice_office']}")
    if current["justice_office"] is None and not user.county_wide:
        raise ProblemError(403, "Forbidden", "unlinked notices are the county's to resolve")
    body = await request.json() if await request.body() else {}
    async with request.app.state.runtime.uow() as uow:
        audit.record(uow, service="command_centre", actor=user.username, agency="justice-bureau", role=user.role,
                     action="update", resource=f"handover:{step}", person_id=uuid.UUID(current["person_id"]),
                     purpose="安置帮教衔接 (handover)")
    return await request.app.state.handover.call("POST", f"/internal/v1/handovers/{handover_id}/{step}", json=body)
