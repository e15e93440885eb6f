"""Handover service process: `python -m services.handover.main`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.handover import handlers
from services.handover.api import router
from services.handover.context import HandoverContext
from services.handover.deps import HandoverParts
from services.handover.domain.policy import load_handover_policy
from shared.authority import load_authority
from shared.geography import load_geography
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class HandoverSettings(ServiceSettings):
    service_name: str = "handover"
    http_port: int = 8002


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or HandoverSettings()
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    ctx = HandoverContext(
        load_handover_policy(settings.policy_dir),
        set(load_geography(settings.policy_dir).offices),
        county=runtime.county,
    )
    runtime.consume(ConsumerSpec(handlers=handlers.table(ctx)))
    runtime.timers(handlers.timer_table(ctx))
    return build_app(
        runtime, router, title="SPS handover", parts=HandoverParts(runtime, ctx, load_authority(settings.policy_dir))
    )


def main() -> None:
    run_service(create_app, HandoverSettings)


if __name__ == "__main__":
    main()
