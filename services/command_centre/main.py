"""Command centre process: `python -m services.command_centre.main` (port 8000)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import SecretStr, field_validator

from services.command_centre.adapters.accounts import AccountStore
from services.command_centre.adapters.certificate_pdf import DEFAULT_FONTS
from services.command_centre.adapters.feed import AlertFeed
from services.command_centre.api import CONSOLE, router
from services.command_centre.auth import Sessions
from services.command_centre.deps import CommandCentreParts
from services.command_centre.domain.board import load_console_policy
from services.command_centre.domain.staff import demo_staff
from services.command_centre.handlers import HANDLERS
from services.command_centre.oidc import OidcConfig, OidcSignIn
from services.command_centre.statistics import keep_final_months
from shared.authority import load_authority
from shared.geography import load_geography
from shared.http import BoundedBody, EarlyAuth, SecurityHeaders
from shared.internal import InternalClient
from shared.security_signals import burst_reporter
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings, long_enough
from shared.throttle import Throttle, load_security

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class CommandCentreSettings(ServiceSettings):
    service_name: str = "command_centre"
    http_port: int = 8000
    staff_session_secret: SecretStr | None = None  # SPS_STAFF_SESSION_SECRET

    @field_validator("staff_session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        return long_enough("SPS_STAFF_SESSION_SECRET", value)

    feed_heartbeat_s: float = 15.0  # SPS_FEED_HEARTBEAT_S: a quiet live feed says so this often
    max_body_bytes: int = 1024 * 1024  # SPS_MAX_BODY_BYTES: staff steps are small
    feed_buffer: int = 10_000  # SPS_FEED_BUFFER: changes a slow subscriber may lag before it must resync
    # Sign-in through the bureau's own OpenID Connect provider (services/command_centre/oidc.py);
    # off unless the issuer is set.
    oidc_issuer: str | None = None  # SPS_OIDC_ISSUER
    oidc_client_id: str | None = None  # SPS_OIDC_CLIENT_ID
    oidc_client_secret: SecretStr | None = None  # SPS_OIDC_CLIENT_SECRET
    oidc_redirect_uri: str | None = None  # SPS_OIDC_REDIRECT_URI: <console>/api/v1/auth/oidc/callback
    oidc_username_claim: str = "preferred_username"  # SPS_OIDC_USERNAME_CLAIM
    # The certificate's fonts, "path#index in a collection", the first the main one (SPS_CERTIFICATE_FONTS, JSON).
    certificate_fonts: tuple[str, ...] = DEFAULT_FONTS


def oidc_of(settings: CommandCentreSettings, flow_secret: bytes) -> OidcSignIn | None:
    if settings.oidc_issuer is None:
        return None
    missing = [
        name
        for name, value in (
            ("SPS_OIDC_CLIENT_ID", settings.oidc_client_id),
            ("SPS_OIDC_CLIENT_SECRET", settings.oidc_client_secret),
            ("SPS_OIDC_REDIRECT_URI", settings.oidc_redirect_uri),
        )
        if value is None
    ]
    if missing:
        raise RuntimeError(f"SPS_OIDC_ISSUER is set, so {', '.join(missing)} must be too")
    assert settings.oidc_client_id and settings.oidc_client_secret and settings.oidc_redirect_uri
    config = OidcConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        redirect_uri=settings.oidc_redirect_uri,
        username_claim=settings.oidc_username_claim,
    )
    # The flow cookie is signed with a key of its own, derived from the session secret.
    return OidcSignIn(config, hashlib.sha256(b"sps-oidc-flow:" + flow_secret).hexdigest())


def create_app(settings: CommandCentreSettings | None = None) -> FastAPI:
    settings = settings or CommandCentreSettings()
    if settings.staff_session_secret is not None:
        secret = settings.staff_session_secret.get_secret_value().encode()
    elif settings.demo_mode:
        secret = hashlib.sha256(b"sps-demo-staff-session").digest()
    else:
        raise RuntimeError("SPS_STAFF_SESSION_SECRET is not set (only demo mode has a default)")
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    security = load_security(settings.policy_dir)
    accounts = AccountStore(runtime.engine)
    throttle = Throttle(security.throttle, on_burst=burst_reporter(runtime, "staff_sign_in"))
    sessions = Sessions(accounts, secret, security.sessions, throttle, passwords=security.passwords)
    if settings.demo_mode:

        async def seed_demo_accounts(rt: ServiceRuntime) -> None:
            for user in demo_staff().values():  # the contract's demo logins, demo mode only
                await accounts.add(user)

        runtime.on_startup(seed_demo_accounts)
    feed = AlertFeed(settings.service_database_url, buffer=settings.feed_buffer)
    runtime.consume(ConsumerSpec(handlers=HANDLERS))
    runtime.background(feed.run)
    tokens = runtime.service_tokens
    parts = CommandCentreParts(
        runtime,
        feed=feed,
        alerting=InternalClient(settings.alerting_url, tokens, "alerting"),
        supervision=InternalClient(settings.supervision_url, tokens, "supervision"),
        risk=InternalClient(settings.risk_url, tokens, "risk"),
        handover=InternalClient(settings.handover_url, tokens, "handover"),
        exchange=InternalClient(settings.exchange_url, tokens, "exchange"),
        geography=load_geography(settings.policy_dir),
        sessions=sessions,
        heartbeat_s=settings.feed_heartbeat_s,
        authority=load_authority(settings.policy_dir),
        console=load_console_policy(settings.policy_dir),
        oidc=oidc_of(settings, secret),
        certificate_fonts=settings.certificate_fonts,
    )
    runtime.background(lambda: keep_final_months(parts))  # a month's statistics kept once final
    app = build_app(runtime, router, title="SPS command centre", parts=parts)
    # The console's hashed assets (check_dir=False: the service runs, and says so at /, unbuilt).
    app.mount("/assets", StaticFiles(directory=CONSOLE / "assets", check_dir=False), name="assets")
    # Outermost first: security headers; no valid token, no body read; the body bounded (H2).
    app.add_middleware(BoundedBody, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        EarlyAuth, valid=sessions.token_looks_valid, protected=("/api/v1/",), open_paths=("/api/v1/auth/",)
    )
    app.add_middleware(SecurityHeaders)
    return app


def main() -> None:
    run_service(create_app, CommandCentreSettings)


if __name__ == "__main__":
    main()
