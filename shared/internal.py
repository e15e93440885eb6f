"""Service-to-service calls, each with a short-lived token the calling service signed for the
service it calls (shared/service_tokens.py; docs/security.md, M6).

A call made for a member of staff carries them inside the token. The called service reads who
acts from the verified token (`shared.deps.StaffActor`), never from the request body.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shared.authority import Actor
from shared.deps import request_parts
from shared.errors import Unavailable, Upstream
from shared.http import ProblemError
from shared.service import ServiceParts
from shared.service_tokens import ServiceTokenError, ServiceTokens


async def require_internal(request: Request) -> None:
    """The internal routes' door: a valid token made for this service by a trusted one, or 401."""
    tokens = request_parts(request, ServiceParts).runtime.service_tokens
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(401, "Unauthorized", "internal API: a service token (Authorization: Bearer) is required")
    try:
        caller = tokens.verify(token)
    except ServiceTokenError as exc:
        raise ProblemError(401, "Unauthorized", f"internal API: {exc}") from None
    request.state.internal_caller = caller  # read by shared.deps (InternalCaller, StaffActor)


class InternalClient:
    """Calls another service's internal API. A refusal raises `Upstream`, whose problem+json the
    caller's own error handler passes on unchanged; no answer raises `Unavailable`."""

    def __init__(self, base_url: str, tokens: ServiceTokens, audience: str, timeout_s: float = 10.0) -> None:
        import httpx

        self._tokens = tokens
        self._audience = audience
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def call(self, method: str, path: str, *, actor: Actor | None = None, **kwargs: Any) -> Any:
        return (await self.exchange(method, path, actor=actor, **kwargs))[1]

    async def exchange(self, method: str, path: str, *, actor: Actor | None = None, **kwargs: Any) -> tuple[int, Any]:
        """The answer's status with its body, where the status says something (201 or 200)."""
        import httpx

        claims = None if actor is None else {"actor": actor.name, "role": actor.role, "jurisdiction": actor.office}
        headers = {"Authorization": f"Bearer {self._tokens.sign(self._audience, claims)}"}
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"an internal service did not answer: {exc!r}") from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            raise Upstream(response.status_code, problem)
        return response.status_code, response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
