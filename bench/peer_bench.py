"""Supervision beside its peers: the same job (decode a fix, judge it against the county and the
exclusion zones, keep each person's state, emit only transitions) written in Quix Streams
(RocksDB state stores with changelog topics) and in faust-streaming (tables with changelog
topics), on the same records, in the same run, measured the same way as supervision: a backlog
is put in front of the job, and from its first offset commit the window counts the committed
offsets' growth and the process's CPU time, until the backlog is drained or the window is over.
The peers commit every second (their defaults: 5 s and 2.8 s), so a window that ends before
the backlog does undercounts by at most a second's work.

Each peer runs in a virtual environment of its own under `.local/bench-peers/<name>`, built from
its pinned `bench/peers/requirements-<name>.txt` the first time (and again when that file changes).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

from bench import load
from bench.observe import GroupWatch
from bench.raw import produce, producer
from shared.kafka.admin import ensure_topics
from shared.paths import REPO_ROOT
from tools.devstack.stack import Stack

console = Console()
PEERS = ("quix", "faust")
HOME = REPO_ROOT / ".local" / "bench-peers"


def venv(name: str) -> Path:
    """The peer's interpreter, its environment built from the pinned requirements when missing
    or out of date."""
    requirements = REPO_ROOT / "bench" / "peers" / f"requirements-{name}.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    root = HOME / name
    python, stamp = root / "bin" / "python", root / ".requirements-sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    console.print(f"  building the {name} environment from {requirements.relative_to(REPO_ROOT)} …")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
        check=True,
    )
    stamp.write_text(digest)
    return python


def start(python: Path, name: str, args: list[str], bootstrap: str, log: Any) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    return subprocess.Popen(
        [str(python), str(REPO_ROOT / "bench" / "peers" / f"{name}_job.py"), *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def run(stack: Stack, name: str, persons: int, seconds: float, rate_hint: int) -> dict:
    python = venv(name)
    run_id = uuid.uuid4().hex[:8]
    source, sink, group = (
        f"bench.peer.{name}.{run_id}",
        f"bench.peer.{name}.{run_id}.out",
        f"bench-peer-{name}-{run_id}",
    )
    from bench.__main__ import stack_partitions

    await ensure_topics(stack.bootstrap, [source, sink], partitions=stack_partitions())
    p = producer(stack.bootstrap)
    await p.start()
    try:  # the records supervision's window at this scale gets (the same generator and seed)
        await produce(p, source, load.inside_fixes(range(persons), int(rate_hint * (seconds + 5)), seed=persons))
    finally:
        await p.stop()
    state_dir = HOME / "state" / run_id
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (HOME / f"{name}.log").open("ab")
    job = start(python, name, [source, sink, group, str(state_dir)], stack.bootstrap, log)
    process = psutil.Process(job.pid)

    def cpu() -> float:
        times = process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    try:
        async with GroupWatch(stack.bootstrap, group, source) as watch:
            deadline = time.monotonic() + 300
            while await watch.committed() <= 0:  # from its first commit: start-up excluded
                if job.poll() is not None:
                    raise RuntimeError(f"the {name} job exited with {job.returncode}; see {HOME / f'{name}.log'}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {name} job committed nothing in 300 s; see {HOME / f'{name}.log'}")
                await asyncio.sleep(0.05)
            start_committed, start_cpu, t0 = await watch.committed(), cpu(), time.perf_counter()
            # Until the backlog is drained (a commit marks the end) or the window is over. Both jobs
            # commit every second, so a window's end is at most a second's work short.
            while time.perf_counter() - t0 < seconds and await watch.lag() > 0:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            done, spent = await watch.committed() - start_committed, cpu() - start_cpu
    finally:
        job.terminate()
        try:
            job.wait(timeout=30)
        except subprocess.TimeoutExpired:
            job.kill()
        log.close()
        shutil.rmtree(state_dir, ignore_errors=True)
    return {
        "peer": name,
        "persons": persons,
        "seconds": round(elapsed, 1),
        "fixes": done,
        "fixes_per_s": round(done / elapsed) if elapsed else 0,
        "cpu_us_per_fix": round(spent / done * 1e6, 1) if done else None,
        "cpu_share": round(spent / elapsed, 2) if elapsed else None,
    }


def main(peers: str = "quix,faust", persons: int = 10_000, seconds: float = 20, rate_hint: int = 40_000) -> None:
    """Run the peers alone against the running platform (`make up`, bench persons not needed)."""
    import typer  # noqa: F401  (the CLI below)

    from tools.devstack.__main__ import _stack
    from tools.devstack.kafka_security import use_local_principal

    stack = _stack(demo=True)
    use_local_principal()
    for name in peers.split(","):
        console.print(asyncio.run(run(stack, name, persons, seconds, rate_hint)))


if __name__ == "__main__":
    import typer

    typer.run(main)
