"""Staff sign-in through the bureau's own OpenID Connect provider (authorisation code flow with
PKCE, Authlib's client; the ID token checked with joserfc against the provider's keys).

The provider says who the person is; the command centre's own account of that name says what
they may do (role and office) and whether they may sign in at all. A name the provider knows but
the command centre does not, or a disabled account, gets no session. Configured by settings:
`SPS_OIDC_ISSUER`, `SPS_OIDC_CLIENT_ID`, `SPS_OIDC_CLIENT_SECRET`, `SPS_OIDC_REDIRECT_URI`
(README, "Signing in through the bureau's provider").
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt as pyjwt
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from shared.http import ProblemError

# The browser's round trip to the provider: its state, nonce and PKCE verifier ride in a signed,
# HttpOnly cookie for this long.
FLOW_TTL_S = 600
FLOW_COOKIE = "sps_oidc_flow"
ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    username_claim: str = "preferred_username"
    scope: str = "openid profile"


class OidcSignIn:
    def __init__(self, config: OidcConfig, flow_secret: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._flow_secret = flow_secret
        self._transport = transport  # tests give the provider's app; production talks to it over HTTPS
        self._metadata: dict[str, Any] | None = None

    def through(self, transport: httpx.AsyncBaseTransport) -> OidcSignIn:
        """The same sign-in, reaching the provider through `transport` (tests use the provider's app)."""
        return OidcSignIn(self.config, self._flow_secret, transport)

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            redirect_uri=self.config.redirect_uri,
            scope=self.config.scope,
            code_challenge_method="S256",
            transport=self._transport,
            timeout=10.0,
        )

    async def _discover(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(transport=self._transport, timeout=10.0) as http:
                response = await http.get(url)
            if response.status_code != 200:
                raise ProblemError(502, "Bad Gateway", f"the sign-in provider did not describe itself ({url})")
            metadata = response.json()
            if metadata.get("issuer") != self.config.issuer:
                raise ProblemError(502, "Bad Gateway", "the sign-in provider names another issuer")
            self._metadata = metadata
        return self._metadata

    async def start(self) -> tuple[str, str]:
        """Where to send the browser, and the signed cookie value that remembers this attempt."""
        metadata = await self._discover()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        flow = {"state": state, "nonce": nonce, "verifier": verifier, "exp": int(time.time()) + FLOW_TTL_S}
        return url, pyjwt.encode(flow, self._flow_secret, algorithm="HS256")

    async def finish(self, code: str, state: str, cookie: str | None) -> tuple[str, str]:
        """The provider sent the browser back: the verified username and subject, or 401 saying why not."""
        if not cookie:
            raise ProblemError(401, "Unauthorized", "sign-in attempt not found or expired; start again")
        try:
            flow = pyjwt.decode(cookie, self._flow_secret, algorithms=["HS256"], options={"require": ["exp"]})
        except pyjwt.PyJWTError:
            raise ProblemError(401, "Unauthorized", "sign-in attempt not found or expired; start again") from None
        if not secrets.compare_digest(str(flow.get("state", "")), state):
            raise ProblemError(401, "Unauthorized", "the sign-in answer does not match this attempt (state)")
        metadata = await self._discover()
        async with self._client() as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow["verifier"],
                )
            except Exception as exc:  # the provider refused the code: say so, without its secrets
                detail = f"the sign-in provider refused the code: {type(exc).__name__}"
                raise ProblemError(401, "Unauthorized", detail) from None
            jwks = (await client.get(metadata["jwks_uri"])).json()
        return self._username(token.get("id_token"), jwks, flow["nonce"])

    def _username(self, id_token: str | None, jwks: dict[str, Any], nonce: str) -> tuple[str, str]:
        """The account's name and the provider's subject (`sub`) vouched for by the ID token."""
        if not id_token:
            raise ProblemError(401, "Unauthorized", "the sign-in provider sent no ID token")
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # the provider's JWKS document
            decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
                leeway=30,
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise ProblemError(401, "Unauthorized", f"the ID token is not valid: {exc}") from None
        username = decoded.claims.get(self.config.username_claim)
        if not isinstance(username, str) or not username:
            raise ProblemError(401, "Unauthorized", f"the ID token has no {self.config.username_claim}")
        subject = decoded.claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise ProblemError(401, "Unauthorized", "the ID token has no sub")
        return username, subject
