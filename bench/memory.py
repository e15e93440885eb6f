"""`python -m bench.memory [--persons N] [--replicas R]`: what supervision's case directory
costs in memory, for one replica of R.

With the platform up (`make up`), it imports what the supervision process imports, loads the
directory as one replica of R does (the cases on its share of the location partitions, under the
range assignment), loads it again (as a partition reassignment does) and prints the process RSS
after each step. With `--persons`, synthetic active cases (each with a live position) are added
to supervision's database first, until it holds that many (15 s for 900,000 here); `--remove`
takes them out again (a `make up` afterwards would load them).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import time

import psutil
import sqlalchemy as sa
import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.load import OFFICES
from shared.kafka.partitions import partition_of
from tools.devstack.__main__ import _stack

console = Console()
SYNTHETIC = "MEMBENCH-"
_ADD_CASES = sa.text(
    """insert into cases (case_id, person_id, kind, status, jurisdiction, source_ref, person_masked,
                          electronic_monitoring)
       select gen_random_uuid(), gen_random_uuid(), 'community_correction', 'under_supervision',
              (cast(:offices as text[]))[1 + i % cardinality(cast(:offices as text[]))], :prefix || i,
              '{}'::jsonb, true
       from generate_series(cast(:first as bigint), cast(:last as bigint)) as i"""
)
_ADD_POSITIONS = sa.text(
    """insert into zone_state (person_id, last_fix_at, last_outside, tampered, in_zones, lon, lat, accuracy_m)
       select person_id, now(), false, false, '{}', 120.28, 31.88, 10 from cases
       where source_ref like :prefix || '%' on conflict do nothing"""
)


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def ensure(engine: AsyncEngine, persons: int) -> int:
    """Add synthetic active cases until the database holds `persons` active ones."""
    async with engine.begin() as conn:
        have = await conn.scalar(
            sa.text("select count(*) from cases where status in ('awaiting_intake', 'under_supervision')")
        )
        if have >= persons:
            return int(have)
        held = await conn.scalar(sa.text("select count(*) from cases where source_ref like :p"), {"p": f"{SYNTHETIC}%"})
    started, step = time.monotonic(), 100_000
    for first in range(int(held), int(held) + persons - int(have), step):
        last = min(first + step, int(held) + persons - int(have)) - 1
        async with engine.begin() as conn:
            await conn.execute(_ADD_CASES, {"offices": OFFICES, "prefix": SYNTHETIC, "first": first, "last": last})
        console.print(f"  adding synthetic cases: {last - int(held) + 1:,} of {persons - int(have):,}", end="\r")
    async with engine.begin() as conn:
        await conn.execute(_ADD_POSITIONS, {"prefix": SYNTHETIC})
    console.print(f"\n  added in {time.monotonic() - started:.0f} s")
    return persons


async def remove() -> int:
    """Take the synthetic cases and their positions out again (`--remove`)."""
    from shared.settings import ServiceSettings

    settings = ServiceSettings(service_name="supervision", database_url=_stack(demo=True).database_url)
    engine = create_async_engine(settings.service_database_url)
    try:
        async with engine.begin() as conn:
            like = {"p": f"{SYNTHETIC}%"}
            await conn.execute(
                sa.text(
                    "delete from zone_state where person_id in (select person_id from cases where source_ref like :p)"
                ),
                like,
            )
            return (await conn.execute(sa.text("delete from cases where source_ref like :p"), like)).rowcount
    finally:
        await engine.dispose()


async def measure(persons: int | None, replicas: int, partitions: int) -> None:
    importlib.import_module("services.supervision.main")  # everything the service process imports
    from services.supervision.adapters.cases import CaseDirectory
    from services.supervision.domain.geo import county_area, projection_for
    from shared.geography import load_geography
    from shared.settings import ServiceSettings

    console.print(f"after the service's imports: {rss_mb()} MB")
    settings = ServiceSettings(service_name="supervision", database_url=_stack(demo=True).database_url)
    geography = load_geography(settings.policy_dir)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    engine = create_async_engine(settings.service_database_url)
    # The range assignor gives the first replica the first partitions: 12 over 3 → 0‥3.
    owned = set(range(-(-partitions // replicas)))
    try:
        if persons:
            total = await ensure(engine, persons)
            console.print(f"supervision's database holds {total:,} active cases")

        def keep(person: object) -> bool:
            return partition_of(person, partitions) in owned  # type: ignore[arg-type]

        cases = await directory.load(engine, keep=keep)
        gc.collect()
        console.print(f"after loading {cases:,} cases (partitions {sorted(owned)} of {partitions}): {rss_mb()} MB")
        await directory.load(engine, keep=keep)
        gc.collect()
        console.print(f"after loading them again: {rss_mb()} MB")
    finally:
        await engine.dispose()


def main(
    persons: int = typer.Option(0, help="add synthetic active cases until there are this many (0: as they are)"),
    replicas: int = typer.Option(1, help="the replicas sharing the location partitions"),
    partitions: int = typer.Option(12, help="the location topic's partitions"),
    remove_synthetic: bool = typer.Option(False, "--remove", help="take the synthetic cases out again, and stop"),
) -> None:
    if remove_synthetic:
        console.print(f"removed {asyncio.run(remove()):,} synthetic cases")
        return
    asyncio.run(measure(persons or None, replicas, partitions))


if __name__ == "__main__":
    typer.run(main)
