"""Supervision service process: `python -m services.supervision.main`."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from fastapi import FastAPI

from services.supervision import fixes, handlers, hours, programmes
from services.supervision.adapters.cases import CaseDirectory
from services.supervision.api import router
from services.supervision.context import SupervisionContext
from services.supervision.deps import Supervision
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.hours import month_of
from services.supervision.positions import SHARDED_KINDS, LivePositions
from shared.authority import load_authority
from shared.geography import load_geography
from shared.logging import get_logger
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings
from shared.throttle import load_security
from shared.timers import Shards

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
log = get_logger(__name__)


class SupervisionSettings(ServiceSettings):
    service_name: str = "supervision"
    http_port: int = 8001
    # The fault suite's only: each checkpoint holds its transaction open this long (positions.py).
    fault_checkpoint_stall_s: float = 0.0


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or SupervisionSettings()
    geography = load_geography(settings.policy_dir)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    policy = load_supervision_policy(settings.policy_dir)
    authority = load_authority(settings.policy_dir)
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    tolerance = load_security(settings.policy_dir).clock.future_tolerance
    spec = ConsumerSpec(handlers={})
    # The persons on the location partitions this replica owns: their cases and live positions,
    # restored on assignment and checkpointed with the offsets (positions.py).
    positions = LivePositions(
        directory,
        policy,
        runtime.engine,
        group_id=runtime.group_id(spec),
        notify_channel=runtime.notify_channel,
        stall_s=getattr(settings, "fault_checkpoint_stall_s", 0.0),
    )
    ctx = SupervisionContext(
        directory,
        policy,
        county=runtime.county,
        offices=frozenset(geography.offices),
        future_tolerance=tolerance,
        positions=positions,
    )

    async def judge_this_month(rt: ServiceRuntime) -> None:
        # The month's hours are judged at its end (and each judgement schedules the next).
        async with rt.uow() as uow:
            await hours.schedule_month_end(ctx, uow, month_of(rt.county.day_of(datetime.now(UTC))))
            # 一月一认定: this month's reminder to the offices (each schedules the next month's)
            await programmes.schedule_key_persons_reminder(ctx, uow, rt.county.month_of(datetime.now(UTC)))

    runtime.on_startup(judge_this_month)
    runtime.consume(
        ConsumerSpec(
            handlers=handlers.table(ctx),
            # A fix is judged against the zone state: the same fix again (or an older one) changes
            # nothing (domain/zones.on_fix), so fixes need no inbox row, and can be replayed.
            idempotent_types=frozenset({"sps.ingest.location"}),
            batch_handlers={"sps.ingest.location": partial(fixes.on_locations, ctx)},
            # Range assignment keeps partition i of every topic on one consumer: a person's orders,
            # fixes and leaves (all keyed by person id) meet in the same replica's case view.
            options={"partition_assignment_strategy": (RangePartitionAssignor,)},
            state=positions,
        )
    )
    # The watchdogs read the owner's last fix in memory: only the owner fires them.
    runtime.timers(handlers.timer_table(ctx), shards=Shards(SHARDED_KINDS, positions.live_shards))
    parts = Supervision(runtime, ctx, authority)
    return build_app(runtime, router, title="SPS supervision", parts=parts)


def main() -> None:
    run_service(create_app, SupervisionSettings)


if __name__ == "__main__":
    main()
