"""Handover service process: `python -m services.handover.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.handover.api import router
from services.handover.domain.policy import load_handover_policy
from services.handover.handlers import HandoverHandlers
from shared import topics
from shared.geography import load_geography
from shared.internal import internal_token
from shared.service import ConsumerSpec, ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings
from shared.timers import TimerLoop

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class HandoverSettings(ServiceSettings):
    service_name: str = "handover"
    http_port: int = 8002


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or HandoverSettings()
    handlers = HandoverHandlers(load_handover_policy(settings.policy_dir),
                                set(load_geography(settings.policy_dir).offices))
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(topics=[topics.RELEASE_NOTICES, topics.REHAB_NOTICES, topics.POLICE_ACKS], handlers=handlers.table()))
    runtime.background(TimerLoop(runtime.engine, runtime.notify_channel, handlers.timer_handlers()).run)
    app = build_app(runtime, router, title="SPS handover")
    app.state.handlers = handlers
    app.state.internal_token = internal_token(settings)
    return app


def main() -> None:
    settings = HandoverSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
