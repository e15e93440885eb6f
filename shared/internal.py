"""Service-to-service calls: a shared token in `X-SPS-Internal-Token`.

The internal APIs listen on loopback in `make run`; the token keeps any other local process
from acting as the command centre. Only demo mode has a default token.
"""
from __future__ import annotations

import hmac

from fastapi import Request

from shared.http import ProblemError
from shared.settings import ServiceSettings

HEADER = "X-SPS-Internal-Token"


def internal_token(settings: ServiceSettings) -> str:
    if settings.internal_token is not None:
        return settings.internal_token.get_secret_value()
    if settings.demo_mode:
        return "sps-demo-internal-token"
    raise RuntimeError("SPS_INTERNAL_TOKEN is not set (only demo mode has a default)")


async def require_internal(request: Request) -> None:
    expected = request.app.state.internal_token
    given = request.headers.get(HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ProblemError(401, "Unauthorized", f"internal API: a valid {HEADER} is required")


class InternalClient:
    """Calls another service's internal API; its problem+json answers pass through unchanged."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        import httpx

        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, headers={HEADER: token})

    async def call(self, method: str, path: str, **kwargs):
        import httpx
        from fastapi.responses import JSONResponse

        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ProblemError(503, "Service Unavailable", f"an internal service did not answer: {exc!r}",
                               headers={"Retry-After": "5"}) from None
        if response.status_code >= 400:
            return JSONResponse(response.json(), status_code=response.status_code,
                                media_type="application/problem+json")
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
