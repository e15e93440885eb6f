"""FastAPI pieces every service shares: problem+json errors (RFC 9457), health, readiness, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import CommandError, Upstream
from shared.logging import get_logger
from shared.metrics import render

PROBLEM = "application/problem+json"
log = get_logger(__name__)


class ProblemError(Exception):
    """Raise to answer with a problem+json document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        type_: str = "about:blank",
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers, self.type = errors, headers, type_


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str = "about:blank",
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[str | int, ...] | list[str | int]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "(body)"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(err.get("loc", ())), "message": _message(err)} for err in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:20])
        return problem_response(422, "Request is not valid", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            type_=exc.type,
        )

    @app.exception_handler(CommandError)
    async def _command(request: Request, exc: CommandError) -> JSONResponse:
        if isinstance(exc, Upstream):  # another service's problem document, passed on as it came
            return JSONResponse(exc.problem, status_code=exc.status, media_type=PROBLEM)
        return problem_response(
            exc.status, exc.title, exc.detail, instance=request.url.path, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            _reason(exc.status_code),
            str(exc.detail) if exc.detail else None,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace to the client; the log has it.
        log.exception("unhandled error", path=request.url.path)
        return problem_response(500, "Internal Server Error", "the error was logged", instance=request.url.path)


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    # pydantic prefixes custom ValueErrors with "Value error, "
    return msg.removeprefix("Value error, ")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def install_probes(app: FastAPI, readiness: ReadinessCheck) -> None:
    @app.get("/healthz", tags=["probes"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["probes"], include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    @app.get("/metrics", tags=["probes"], include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type)
