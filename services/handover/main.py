"""Handover service process: `python -m services.handover.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.service import ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class HandoverSettings(ServiceSettings):
    service_name: str = "handover"
    http_port: int = 8002


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or HandoverSettings()
    return build_app(ServiceRuntime(settings, migrations=MIGRATIONS), title="SPS handover")


def main() -> None:
    settings = HandoverSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
