"""Risk service process: `python -m services.risk.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.service import ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class RiskSettings(ServiceSettings):
    service_name: str = "risk"
    http_port: int = 8003


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    return build_app(ServiceRuntime(settings, migrations=MIGRATIONS), title="SPS risk")


def main() -> None:
    settings = RiskSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
