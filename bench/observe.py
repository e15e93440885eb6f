"""Watching the platform while it works: consumer-group progress and lag, process CPU and RSS."""

from __future__ import annotations

import contextlib
import os
import platform as host
import subprocess
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka.connection import client_options
from shared.paths import REPO_ROOT
from tools.devstack.stack import Stack, instance_name


def machine() -> dict:
    """What a measurement ran on, and at which commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=REPO_ROOT
        ).stdout.strip()
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "speed_reference_us": speed_reference_us(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": host.python_version(),
        "platform": host.platform(),
        "commit": commit or None,
        "uncommitted_changes": dirty,
    }


def cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def speed_reference_us() -> float:
    """The best of five timings of `sum(range(1000))`, in µs: the machine's single-core speed,
    printed beside every run so that absolute figures from two machines are not compared blind
    (machines of the same kind have differed by 2-3x; docs/performance.md)."""
    timer = timeit.Timer("sum(range(1000))")
    loops, _ = timer.autorange()
    return round(min(timer.repeat(5, loops)) / loops * 1e6, 2)


class GroupWatch:
    """Committed offsets of a consumer group on one topic against the topic's end offsets."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        self.bootstrap, self.group, self.topic = bootstrap, group, topic
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
        self.probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **client_options())

    async def __aenter__(self) -> GroupWatch:
        await self.admin.start()
        await self.probe.start()
        described = await self.admin.describe_topics([self.topic])
        self.partitions = [
            TopicPartition(self.topic, p["partition"])
            for p in sorted(described[0]["partitions"], key=lambda p: p["partition"])
        ]
        if not self.partitions:
            raise RuntimeError(f"topic {self.topic} has no partitions")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.probe.stop()
        await self.admin.close()

    async def committed(self) -> int:
        offsets = await self.admin.list_consumer_group_offsets(self.group, partitions=self.partitions)
        return sum(max(0, meta.offset) for meta in offsets.values())

    async def end(self) -> int:
        return sum((await self.probe.end_offsets(self.partitions)).values())

    async def lag(self) -> int:
        return max(0, await self.end() - await self.committed())


@dataclass
class Processes:
    """The services' processes (from the dev stack's pid files), for CPU time and peak RSS."""

    stack: Stack
    procs: dict[str, psutil.Process] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from tools.devstack.stack import SERVICES

        for name in SERVICES:
            pid = int(self.stack.pidfile(name).read_text())
            self.procs[name] = psutil.Process(pid)

    def refresh(self, name: str, instance: int = 0) -> None:
        """After a restart: the new process."""
        self.procs[instance_name(name, instance)] = psutil.Process(int(self.stack.pidfile(name, instance).read_text()))

    def forget(self, name: str, instance: int) -> None:
        self.procs.pop(instance_name(name, instance), None)

    def cpu_seconds(self, name: str, instance: int = 0) -> float:
        times = self.procs[instance_name(name, instance)].cpu_times()
        return times.user + times.system

    def sample_rss(self) -> None:
        for name, proc in self.procs.items():
            mb = proc.memory_info().rss / 2**20
            self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), round(mb, 1))


async def group_state(bootstrap: str, group: str) -> tuple[str, int]:
    """A consumer group's state ("Stable", "PreparingRebalance", …) and its number of members."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        _, _, state, _, _, members = response.groups[0][:6]
        return state, len(members)
    finally:
        await admin.close()


async def wait_members(bootstrap: str, group: str, n: int, timeout_s: float = 60) -> float:
    """Wait until `group` is stable with `n` members; return the seconds it took."""
    import asyncio

    started = time.monotonic()
    while (got := await group_state(bootstrap, group)) != ("Stable", n):
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{group}: {got}, wanted {n} stable members")
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def counters(base_url: str, metric: str, label: str, suffix: str = "_total") -> dict[str, float]:
    """A counter's values by one label, from a service's /metrics (`suffix="_sum"`: a histogram's
    sums)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == f"{metric}{suffix}" and label in sample.labels:
                out[sample.labels[label]] = out.get(sample.labels[label], 0.0) + sample.value
    return out


def now() -> float:
    return time.perf_counter()
