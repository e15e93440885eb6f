"""Calling a service's internal API from a test as the command centre does: with a service token
signed by the command centre's (demo) key for that service, the member of staff inside it.

Tests keep writing who acts beside the step (`{"actor", "role", "jurisdiction", ...}`); this
moves them out of the body and into the signed token, which is where the services read them."""

from __future__ import annotations

import json
from collections.abc import Generator

import httpx

from shared.service_tokens import ServiceTokens, load_private

_WHO = ("actor", "role", "jurisdiction")


def service_headers(
    audience: str, actor: dict[str, str] | None = None, *, issuer: str = "command_centre", stack=None
) -> dict:
    """Signed with the demo key of `issuer` (the in-process services' key), or with the key `make
    up` made for `issuer` in `stack`'s install (the platform's processes)."""
    if stack is None:
        tokens = ServiceTokens.demo(issuer)
    else:
        from tools.devstack.service_keys import local_service_keys

        pem = local_service_keys(stack.root)[issuer]["SPS_SERVICE_SIGNING_KEY"]
        tokens = ServiceTokens(issuer, load_private(pem), {})
    return {"Authorization": f"Bearer {tokens.sign(audience, actor)}"}


class AsCommandCentre(httpx.Auth):
    requires_request_body = True

    def __init__(self, audience: str) -> None:
        self.audience = audience

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        actor = None
        body = request.content
        if body and request.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(body)
            if isinstance(data, dict) and all(k in data for k in _WHO):
                actor = {k: data.pop(k) for k in _WHO}
                request = httpx.Request(request.method, request.url, headers=request.headers, json=data)
        request.headers.update(service_headers(self.audience, actor))
        yield request


COUNTY_DUTY = {"actor": "duty-demo", "role": "duty_officer", "jurisdiction": "county"}


async def report_intake(app, person_id, at=None) -> httpx.Response:
    """报到 as the office records it (contract §7.5), on an in-process supervision app, by the
    county's duty officer through the command centre's signed call."""
    from datetime import UTC, datetime

    body = {"reported_at": (at or datetime.now(UTC)).isoformat()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://supervision") as client:
        r = await client.post(
            f"/internal/v1/persons/{person_id}/intake",
            json=body,
            headers=service_headers(app.state.parts.runtime.name, COUNTY_DUTY),
        )
    assert r.status_code in (200, 201), r.text
    return r
