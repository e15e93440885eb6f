"""Service-to-service credentials (docs/security.md, M6): each service signs its own short-lived
tokens with its own Ed25519 key, and a service's internal API accepts a call only with a token
made for it (`aud`) by a service it trusts, in time.

A call made for a member of staff carries who they are inside the signed token (`act`): the
command centre authenticates the staff session, and the owning service takes the actor from
the verified token, never from the request body.

Keys: demo mode derives each service's key from its name (public, like every demo secret).
Outside it, `SPS_SERVICE_SIGNING_KEY` is this service's private key (PEM) and
`SPS_SERVICE_VERIFY_KEYS` the public keys of the services it trusts (`{"command_centre": PEM}`);
`python -m shared.service_tokens keys` makes a set.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.platform import SERVICES

ALGORITHM = "EdDSA"
# Long enough for one call and a slow answer; short enough that a token read off the wire is
# worth little. Clocks of services on one host or cluster agree far better than this.
LIFETIME_S = 60
LEEWAY_S = 5
# Who may act for a member of staff: the one service that authenticates staff sessions.
STAFF_ISSUERS = frozenset({"command_centre"})
# Whose tokens each service accepts: the services that call it, and no other (docs/security.md,
# N5). Only the command centre calls the others' internal APIs; no one calls the command centre's.
CALLERS: dict[str, frozenset[str]] = {
    service: frozenset() if service == "command_centre" else frozenset({"command_centre"}) for service in SERVICES
}


def callers_of(service: str) -> frozenset[str]:
    """The services whose tokens `service` accepts; a service of another name (a test's instance
    of one) is called by the command centre alone."""
    return CALLERS.get(service, STAFF_ISSUERS)


class ServiceTokenError(Exception):
    """A token that must not be trusted; the message says why (never the token itself)."""


@dataclass(frozen=True)
class Caller:
    """A verified caller: the service that signed, and the member of staff it acts for."""

    service: str
    actor: dict[str, str] | None


def demo_private_key(service: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"sps-demo-service-key:{service}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("SPS_SERVICE_SIGNING_KEY must be an Ed25519 private key (PEM)")
    return key


def load_verify_keys(raw: str) -> dict[str, Ed25519PublicKey]:
    try:
        pems = json.loads(raw)
    except ValueError:
        raise ValueError('SPS_SERVICE_VERIFY_KEYS must be JSON: {"<service>": "<public key PEM>"}') from None
    keys: dict[str, Ed25519PublicKey] = {}
    for service, pem in pems.items():
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"SPS_SERVICE_VERIFY_KEYS: the key of {service} is not an Ed25519 public key")
        keys[service] = key
    return keys


class ServiceTokens:
    """Signs this service's calls and verifies the calls made to it."""

    def __init__(self, service: str, private: Ed25519PrivateKey, trusted: dict[str, Ed25519PublicKey]) -> None:
        self.service = service
        self._private = private
        self._trusted = trusted

    @classmethod
    def demo(cls, service: str) -> ServiceTokens:
        """Keys derived from the names, for in-process tests; `make up` hands every service keys
        made at random for the install (tools/devstack/service_keys.py), demo mode too."""
        trusted = {s: demo_private_key(s).public_key() for s in callers_of(service)}
        return cls(service, demo_private_key(service), trusted)

    def sign(self, audience: str, actor: dict[str, str] | None = None, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.service,
            "aud": audience,
            "iat": issued,
            "exp": issued + LIFETIME_S,
            "jti": uuid.uuid4().hex,
        }
        if actor is not None:
            claims["act"] = actor
        return jwt.encode(claims, self._private, algorithm=ALGORITHM)

    def verify(self, token: str, *, now: float | None = None) -> Caller:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            raise ServiceTokenError("the service token is malformed") from None
        if not isinstance(issuer, str) or issuer not in self._trusted:
            raise ServiceTokenError("the service token's issuer is not a trusted service")
        key = self._trusted[issuer]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.service,
                issuer=issuer,
                # Time is checked below, against the clock given (tests pass their own).
                options={"require": ["exp", "iat", "aud", "iss"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidAudienceError:
            raise ServiceTokenError(f"the service token was not made for {self.service}") from None
        except jwt.InvalidTokenError:
            raise ServiceTokenError("the service token's signature or claims are not valid") from None
        at = now if now is not None else time.time()
        if not isinstance(claims["exp"], int) or claims["exp"] + LEEWAY_S < at:
            raise ServiceTokenError("the service token has expired")
        if not isinstance(claims["iat"], int) or claims["iat"] - LEEWAY_S > at:
            raise ServiceTokenError("the service token is dated in the future")
        actor = claims.get("act")
        if actor is not None:
            if issuer not in STAFF_ISSUERS:
                raise ServiceTokenError(f"{issuer} may not act for a member of staff")
            if not isinstance(actor, dict) or not {"actor", "role", "jurisdiction"} <= actor.keys():
                raise ServiceTokenError("the service token's actor is incomplete")
        return Caller(issuer, actor)


SIGNING_FILE, VERIFY_FILE = "signing.pem", "verify.json"  # in SPS_SERVICE_KEYS_DIR


def write_key_dirs(root: Path) -> list[str]:
    """One folder per service under `root` (docker-compose's volume): its own private key and the
    public keys of the services that call it, made at random once per install; a service's folder
    that has its files already is kept. Each service mounts only its own folder. The services
    whose keys were made are returned."""
    import os

    made = []
    keys: dict[str, Ed25519PrivateKey] = {}
    for service in SERVICES:
        pem = root / service / SIGNING_FILE
        if pem.exists():
            keys[service] = load_private(pem.read_text())
            continue
        keys[service] = Ed25519PrivateKey.generate()
        pem.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(private_pem(keys[service]))
        made.append(service)
    for service in SERVICES:  # the callers' public keys, again each time: a new caller key reaches them
        trusted = {c: public_pem(keys[c].public_key()) for c in sorted(callers_of(service))}
        (root / service / VERIFY_FILE).write_text(json.dumps(trusted))
    return made


def main() -> None:
    """`python -m shared.service_tokens keys`: a new key per service, as environment lines;
    `python -m shared.service_tokens keys-dir DIR`: kept in one folder per service (docker-compose)."""
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "keys-dir":
        made = write_key_dirs(Path(sys.argv[2]))
        print(f"service keys in {sys.argv[2]}: made for {', '.join(made) or 'none (all kept)'}")
        return
    if sys.argv[1:] != ["keys"]:
        print("usage: python -m shared.service_tokens keys | keys-dir DIR", file=sys.stderr)
        raise SystemExit(2)
    keys = {s: Ed25519PrivateKey.generate() for s in SERVICES}
    public = {s: public_pem(k.public_key()) for s, k in keys.items()}
    callers = json.dumps({s: public[s] for s in sorted(STAFF_ISSUERS)})
    print(f"# every service but command_centre (which no one calls): SPS_SERVICE_VERIFY_KEYS='{callers}'")
    for service, key in keys.items():
        print(f"# {service}: SPS_SERVICE_SIGNING_KEY=")
        print(private_pem(key))


if __name__ == "__main__":
    main()
