"""POST /oauth/token (client credentials) and the JWKS."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.exchange.deps import Parts
from shared.http import ProblemError

router = APIRouter(tags=["auth"])


@router.post("/oauth/token")
async def token(request: Request, parts: Parts) -> JSONResponse:
    """OAuth 2.0 client credentials (form-encoded per RFC 6749, or JSON)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = orjson.loads(raw or b"{}")
            form = {k: str(v) for k, v in parsed.items()}
        except (orjson.JSONDecodeError, AttributeError):
            raise ProblemError(400, "Bad Request", "body is not a JSON object") from None
    else:
        form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    missing = [f for f in ("grant_type", "client_id", "client_secret") if not form.get(f)]
    if missing:
        raise ProblemError(
            400,
            "Bad Request",
            "missing " + ", ".join(missing),
            errors=[{"field": f, "message": "required"} for f in missing],
        )
    if form["grant_type"] != "client_credentials":
        raise ProblemError(
            400,
            "Bad Request",
            "only grant_type=client_credentials is supported",
            errors=[{"field": "grant_type", "message": "unsupported_grant_type"}],
        )
    address = request.client.host if request.client else None
    issued = await parts.tokens.issue(form["client_id"], form["client_secret"], form.get("scope"), address)
    return JSONResponse(issued, headers={"Cache-Control": "no-store"})


@router.get("/.well-known/jwks.json")
async def jwks(request: Request, parts: Parts) -> dict:
    return parts.tokens.keys.jwks()
