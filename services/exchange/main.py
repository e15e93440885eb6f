"""Exchange gateway process: `python -m services.exchange.main` (port 8080)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr, ValidationInfo, field_validator
from sqlalchemy.exc import SQLAlchemyError

from services.exchange.adapters import audit
from services.exchange.adapters.vault import IdentityCipher
from services.exchange.api import router
from services.exchange.auth import KeyRing, RateLimiter, SigningKey, TokenService
from services.exchange.commands import Ingest, Views
from services.exchange.deps import ExchangeParts
from services.exchange.domain.clients import clients_from_json, demo_clients
from services.exchange.handlers import HANDLERS
from shared.geography import load_geography
from shared.http import BoundedBody, EarlyAuth, ProblemError, SecurityHeaders
from shared.logging import get_logger
from shared.security_signals import burst_reporter
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings, long_enough
from shared.throttle import Throttle, load_security

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


log = get_logger(__name__)


DEMO_PERSON_ID_KEY = b"sps-demo-person-id-key"  # public, like every demo secret


class ExchangeSettings(ServiceSettings):
    service_name: str = "exchange"
    http_port: int = 8080
    gateway_signing_key: SecretStr | None = None  # SPS_GATEWAY_SIGNING_KEY (PEM, EC P-256): signs new tokens
    gateway_previous_keys: SecretStr | None = None  # SPS_GATEWAY_PREVIOUS_KEYS: older PEMs, still verified
    gateway_clients: str | None = None  # SPS_GATEWAY_CLIENTS (JSON, hashed secrets)
    identity_key: SecretStr | None = None  # SPS_IDENTITY_KEY (base64, 32 bytes)
    identity_key_version: int = 1  # SPS_IDENTITY_KEY_VERSION: the number of SPS_IDENTITY_KEY
    identity_previous_keys: SecretStr | None = None  # SPS_IDENTITY_PREVIOUS_KEYS: {"1": "base64", …}, read only
    token_ttl_s: int = 900
    publish_timeout_s: float = 5.0
    rate_per_client_per_s: float = 200.0
    rate_burst: int = 400
    max_body_bytes: int = 2 * 1024 * 1024
    audit_key: SecretStr | None = None  # SPS_AUDIT_KEY: keys the audit chain; never in the database
    # SPS_PERSON_ID_KEY: the HMAC key behind person ids. The gateway alone holds it (N7): with it,
    # any person id turns back into its 身份证号 by trying the county's numbers.
    person_id_key: SecretStr | None = None

    @field_validator("person_id_key", "audit_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return long_enough(f"SPS_{(info.field_name or '').upper()}", value)

    def person_id_secret(self) -> bytes:
        """The HMAC key behind person ids. Only demo mode has a default."""
        if self.person_id_key is not None:
            return self.person_id_key.get_secret_value().encode()
        if self.demo_mode:
            return DEMO_PERSON_ID_KEY
        raise RuntimeError("SPS_PERSON_ID_KEY is not set (only demo mode has a default key)")


def identity_cipher(settings: ExchangeSettings) -> IdentityCipher:
    return IdentityCipher.from_setting(
        settings.identity_key.get_secret_value() if settings.identity_key else None,
        demo=settings.demo_mode,
        version=settings.identity_key_version,
        previous=settings.identity_previous_keys.get_secret_value() if settings.identity_previous_keys else None,
    )


def audit_key(settings: ExchangeSettings) -> bytes:
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    if settings.demo_mode:
        return hashlib.sha256(b"sps-demo-audit-key").digest()
    raise RuntimeError("SPS_AUDIT_KEY is not set (only demo mode has a default)")


def key_ring(settings: ExchangeSettings) -> KeyRing:
    if settings.gateway_signing_key is None:
        if not settings.demo_mode:
            raise RuntimeError("SPS_GATEWAY_SIGNING_KEY is not set (only demo mode generates a key)")
        return KeyRing(SigningKey.generate())
    previous = []
    if settings.gateway_previous_keys is not None:
        blocks = settings.gateway_previous_keys.get_secret_value().split("-----END PRIVATE KEY-----")
        previous = [SigningKey.from_pem(b + "-----END PRIVATE KEY-----") for b in blocks if b.strip()]
    return KeyRing(SigningKey.from_pem(settings.gateway_signing_key.get_secret_value()), previous)


def create_app(settings: ExchangeSettings | None = None) -> FastAPI:
    settings = settings or ExchangeSettings()
    clients = demo_clients() if settings.demo_mode else {}
    if settings.gateway_clients:
        clients.update(clients_from_json(settings.gateway_clients))
    audit.use_key(audit_key(settings))
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(handlers=HANDLERS))
    cipher = identity_cipher(settings)
    security = load_security(settings.policy_dir)
    parts = ExchangeParts(
        runtime,
        tokens=TokenService(
            clients,
            key_ring(settings),
            ttl_s=settings.token_ttl_s,
            throttle=Throttle(security.throttle, on_burst=burst_reporter(runtime, "agency_token")),
        ),
        rate_limiter=RateLimiter(settings.rate_per_client_per_s, settings.rate_burst),
        cipher=cipher,
        person_key=settings.person_id_secret(),
        geography=load_geography(settings.policy_dir),
        ingest=Ingest(runtime, cipher, settings.publish_timeout_s),
        views=Views(runtime),
        future_tolerance=security.clock.future_tolerance,
        county_police=security.agencies.police,
    )
    every = security.audit.checkpoint_every.total_seconds()

    async def checkpoints() -> None:  # the audit chain's head, signed and sent out on a schedule
        while True:
            await asyncio.sleep(every)
            try:
                await parts.views.checkpoint(parts.tokens.keys, datetime.now(UTC))
            except (SQLAlchemyError, OSError) as exc:
                log.warning("audit checkpoint not made; next time", error=str(exc))

    runtime.background(checkpoints)
    app = build_app(runtime, router, title="SPS exchange gateway", parts=parts)
    # Outermost first: security headers on every answer; no credential, no body read; then the
    # body bounded before anything parses it (docs/security.md, H2).
    app.add_middleware(BoundedBody, max_bytes=settings.max_body_bytes)
    app.add_middleware(EarlyAuth, valid=_valid_token(parts.tokens), protected=("/v1/",))
    app.add_middleware(SecurityHeaders)
    return app


def _valid_token(tokens: TokenService) -> Callable[[str], bool]:
    def valid(token: str) -> bool:
        try:
            tokens.verify(token)
        except ProblemError:
            return False
        return True

    return valid


def main() -> None:
    run_service(create_app, ExchangeSettings)


if __name__ == "__main__":
    main()
