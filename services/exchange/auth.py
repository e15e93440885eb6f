"""OAuth 2.0 client credentials → short-lived ES256 JWTs; bearer checks with scopes.

The signing key comes from `SPS_GATEWAY_SIGNING_KEY` (PEM, EC P-256). In demo mode only, a key
is generated at start when none is given. `/.well-known/jwks.json` publishes the public keys.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Request

from services.exchange.domain.clients import Client
from shared.secrets import verify_secret
from shared.http import ProblemError

ISSUER = "sps-exchange"
AUDIENCE = "sps-exchange"


@dataclass
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(kid=uuid.uuid4().hex[:16], private=ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str, kid: str | None = None) -> SigningKey:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("SPS_GATEWAY_SIGNING_KEY must be an EC (P-256) private key")
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        import hashlib

        return cls(kid=kid or hashlib.sha256(public).hexdigest()[:16], private=key)

    def jwk(self) -> dict:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "ES256"}


class TokenService:
    def __init__(self, clients: dict[str, Client], key: SigningKey, ttl_s: int = 900) -> None:
        self.clients = clients
        self.key = key
        self.ttl_s = ttl_s

    def issue(self, client_id: str, client_secret: str, requested: str | None) -> dict:
        client = self.clients.get(client_id)
        if client is None or not verify_secret(client_secret, client.secret_hash):
            raise ProblemError(401, "Unauthorized", "unknown client or wrong secret",
                               headers={"WWW-Authenticate": 'Basic realm="sps"'},
                               errors=[{"field": "client_secret", "message": "invalid_client"}])
        scopes = set(requested.split()) if requested else set(client.scopes)
        if not scopes <= client.scopes:
            bad = ", ".join(sorted(scopes - client.scopes))
            raise ProblemError(400, "Bad Request", f"scope not allowed for this client: {bad}",
                               errors=[{"field": "scope", "message": "invalid_scope"}])
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": client.client_id, "agency": client.agency,
                  "scope": " ".join(sorted(scopes)), "iat": now, "exp": now + self.ttl_s, "jti": uuid.uuid4().hex}
        token = jwt.encode(claims, self.key.private, algorithm="ES256", headers={"kid": self.key.kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_s, "scope": claims["scope"]}

    def verify(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.key.kid:
                raise jwt.InvalidTokenError("unknown signing key")
            return jwt.decode(token, self.key.private.public_key(), algorithms=["ES256"], audience=AUDIENCE,
                              issuer=ISSUER, options={"require": ["exp", "iat", "sub", "scope"]})
        except jwt.PyJWTError as exc:
            raise ProblemError(401, "Unauthorized", f"invalid token: {exc}",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


@dataclass(frozen=True)
class Caller:
    client_id: str
    agency: str
    scopes: frozenset[str]


def require_scope(scope: str):
    """A FastAPI dependency: a valid bearer token carrying `scope`, else 401/403."""

    async def dependency(request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token:
            raise ProblemError(401, "Unauthorized", "a bearer token is required",
                               headers={"WWW-Authenticate": "Bearer"})
        claims = request.app.state.tokens.verify(token.strip())
        scopes = frozenset(claims["scope"].split())
        if scope not in scopes:
            raise ProblemError(403, "Forbidden", f"this call needs scope {scope!r}",
                               headers={"WWW-Authenticate": f'Bearer error="insufficient_scope" scope="{scope}"'})
        return Caller(claims["sub"], claims.get("agency", ""), scopes)

    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by the route-walking test
    return dependency
