"""`python -m bench.profile [--persons 100000] [--seconds 20]`: where supervision's time goes.

With the platform up (`make up`) and the persons seeded (`make bench` leaves them), it stops
supervision, puts a backlog of fixes in front of it, starts it again and records it with py-spy
while it drains: py-spy's collapsed stacks (bench/results/profile-supervision.txt, which
speedscope or flamegraph.pl draw) and a table of the hottest functions, own time and inclusive.
The numbers in docs/performance.md's profile sections come from this.
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bench import load, pipeline
from bench.observe import GroupWatch
from bench.raw import produce, producer
from shared import topics
from shared.paths import REPO_ROOT
from tools.devstack.__main__ import _stack
from tools.devstack.kafka_security import use_local_principal

console = Console(width=120)
RESULTS = REPO_ROOT / "bench" / "results"


async def backlog(persons: int, fixes: int) -> int:
    stack = _stack(demo=True)
    use_local_principal()  # the running broker, as the operators
    async with GroupWatch(stack.bootstrap, pipeline.SUPERVISION_GROUP, topics.LOCATIONS) as watch:
        await pipeline.drain(watch)
        stack.stop_service("supervision")
        p = producer(stack.bootstrap)
        await p.start()
        try:
            await produce(p, topics.LOCATIONS, load.inside_fixes(range(persons), fixes, seed=persons))
        finally:
            await p.stop()
        first = await watch.committed()
        stack.start_service("supervision")
        while await watch.committed() == first:  # start-up and the group join stay out of the profile
            await asyncio.sleep(0.05)
    return int(stack.pidfile("supervision").read_text())


def hottest(raw: Path, top: int) -> tuple[Table, Table]:
    """Own and inclusive sample shares per function, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].rstrip(")") for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    tables = []
    for title, counter in (("own time", own), ("inclusive", inclusive)):
        t = Table(title=f"supervision, {title} ({total:,} samples)")
        t.add_column("share", justify="right")
        t.add_column("function")
        for frame, n in counter.most_common(top):
            t.add_row(f"{n / total:.1%}", frame)
        tables.append(t)
    return tables[0], tables[1]


def main(
    persons: int = typer.Option(100_000, help="bench persons the fixes go to (seeded already)"),
    fixes: int = typer.Option(600_000, help="the backlog"),
    seconds: int = typer.Option(20, help="how long py-spy records"),
    top: int = typer.Option(25),
    native: bool = typer.Option(False, help="C and Rust frames too (the garbage collector, pydantic-core)"),
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    pid = asyncio.run(backlog(persons, fixes))
    raw = RESULTS / "profile-supervision.txt"
    console.print(f"recording supervision (pid {pid}) for {seconds} s…")
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-p",
            str(pid),
            "-r",
            "200",
            "-d",
            str(seconds),
            "-f",
            "raw",
            "-o",
            str(raw),
            *(["--native"] if native else ["--nonblocking"]),
        ],
        check=True,
    )
    console.print(f"recorded in {time.monotonic() - started:.0f} s → {raw}")
    for table in hottest(raw, top):
        console.print(table)


if __name__ == "__main__":
    typer.run(main)
