"""The staff API (contract §5) and the console's page."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from services.command_centre.adapters import queries
from services.command_centre.adapters.feed import RESYNC, AlertFeed
from services.command_centre.api.views import Month, known_office
from services.command_centre.auth import COOKIE, token_of
from services.command_centre.deps import AnyUser, CommandCentreParts, Parts, User
from services.command_centre.domain.board import Storm
from services.command_centre.oidc import FLOW_COOKIE, FLOW_TTL_S, OidcSignIn
from services.command_centre.persons import audit_read, for_person, person_visible
from shared import audit
from shared.authority import Actor
from shared.errors import NotFound, Upstream
from shared.events import ALERT_STEPS, AlertData, DisposalSteps
from shared.http import ProblemError

# The console's build (services/command_centre/console, built by make setup from its lockfile).
CONSOLE = Path(__file__).parent.parent / "console" / "dist"
OIDC_PATH = "/api/v1/auth/oidc"
router = APIRouter()


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


def _with_token(body: dict[str, Any], token: str, ttl_s: int) -> JSONResponse:
    response = JSONResponse({**body, "access_token": token, "token_type": "Bearer", "expires_in": ttl_s})
    response.set_cookie(COOKIE, token, max_age=ttl_s, httponly=True, secure=True, samesite="strict", path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api/v1/auth/login", tags=["staff"])
async def login(body: Login, parts: Parts, request: Request) -> JSONResponse:
    """Sign in: a short-lived token for a new session (renew it with `/api/v1/auth/renew`).
    Failures are throttled per name and per address (429 with Retry-After)."""
    address = request.client.host if request.client else None
    user, token = await parts.sessions.sign_in(body.username, body.password, address)
    account = {"role": user.role, "jurisdiction": user.jurisdiction, "username": user.username}
    return _with_token(account, token, parts.sessions.token_ttl_s)


@router.get("/api/v1/auth/methods", tags=["staff"])
async def sign_in_methods(parts: Parts) -> dict[str, bool]:
    """How staff may sign in here: the console offers the bureau's provider when it is set up."""
    return {"password": True, "oidc": parts.oidc is not None}


def _oidc(parts: CommandCentreParts) -> OidcSignIn:
    if parts.oidc is None:
        raise NotFound("sign-in through the bureau's provider is not set up here (SPS_OIDC_ISSUER)")
    return parts.oidc


@router.get("/api/v1/auth/oidc/login", tags=["staff"])
async def oidc_login(parts: Parts) -> RedirectResponse:
    """Off to the bureau's OpenID Connect provider; it sends the browser back to the callback."""
    url, flow = await _oidc(parts).start()
    response = RedirectResponse(url, status_code=302)
    # Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
    response.set_cookie(
        FLOW_COOKIE, flow, max_age=FLOW_TTL_S, httponly=True, secure=True, samesite="lax", path=OIDC_PATH
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(f"{OIDC_PATH}/callback", tags=["staff"])
async def oidc_callback(
    request: Request, parts: Parts, code: str = Query(max_length=2048), state: str = Query(max_length=512)
) -> Response:
    """The provider vouched for someone: a session for their account here, and on to the console."""
    username, subject = await _oidc(parts).finish(code, state, request.cookies.get(FLOW_COOKIE))
    user, token = await parts.sessions.sign_in_verified(username, subject)
    ttl = parts.sessions.token_ttl_s
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, secure=True, samesite="strict", path="/")
    response.delete_cookie(FLOW_COOKIE, path=OIDC_PATH, secure=True, httponly=True, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api/v1/auth/renew", tags=["staff"])
async def renew(
    request: Request,
    parts: Parts,
    used: Annotated[bool, Query(description="the member of staff used the console since the last renewal")] = False,
) -> JSONResponse:
    """A fresh token while the session lasts (the console renews before the token expires). A
    renewal without `used` does not keep an idle session alive (policy/security.yaml
    `sessions.idle`)."""
    token = token_of(request)
    if token is None:
        raise ProblemError(401, "Unauthorized", "log in first", headers={"WWW-Authenticate": "Bearer"})
    return _with_token({}, await parts.sessions.renew(token, used=used), parts.sessions.token_ttl_s)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.post("/api/v1/auth/password", tags=["staff"])
async def change_password(body: PasswordChange, request: Request, parts: Parts) -> JSONResponse:
    """A member of staff changes their own password (not through the bureau's provider): the
    current one checked, the new one held to policy/security.yaml `passwords`; every session of
    the account ends, this one too: sign in again with the new one."""
    token = token_of(request)
    if token is None:
        raise ProblemError(401, "Unauthorized", "log in first", headers={"WWW-Authenticate": "Bearer"})
    address = request.client.host if request.client else None
    user = await parts.sessions.change_password(token, body.current_password, body.new_password, address)
    async with parts.runtime.uow() as uow:
        audit.record(
            uow,
            Actor(user.username, user.role, user.jurisdiction),
            action="update",
            resource="password",
            person_id=None,
            purpose="本人修改密码 (own password)",
        )
    response = JSONResponse({"status": "changed: sign in again with the new password"})
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.post("/api/v1/auth/logout", tags=["staff"])
async def logout(request: Request, parts: Parts) -> JSONResponse:
    """End the session: its token stops working at once, wherever it was copied."""
    if (token := token_of(request)) is not None:
        await parts.sessions.sign_out(token)
    response = JSONResponse({"status": "logged out"})
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


class Board(BaseModel):
    """The duty board's settings (policy/console.yaml)."""

    storm: Storm
    sound_on_new_alert: bool


class Me(BaseModel):
    """Who is signed in, what they may do, and the county's clock (the console's `Schemas["Me"]`)."""

    username: str
    role: str
    jurisdiction: str
    time_zone: str
    today: date
    month: str
    # Years with no holiday list within the notice's horizon: deadlines in them count weekends
    # only, so the board says so until policy/calendar.yaml lists them (docs/rules.md).
    calendar_missing_years: list[int]
    feed_heartbeat_s: float  # the board counts itself stale after three missed
    token_ttl_s: int  # the console renews its token well before this
    # The actions this role may take (policy/authority.yaml): the console shows only these. Each
    # route checks again, with the case's office, whatever the console shows.
    may: list[str]
    team_scoped: bool  # 协矫通: the console shows the team's page alone
    team_account_roles: list[str]  # the team roles whose members may hold a 协矫通 account
    board: Board
    # Every alert step the live feed sends (shared/events/registry.py, ALERT_STEPS): the board
    # listens for each, so a step added to the registry reaches it without a change here.
    alert_steps: list[str]


@router.get("/api/v1/me", tags=["staff"])
async def me(user: AnyUser, parts: Parts) -> Me:
    """Who is signed in, and the county's time the console shows dates in (policy/calendar.yaml)."""
    county = parts.runtime.county
    now = datetime.now(UTC)
    today = county.day_of(now)
    team = parts.authority.team_access
    return Me(
        username=user.name,
        role=user.role,
        jurisdiction=user.office,
        time_zone=county.policy.time_zone,
        today=today,
        month=county.month_of(now),
        calendar_missing_years=county.years_to_list(today),
        feed_heartbeat_s=parts.heartbeat_s,
        token_ttl_s=parts.sessions.token_ttl_s,
        may=sorted(action for action in parts.authority.actions if user.may(action)),
        team_scoped=user.team_scoped,
        team_account_roles=list(team.members) if team else [],
        board=Board(storm=parts.console.storm, sound_on_new_alert=parts.console.sound_on_new_alert),
        alert_steps=list(ALERT_STEPS),
    )


Colour = Literal["red", "orange", "yellow", "blue"]
Status = Literal["open", "acknowledged", "escalated", "disposed", "closed"]


@router.get(
    "/api/v1/alerts",
    tags=["staff"],
    # The rows are the projection's own copies of alerts.v1's data (handlers.py), answered as kept.
    responses={200: {"model": list[AlertData], "headers": {"X-Alerts-Seq": {"schema": {"type": "string"}}}}},
)
async def list_alerts(
    parts: Parts,
    user: User,
    status: Status | None = None,
    colour: Colour | None = None,
    jurisdiction: str | None = None,
    rule_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Alerts, newest first. `X-Alerts-Seq` is the feed position this list reflects."""
    if jurisdiction:
        user.must_see(jurisdiction)
    seq, rows = await queries.alert_board(
        parts.runtime.engine,
        office=None if user.county_wide else user.office,
        status=status,
        colour=colour,
        jurisdiction=jurisdiction,
        rule_id=rule_id,
        limit=limit,
    )
    await audit_read(parts, user, f"alerts:list:{jurisdiction or user.office}")
    return Response(orjson.dumps(rows), media_type="application/json", headers={"X-Alerts-Seq": str(seq)})


@router.get("/api/v1/alerts/stream", tags=["staff"])
async def stream(
    request: Request,
    parts: Parts,
    user: User,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-Sent Events, one per alert change; resumable with `Last-Event-ID` (or `?after=`)."""
    feed = parts.feed
    if last_event_id is not None:
        try:
            position = int(last_event_id)
        except ValueError:
            raise ProblemError(400, "Bad Request", "Last-Event-ID must be a number") from None
    else:
        position = after if after is not None else feed.head
    token = token_of(request)
    assert token is not None, "the User dependency has checked it"
    session_id = parts.sessions.session_of(token)
    await audit_read(parts, user, f"alerts:stream:{user.office}")

    async def still(current: Actor) -> Actor | None:
        """The session's member of staff now (their role and office as they are now), or None."""
        live = await parts.sessions.live_user(session_id)
        if live is None:
            return None
        return Actor(live.username, live.role, live.jurisdiction, policy=current.policy)

    recheck_s = parts.sessions.policy.feed_recheck.total_seconds()
    return EventSourceResponse(
        follow_feed(feed, user, position, parts.heartbeat_s, still, recheck_s),
        ping=15,
        headers={"Cache-Control": "no-store"},
    )


async def follow_feed(
    feed: AlertFeed,
    user: Actor,
    position: int,
    heartbeat_s: float,
    still: Callable[[Actor], Awaitable[Actor | None]] | None = None,
    recheck_s: float = 3.0,
) -> AsyncIterator[dict[str, str]]:
    """The changes after `position` the user may see: the backlog from the database, then the live
    queue; a `heartbeat` when quiet, and `resync` (then the end) if this subscriber fell behind.
    Every `recheck_s`, busy or quiet, the session is checked (`still`): once it has ended (a
    logout, a disabling, a password reset) the feed says `session-ended` and ends; a changed role
    or office applies to the changes after it (contract §7.4)."""
    queue = feed.subscribe()
    last = position
    loop = asyncio.get_running_loop()
    checked = quiet_since = loop.time()
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
            now = loop.time()
            if still is not None and now - checked >= recheck_s:
                checked = now
                current = await still(user)
                if current is None:
                    yield {"event": "session-ended", "data": "{}"}
                    return
                user = current
            wait = min(heartbeat_s - (now - quiet_since), recheck_s - (now - checked) if still else heartbeat_s)
            try:
                change = await asyncio.wait_for(queue.get(), timeout=max(wait, 0.01))
            except TimeoutError:
                if loop.time() - quiet_since >= heartbeat_s:  # nothing new: say so (the board's freshness)
                    quiet_since = loop.time()
                    yield {"event": "heartbeat", "data": orjson.dumps(_pulse(feed, last)).decode()}
                continue
            quiet_since = loop.time()
            if change is RESYNC:  # fell behind: reload the board rather than miss changes
                yield {"event": "resync", "data": orjson.dumps(_pulse(feed, last)).decode()}
                return
            if change.seq <= last:
                continue  # already sent during catch-up
            last = change.seq
            if user.sees(change.jurisdiction):
                yield {"id": str(change.seq), "event": change.event_type, "data": change.data}
    finally:
        feed.unsubscribe(queue)


def _pulse(feed: AlertFeed, sent: int) -> dict[str, Any]:
    """The feed's position and health: the console shows how fresh the board is."""
    return {"head": feed.head, "sent": sent, "ready": feed.ready, "at": datetime.now(UTC).isoformat()}


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    if not (CONSOLE / "index.html").exists():
        raise ProblemError(503, "Service Unavailable", "the console is not built: run make setup")
    return FileResponse(CONSOLE / "index.html", headers={"Cache-Control": "no-cache"})


# --- staff steps on alerts: alerting decides and publishes; the board follows on the feed -------------


class AckIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class DisposeIn(BaseModel):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(min_length=1, max_length=2000)
    steps: DisposalSteps | None = Field(None, description="核实 → 处置 → 跟踪, each step's record")


class CloseIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class SilenceIn(BaseModel):
    person_id: uuid.UUID
    rule_id: str = Field(min_length=1, max_length=60)
    duration_minutes: int = Field(ge=1, le=60 * 24 * 30)
    reason: str = Field(min_length=1, max_length=500)


async def _visible(parts: CommandCentreParts, user: Actor, alert_id: uuid.UUID) -> None:
    """A justice officer acts only on their own office's alerts (checked here and again in alerting)."""
    if user.county_wide:
        return
    async with parts.runtime.engine.connect() as conn:
        office = await queries.alert_office(conn, alert_id)
    if office is not None:
        user.must_see(office)


async def _alert_step(parts: CommandCentreParts, user: Actor, alert_id: uuid.UUID, step: str, body: BaseModel) -> Any:
    """A step on an alert of an office this user sees; alerting checks the role the step needs
    (a red or orange alert closes only with a supervisor's sign-off) and records who took it."""
    await _visible(parts, user, alert_id)
    return await parts.alerting.call(
        "POST", f"/internal/v1/alerts/{alert_id}/{step}", json=body.model_dump(), actor=user
    )


@router.post("/api/v1/alerts/{alert_id}/acknowledge", tags=["staff"])
async def acknowledge(alert_id: uuid.UUID, parts: Parts, user: User, body: AckIn | None = None):
    return await _alert_step(parts, user, alert_id, "acknowledge", body or AckIn())


@router.post("/api/v1/alerts/{alert_id}/dispose", tags=["staff"])
async def dispose(alert_id: uuid.UUID, body: DisposeIn, parts: Parts, user: User):
    return await _alert_step(parts, user, alert_id, "dispose", body)


@router.post("/api/v1/alerts/{alert_id}/close", tags=["staff"])
async def close(alert_id: uuid.UUID, parts: Parts, user: User, body: CloseIn | None = None):
    return await _alert_step(parts, user, alert_id, "close", body or CloseIn())


@router.get("/api/v1/alerts/{alert_id}", tags=["staff"])
async def alert_detail(alert_id: uuid.UUID, parts: Parts, user: User):
    """The alert with its log; checked against the alert's own office as alerting holds it, so a
    board that has not caught up yet never lets it through (fail closed)."""
    detail = await parts.alerting.call("GET", f"/internal/v1/alerts/{alert_id}")
    if not user.sees(detail["jurisdiction"]):
        raise NotFound(f"no alert {alert_id}")  # another office's alert does not exist for this user
    await audit_read(parts, user, f"alert:{alert_id}", uuid.UUID(detail["person_id"]))
    return detail


@router.post("/api/v1/silences", tags=["staff"], status_code=201)
async def silence(body: SilenceIn, parts: Parts, user: User):
    """Silence one rule for one person of the user's own office (county staff: any office; N6)."""
    user.require("alert.silence")
    await person_visible(parts, user, body.person_id, action="update", resource="silence")
    return await parts.alerting.call("POST", "/internal/v1/silences", json=body.model_dump(mode="json"), actor=user)


@router.get("/api/v1/silences", tags=["staff"])
async def silences(parts: Parts, user: User):
    """The silences in force of the persons the user sees, for those who may silence (N6)."""
    user.require("alert.silence")
    await audit_read(parts, user, "silences")
    rows: list[dict[str, Any]] = await parts.alerting.call("GET", "/internal/v1/silences")
    if user.county_wide:
        return rows
    offices: dict[str, str | None] = {}
    for person in {r["person_id"] for r in rows}:
        try:
            offices[person] = (await parts.supervision.call("GET", f"/internal/v1/persons/{person}"))["jurisdiction"]
        except Upstream as exc:
            if exc.status != 404:
                raise
            offices[person] = None  # no case: no office to see it
    return [r for r in rows if (office := offices[r["person_id"]]) is not None and user.sees(office)]


@router.get("/api/v1/alert-quality", tags=["staff"])
async def alert_quality(parts: Parts, user: User):
    """Per rule: share disposed as unfounded, time to acknowledge and to dispose (supervisors)."""
    user.require("quality.read")
    return await parts.alerting.call("GET", "/internal/v1/quality")


@router.get("/api/v1/disposal-reasons", tags=["staff"])
async def disposal_reasons(parts: Parts, user: User):
    return await parts.alerting.call("GET", "/internal/v1/disposal-reasons")


# --- persons (contract §5): supervision holds the case; identity arrives masked -----------------------


@router.get("/api/v1/persons/{person_id}", tags=["staff"])
async def person(person_id: uuid.UUID, parts: Parts, user: User):
    return await person_visible(parts, user, person_id)


@router.get("/api/v1/persons/{person_id}/timeline", tags=["staff"])
async def person_timeline(person_id: uuid.UUID, parts: Parts, user: User):
    return await for_person(
        parts, user, person_id, "supervision", "GET", f"/internal/v1/persons/{person_id}/timeline", resource="timeline"
    )


@router.get("/api/v1/persons/{person_id}/hours", tags=["staff"])
async def hours(person_id: uuid.UUID, parts: Parts, user: User, month: Month = None):
    """The month's confirmed time per kind against what the person's level owes."""
    return await for_person(
        parts,
        user,
        person_id,
        "supervision",
        "GET",
        f"/internal/v1/persons/{person_id}/hours",
        params={"month": month} if month else {},
        resource="hours",
    )


@router.get("/api/v1/persons/{person_id}/sanction-suggestion", tags=["staff"])
async def sanction_suggestion(person_id: uuid.UUID, parts: Parts, user: User):
    """The sanction the rules point to (训诫 / 警告 / 提请撤销) with its evidence; staff decide."""
    return await for_person(
        parts,
        user,
        person_id,
        "supervision",
        "GET",
        f"/internal/v1/persons/{person_id}/sanction-suggestion",
        resource="sanction",
    )


# --- risk (explained, with professional override) ------------------------------------------------------


class RiskOverrideIn(BaseModel):
    level: Literal["low", "medium", "high"]
    reason: str = Field(min_length=5, max_length=2000)


@router.get("/api/v1/persons/{person_id}/risk", tags=["staff"])
async def person_risk(person_id: uuid.UUID, parts: Parts, user: User):
    return await for_person(
        parts, user, person_id, "risk", "GET", f"/internal/v1/persons/{person_id}/risk", resource="risk"
    )


@router.post("/api/v1/persons/{person_id}/risk/assess", tags=["staff"], status_code=201)
async def assess_risk(person_id: uuid.UUID, parts: Parts, user: User):
    """Assess again now (on demand)."""
    user.require("risk.assess")
    return await for_person(
        parts,
        user,
        person_id,
        "risk",
        "POST",
        f"/internal/v1/persons/{person_id}/assess",
        json={},
        action="update",
        resource="risk",
    )


@router.post("/api/v1/persons/{person_id}/risk/{assessment_id}/override", tags=["staff"])
async def override_risk(person_id: uuid.UUID, assessment_id: uuid.UUID, body: RiskOverrideIn, parts: Parts, user: User):
    """A professional override: the reason is mandatory; the computed level stays beside it. Risk
    checks that the assessment is this person's and in an office the member of staff sees."""
    user.require("risk.override")
    return await for_person(
        parts,
        user,
        person_id,
        "risk",
        "POST",
        f"/internal/v1/persons/{person_id}/assessments/{assessment_id}/override",
        json=body.model_dump(),
        action="update",
        resource="risk",
    )


@router.get("/api/v1/risk/quality", tags=["staff"])
async def risk_quality(parts: Parts, user: User, version: str | None = None):
    user.require("quality.read")
    params = {"version": version} if version else {}
    return await parts.risk.call("GET", "/internal/v1/quality", params=params)


# --- handover board (安置帮教衔接): staff see their own office; county staff everything -------------------


@router.get("/api/v1/handovers", tags=["staff"])
async def handover_board(
    parts: Parts,
    user: User,
    view: Literal["all", "upcoming", "unplanned", "receipts_due", "not_arrived", "unlinked"] = "all",
    office: str | None = None,
    days: Annotated[int, Query(ge=0, le=3660)] = 30,
):
    if office:
        known_office(parts, office)
        user.must_see(office)
    params = {
        "view": view,
        "days": days,
        **({"office": office or user.office} if not user.county_wide or office else {}),
    }
    await audit_read(parts, user, f"handovers:{view}:{params.get('office', 'county')}")
    return await parts.handover.call("GET", "/internal/v1/handovers", params=params)


@router.get("/api/v1/handover-indicators", tags=["staff"])
async def handover_indicators(parts: Parts, user: User, month: Month = None):
    """The handover indicators of the offices this user sees (an officer: their own)."""
    figures = await parts.handover.call("GET", "/internal/v1/indicators", params={"month": month} if month else {})
    return {**figures, "offices": [o for o in figures["offices"] if user.sees(o["office"])]}
