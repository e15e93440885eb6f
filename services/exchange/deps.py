"""The gateway's wired parts and the typed dependencies its routes take (docs/architecture.md):
`Parts`, and `require_scope`, the calling agency client after its token, scope and rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials
from fastapi.openapi.models import OAuthFlows as OAuthFlowsModel
from fastapi.security import OAuth2, SecurityScopes

from services.exchange.adapters.vault import IdentityCipher
from services.exchange.auth import RateLimiter, TokenService
from services.exchange.commands import Ingest, Views
from shared.ahead import DEFAULT_TOLERANCE
from shared.deps import request_parts
from shared.geography import Geography
from shared.http import ProblemError
from shared.service import ServiceParts


@dataclass
class ExchangeParts(ServiceParts):
    tokens: TokenService
    rate_limiter: RateLimiter
    cipher: IdentityCipher
    person_key: bytes
    geography: Geography
    ingest: Ingest
    views: Views
    county_police: str  # policy/security.yaml agencies.police
    future_tolerance: timedelta = DEFAULT_TOLERANCE  # policy/security.yaml clock.future_tolerance


def parts_of(request: Request) -> ExchangeParts:
    return request_parts(request, ExchangeParts)


Parts = Annotated[ExchangeParts, Depends(parts_of)]


@dataclass(frozen=True)
class Caller:
    client_id: str
    agency: str
    organisation: str
    scopes: frozenset[str]


SCOPE_DOCS = {
    "court:write": "courts: community-correction orders",
    "prison:write": "prisons: pre-release notices",
    "prison:read": "prisons: their receipts",
    "rehab:write": "rehabilitation centres: release notices",
    "device:write": "devices and apps: fixes and check-ins",
    "police:read": "police: key-person handovers",
    "police:write": "police: acknowledging a handover",
    "procuratorate:read": "procuratorate: the audit trail",
    "civil-affairs:read": "civil affairs: assistance requests",
    "procuratorate:write": "the procuratorate: 检察建议 and 纠正违法通知 to a justice office",
    "app:write": "the supervised person's app (在矫通): hours and help requests",
    "civil-affairs:write": "civil affairs: the outcome of an assistance request",
}
# Declared as OAuth2 client credentials, so each operation's scope is in the OpenAPI document.
AGENCY_CLIENT = OAuth2(
    flows=OAuthFlowsModel(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token", scopes=SCOPE_DOCS)),
    scheme_name="agencyClient",
    auto_error=False,
)


async def authorised(
    request: Request, security_scopes: SecurityScopes, authorization: Annotated[str | None, Depends(AGENCY_CLIENT)]
) -> Caller:
    """A valid bearer token carrying the route's scope, else 401/403; then the client's rate limit."""
    kind, _, token = (authorization or "").partition(" ")
    if kind.lower() != "bearer" or not token:
        raise ProblemError(401, "Unauthorized", "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    claims = parts_of(request).tokens.verify(token.strip())
    scopes = frozenset(claims["scope"].split())
    missing = [s for s in security_scopes.scopes if s not in scopes]
    if missing:
        raise ProblemError(
            403,
            "Forbidden",
            f"this call needs scope {missing[0]!r}",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope" scope="{missing[0]}"'},
        )
    wait = parts_of(request).rate_limiter.take(claims["sub"])
    if wait > 0:
        raise ProblemError(
            429,
            "Too Many Requests",
            f"rate limit for {claims['sub']}; retry in {wait:.1f}s",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )
    return Caller(claims["sub"], claims.get("agency", ""), claims.get("org", ""), scopes)


def require_scope(scope: str) -> Any:
    """Use as `caller: Annotated[Caller, require_scope("court:write")]`."""
    return Security(authorised, scopes=[scope])


def require_county_police(scope: str) -> Any:
    """A police route: the scope, and a client of the county's police (policy/security.yaml
    `agencies.police`), else 403. Search requests, handovers and exit controls are theirs alone
    (L2, docs/security.md)."""

    async def county_police(request: Request, caller: Caller = Security(authorised, scopes=[scope])) -> Caller:
        police = parts_of(request).county_police
        if caller.organisation != police:
            raise ProblemError(
                403, "Forbidden", f"this is for {police}'s clients; this client is of {caller.organisation}"
            )
        return caller

    return Depends(county_police)


def require_one_of(*scopes: str) -> Any:
    """A route more than one agency reads: any one of `scopes`, else 403 naming them."""

    # The token is checked here rather than through the security scheme's dependency, whose
    # single requirement would say nothing of "any one of"; the route declares its requirements
    # (`any_scope_security`).
    async def one_of(request: Request) -> Caller:
        caller = await authorised(request, SecurityScopes([]), request.headers.get("Authorization"))
        if not caller.scopes & set(scopes):
            wanted = " or ".join(repr(s) for s in scopes)
            raise ProblemError(
                403,
                "Forbidden",
                f"this call needs scope {wanted}",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope" scope="{" ".join(scopes)}"'},
            )
        return caller

    return Depends(one_of)


def any_scope_security(*scopes: str) -> dict[str, Any]:
    """The OpenAPI security of a `require_one_of` route: any one of its scopes will do."""
    return {"security": [{"agencyClient": [scope]} for scope in scopes]}
