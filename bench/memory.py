"""`python -m bench.memory`: what supervision's case directory costs in memory.

With the platform up and the bench persons seeded (`make bench` leaves 100k), it imports what
the supervision process imports, loads the directory from supervision's database, loads it
again (as a partition reassignment does) and prints the process RSS after each step.
"""

from __future__ import annotations

import asyncio
import gc
import importlib

import psutil
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from tools.devstack.__main__ import _stack

console = Console()


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def main() -> None:
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
    try:
        cases = await directory.load(engine)
        gc.collect()
        console.print(f"after loading {cases:,} cases: {rss_mb()} MB")
        await directory.load(engine)
        gc.collect()
        console.print(f"after loading them again: {rss_mb()} MB")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
