"""Supervision service process: `python -m services.supervision.main`."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from fastapi import FastAPI

from services.supervision.adapters.cases import CaseDirectory
from services.supervision.api import router
from services.supervision.commands import SupervisionCommands
from services.supervision.deps import Supervision
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.handlers import SupervisionHandlers
from services.supervision.hours import month_of
from shared.authority import load_authority
from shared.geography import load_geography
from shared.logging import get_logger
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings
from shared.throttle import load_security

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
log = get_logger(__name__)


class SupervisionSettings(ServiceSettings):
    service_name: str = "supervision"
    http_port: int = 8001


def _freeze() -> None:
    """Move the case directory (one object graph per case, 100k+ of them) out of the cyclic
    garbage collector's reach: they live until the next reload, and every full collection would
    otherwise walk them all, a cost that grows with the number of persons."""
    gc.collect()
    gc.freeze()


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or SupervisionSettings()
    geography = load_geography(settings.policy_dir)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    policy = load_supervision_policy(settings.policy_dir)
    authority = load_authority(settings.policy_dir)
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    tolerance = load_security(settings.policy_dir).clock.future_tolerance
    handlers = SupervisionHandlers(directory, policy, county=runtime.county, future_tolerance=tolerance)

    async def load_cases(rt: ServiceRuntime) -> None:
        log.info("case directory loaded", cases=await directory.load(rt.engine))
        _freeze()

    async def reload_on_assignment(_partitions: object) -> None:
        # Another replica may have moved these persons' zone state on; read it again.
        await directory.load(runtime.engine)
        _freeze()

    runtime.on_startup(load_cases)

    async def judge_this_month(rt: ServiceRuntime) -> None:
        # The month's hours are judged at its end (and each judgement schedules the next).
        async with rt.uow() as uow:
            await handlers.schedule_month_end(uow, month_of(rt.county.day_of(datetime.now(UTC))))

    runtime.on_startup(judge_this_month)
    runtime.consume(
        ConsumerSpec(
            handlers=handlers.table(),
            on_assigned=reload_on_assignment,
            # A fix is judged against the committed zone state: the same fix again (or an older one)
            # changes nothing (domain/zones.on_fix), so fixes need no inbox row.
            idempotent_types=frozenset({"sps.ingest.location"}),
            # Range assignment keeps partition i of every topic on one consumer: a person's fixes and
            # leaves (both keyed by person id) meet in the same replica's case view.
            options={"partition_assignment_strategy": (RangePartitionAssignor,)},
        )
    )
    runtime.timers(handlers.timer_handlers())
    parts = Supervision(
        runtime,
        directory,
        policy,
        handlers,
        SupervisionCommands(
            handlers, policy, county=runtime.county, future_tolerance=tolerance, offices=frozenset(geography.offices)
        ),
        authority,
    )
    return build_app(runtime, router, title="SPS supervision", parts=parts)


def main() -> None:
    run_service(create_app, SupervisionSettings)


if __name__ == "__main__":
    main()
