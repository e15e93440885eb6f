"""Risk service process: `python -m services.risk.main`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.risk import handlers
from services.risk.adapters.store import RiskStore
from services.risk.api import router
from services.risk.assessments import schedule_monthly
from services.risk.context import RiskContext
from services.risk.deps import RiskParts
from services.risk.domain.instrument import load_instrument
from shared.authority import load_authority
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class RiskSettings(ServiceSettings):
    service_name: str = "risk"
    http_port: int = 8003
    risk_instrument_version: str = "2026.1"  # SPS_RISK_INSTRUMENT_VERSION: policy/risk/instrument-<v>.yaml


def create_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    ctx = RiskContext(load_instrument(settings.policy_dir, settings.risk_instrument_version), county=runtime.county)
    runtime.consume(ConsumerSpec(handlers=handlers.table(ctx)))

    async def first_monthly_cycle(rt: ServiceRuntime) -> None:
        async with rt.uow() as uow:
            await schedule_monthly(RiskStore(uow), rt.county)  # once per month key: replicas and restarts add nothing

    runtime.on_startup(first_monthly_cycle)
    runtime.timers(handlers.timer_table(ctx))
    return build_app(
        runtime,
        router,
        title="SPS risk",
        parts=RiskParts(runtime, ctx, settings.policy_dir, load_authority(settings.policy_dir)),
    )


def main() -> None:
    run_service(create_app, RiskSettings)


if __name__ == "__main__":
    main()
