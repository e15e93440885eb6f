"""Risk service process: `python -m services.risk.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.risk.api import router
from services.risk.domain.instrument import load_instrument
from services.risk.handlers import RiskHandlers, schedule_monthly
from shared import topics
from shared.internal import internal_token
from shared.service import ConsumerSpec, ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings
from shared.timers import TimerLoop

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class RiskSettings(ServiceSettings):
    service_name: str = "risk"
    http_port: int = 8003
    risk_instrument_version: str = "2026.1"  # SPS_RISK_INSTRUMENT_VERSION: policy/risk/instrument-<v>.yaml


def create_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    instrument = load_instrument(settings.policy_dir, settings.risk_instrument_version)
    handlers = RiskHandlers(instrument)
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(topics=[topics.COURT_ORDERS, topics.RELEASE_NOTICES, topics.SUPERVISION_EVENTS,
                                         topics.HANDOVER_EVENTS],
                                 handlers=handlers.table()))
    async def first_monthly_cycle(rt: ServiceRuntime) -> None:
        async with rt.uow() as uow:
            await schedule_monthly(uow)  # once per month key: replicas and restarts add nothing

    runtime.on_startup(first_monthly_cycle)
    runtime.background(TimerLoop(runtime.engine, runtime.notify_channel, handlers.timer_handlers()).run)
    app = build_app(runtime, router, title="SPS risk")
    app.state.handlers = handlers
    app.state.policy_dir = settings.policy_dir
    app.state.internal_token = internal_token(settings)
    return app


def main() -> None:
    settings = RiskSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
