"""OAuth 2.0 client credentials → short-lived ES256 JWTs; bearer checks with scopes; rate limits.

Key rotation without downtime: tokens are signed with the current key; the key ring also holds
previous keys (`SPS_GATEWAY_PREVIOUS_KEYS`), whose tokens stay valid until they expire, and
`/.well-known/jwks.json` publishes every public key of the ring. In demo mode only, a key is
generated at start when none is given.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.exchange.domain.clients import Client
from shared.http import ProblemError
from shared.secrets import verify_secret_async
from shared.throttle import Throttle, address_key

ISSUER = "sps-exchange"
AUDIENCE = "sps-exchange"


@dataclass
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.from_key(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> SigningKey:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("gateway signing keys must be EC (P-256) private keys")
        return cls.from_key(key)

    @classmethod
    def from_key(cls, key: ec.EllipticCurvePrivateKey) -> SigningKey:
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(kid=hashlib.sha256(public).hexdigest()[:16], private=key)

    def pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def jwk(self) -> dict:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "ES256"}


@dataclass
class KeyRing:
    current: SigningKey
    previous: list[SigningKey] = field(default_factory=list)

    def by_kid(self, kid: str | None) -> SigningKey | None:
        return next((k for k in (self.current, *self.previous) if k.kid == kid), None)

    def jwks(self) -> dict:
        return {"keys": [k.jwk() for k in (self.current, *self.previous)]}


class RateLimiter:
    """A token bucket per client: `rate` requests a second, bursts up to `burst` (per replica)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client_id: str) -> float:
        """0 if allowed, else the seconds to wait."""
        now = time.monotonic()
        tokens, last = self._buckets.get(client_id, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[client_id] = (tokens - 1, now)
            return 0.0
        self._buckets[client_id] = (tokens, now)
        return (1 - tokens) / self.rate


class TokenService:
    def __init__(
        self, clients: dict[str, Client], keys: KeyRing, ttl_s: int = 900, throttle: Throttle | None = None
    ) -> None:
        self.clients = clients
        self.keys = keys
        self.ttl_s = ttl_s
        self.throttle = throttle

    async def issue(
        self, client_id: str, client_secret: str, requested: str | None, address: str | None = None
    ) -> dict:
        """A token for a client whose secret checks out (off the event loop; an unknown client costs
        the same time); failures are throttled per address (429, Retry-After)."""
        # Contract §7.2: per address only. A client id is no secret: counting failures per id
        # would let anyone keep an agency (the device vendor: the county's eyes) from its tokens.
        place = address_key(address)
        if self.throttle is not None and (wait := self.throttle.attempt(place)) is not None:
            raise ProblemError(
                429, "Too Many Requests", "too many failed token requests", headers={"Retry-After": str(wait)}
            )
        client = self.clients.get(client_id)
        if not await verify_secret_async(client_secret, client.secret_hash if client else None) or client is None:
            if self.throttle is not None:
                self.throttle.failed(place)
            raise ProblemError(
                401,
                "Unauthorized",
                "unknown client or wrong secret",
                headers={"WWW-Authenticate": 'Basic realm="sps"'},
                errors=[{"field": "client_secret", "message": "invalid_client"}],
            )
        if self.throttle is not None:
            self.throttle.succeeded(place)
        scopes = set(requested.split()) if requested else set(client.scopes)
        if not scopes <= client.scopes:
            bad = ", ".join(sorted(scopes - client.scopes))
            raise ProblemError(
                400,
                "Bad Request",
                f"scope not allowed for this client: {bad}",
                errors=[{"field": "scope", "message": "invalid_scope"}],
            )
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client.client_id,
            "agency": client.agency,
            "org": client.organisation,
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + self.ttl_s,
            "jti": uuid.uuid4().hex,
        }
        key = self.keys.current
        token = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_s, "scope": claims["scope"]}

    def verify(self, token: str) -> dict:
        try:
            key = self.keys.by_kid(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise jwt.InvalidTokenError("unknown signing key")
            return jwt.decode(
                token,
                key.private.public_key(),
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "scope"]},
            )
        except jwt.PyJWTError as exc:
            raise ProblemError(
                401,
                "Unauthorized",
                f"invalid token: {exc}",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
