"""Service-to-service calls: a shared token in `X-SPS-Internal-Token`.

The internal APIs listen on loopback in `make run`; the token keeps any other local process
from acting as the command centre. Only demo mode has a default token.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request

from shared.deps import request_parts
from shared.errors import Unavailable, Upstream
from shared.http import ProblemError
from shared.service import ServiceParts

HEADER = "X-SPS-Internal-Token"


async def require_internal(request: Request) -> None:
    expected = request_parts(request, ServiceParts).runtime.internal_token
    given = request.headers.get(HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ProblemError(401, "Unauthorized", f"internal API: a valid {HEADER} is required")


class InternalClient:
    """Calls another service's internal API. A refusal raises `Upstream`, whose problem+json the
    caller's own error handler passes on unchanged; no answer raises `Unavailable`."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        import httpx

        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, headers={HEADER: token})

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"an internal service did not answer: {exc!r}") from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            raise Upstream(response.status_code, problem)
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
