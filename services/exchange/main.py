"""Exchange gateway process: `python -m services.exchange.main` (port 8080)."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr

from services.exchange.adapters.vault import IdentityCipher
from services.exchange.api import router
from services.exchange.auth import SigningKey, TokenService
from services.exchange.domain.clients import clients_from_json, demo_clients
from shared.geography import load_geography
from shared.service import ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class ExchangeSettings(ServiceSettings):
    service_name: str = "exchange"
    http_port: int = 8080
    gateway_signing_key: SecretStr | None = None  # SPS_GATEWAY_SIGNING_KEY (PEM, EC P-256)
    gateway_clients: str | None = None            # SPS_GATEWAY_CLIENTS (JSON, hashed secrets)
    identity_key: SecretStr | None = None         # SPS_IDENTITY_KEY (base64, 32 bytes)
    token_ttl_s: int = 900
    publish_timeout_s: float = 5.0


def create_app(settings: ExchangeSettings | None = None) -> FastAPI:
    settings = settings or ExchangeSettings()
    if settings.gateway_signing_key is not None:
        key = SigningKey.from_pem(settings.gateway_signing_key.get_secret_value())
    elif settings.demo_mode:
        key = SigningKey.generate()
    else:
        raise RuntimeError("SPS_GATEWAY_SIGNING_KEY is not set (only demo mode generates a key)")
    clients = demo_clients() if settings.demo_mode else {}
    if settings.gateway_clients:
        clients.update(clients_from_json(settings.gateway_clients))
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    app = build_app(runtime, router, title="SPS exchange gateway")
    app.state.tokens = TokenService(clients, key, ttl_s=settings.token_ttl_s)
    app.state.cipher = IdentityCipher.from_setting(
        settings.identity_key.get_secret_value() if settings.identity_key else None, demo=settings.demo_mode)
    app.state.person_key = settings.person_id_secret()
    app.state.geography = load_geography(settings.policy_dir)
    app.state.publish_timeout_s = settings.publish_timeout_s
    return app


def main() -> None:
    settings = ExchangeSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
