"""The test session's own platform, brought up and down through the CLI that `make up` and
`make down` call (`python -m tools.devstack`), moved to its own directory and ports so it never
touches a developer's `make up` (Kafka 19092, PostgreSQL 25432, services +10000).

Its Kafka and PostgreSQL start in a background thread as soon as pytest has collected a test
that needs them, while the unit and static tests run (tests/conftest.py); the first test that
needs them waits for that start and re-raises its error, if any."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from shared.paths import LOCAL_DIR, POLICY_DIR, REPO_ROOT
from tools.devstack.stack import INTERNAL_PORT_SHIFT, SERVICES, Stack

# `make test` runs three lanes of tests at once, each on a stack of its own (tools/testrun.py,
# tests/conftest.py): the faults lane's sits 30 ports above the platform lane's, the infra lane's
# 50, each in a directory of its own.
LANE = os.environ.get("SPS_TEST_LANE", "")
SHIFT = {"faults": 30, "infra": 50}.get(LANE, 0)
_BASE = Path(os.environ.get("SPS_TEST_DIR", LOCAL_DIR / "test"))
TEST_ROOT = _BASE.with_name(f"{_BASE.name}-{LANE}") if SHIFT else _BASE
KAFKA_PORT = 19092 + SHIFT
PG_PORT = 25432 + SHIFT  # below the ephemeral port range (32768+), where client sockets could hold it
PORT_OFFSET = 10000 + SHIFT
TRACES = TEST_ROOT / "traces"
POLICY = TEST_ROOT / "policy"
FINAL_AFTER_DAYS = 400
STARTS = _BASE.with_name(f"{_BASE.name}-starts.lock")  # held by a lane while it starts a stack
CLI_LOG = TEST_ROOT.parent / f"{TEST_ROOT.name}-stack.log"  # beside TEST_ROOT: the start empties TEST_ROOT


def service_env() -> dict[str, str]:
    """What the services of the test platform get beside `make up`'s: their spans in a file each
    (tests/e2e/test_tracing.py reads them), and the repository's policy, except that failures
    from one address are not throttled: every test client shares 127.0.0.1, and the fuzz tests
    fail sign-ins on purpose (the throttle is tested in process, tests/integration); and a month's
    statistics stay provisional for FINAL_AFTER_DAYS, since the tests record into last month and
    read its figures whatever the day of the run (tests/e2e/test_statistics_final.py asks a month
    older than that)."""
    return {"SPS_DEMO_MODE": "true", "SPS_TRACE_FILE": str(TRACES / "{service}.jsonl"), "SPS_POLICY_DIR": str(POLICY)}


def cli_env() -> dict[str, str]:
    env = {
        **os.environ,
        **service_env(),
        "SPS_LOCAL_DIR": str(TEST_ROOT),
        "SPS_KAFKA_PORT": str(KAFKA_PORT),
        "SPS_PG_PORT": str(PG_PORT),
        "SPS_PORT_OFFSET": str(PORT_OFFSET),
        "SPS_DURABLE": "false",  # fsync off: the data is thrown away after the session
    }
    # The CLI's own stack decides Kafka's and PostgreSQL's addresses, unless the environment named
    # external ones before the session (then both the CLI and the tests use those).
    return env


def cli(*args: str, timeout_s: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m tools.devstack ARGS` as `make` runs it, on the test stack (or the one `env`
    names); its output is kept in CLI_LOG and returned."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tools.devstack", *args],
        cwd=REPO_ROOT,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    CLI_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(CLI_LOG, "a", encoding="utf-8") as log:
        took = time.monotonic() - started
        log.write(f"$ devstack {' '.join(args)} → {result.returncode} ({took:.1f}s)\n{result.stdout}{result.stderr}\n")
    return result


def must(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = cli(*args, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"devstack {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def describe() -> Stack:
    """The test stack as an object (addresses, pid files, one service's start and stop), for the
    tests; it starts nothing by being made."""
    return Stack(
        root=TEST_ROOT,
        kafka_port=KAFKA_PORT,
        pg_port=PG_PORT,
        port_offset=PORT_OFFSET,
        durable=False,
        extra_env=service_env(),
        say=lambda msg: print(f"[stack] {msg}"),
    )


def ports() -> list[int]:
    """Every port the test platform listens on: Kafka's client and controller, PostgreSQL's and
    each service's."""
    internal = [SERVICES[name] + PORT_OFFSET + shift for name, shift in INTERNAL_PORT_SHIFT.items()]
    return [KAFKA_PORT, KAFKA_PORT + 1, PG_PORT] + [p + PORT_OFFSET for p in SERVICES.values()] + internal


def _fresh_infrastructure(services: bool = False) -> None:
    """A clean stack: Kafka and PostgreSQL; with `services`, the six services too (for a lane
    whose first tests are not in-process services reading the shared topics)."""
    if TEST_ROOT.exists():
        cli("down")  # a previous run that died may have left processes behind
        shutil.rmtree(TEST_ROOT)
    CLI_LOG.unlink(missing_ok=True)
    shutil.copytree(POLICY_DIR, POLICY)
    security = yaml.safe_load((POLICY / "security.yaml").read_text(encoding="utf-8"))
    security["throttle"]["per_address"]["max_failures"] = 1_000_000
    (POLICY / "security.yaml").write_text(yaml.safe_dump(security), encoding="utf-8")
    console = yaml.safe_load((POLICY / "console.yaml").read_text(encoding="utf-8"))
    console["statistics"]["final_after_days"] = FINAL_AFTER_DAYS
    (POLICY / "console.yaml").write_text(yaml.safe_dump(console, allow_unicode=True), encoding="utf-8")
    TRACES.mkdir(parents=True, exist_ok=True)
    must("infra-up")
    if services:
        must("up")


# The replicated platform of tests/faults/test_cluster_platform.py (`make up CLUSTER=3`), on ports
# of its own: three brokers from 29292, PostgreSQL 25532 and its standby 25533, services +20000.
CLUSTER_SIZE = 3
CLUSTER_BASE = TEST_ROOT.with_name(f"{TEST_ROOT.name}-cluster")  # beside TEST_ROOT, which its start empties
CLUSTER_ROOT = CLUSTER_BASE / "cluster"  # where the CLI puts a cluster's data
CLUSTER_PORTS = {"SPS_KAFKA_PORT": "29292", "SPS_PG_PORT": "25532", "SPS_PORT_OFFSET": "20000"}


def cluster_env() -> dict[str, str]:
    env = {
        **os.environ,
        "SPS_LOCAL_DIR": str(CLUSTER_BASE),
        "SPS_DURABLE": "false",  # fsync off; commits still wait for the standby (synchronous_commit=on)
        **CLUSTER_PORTS,
    }
    for key in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
        env.pop(key, None)  # the cluster's own, never the session stack's
    return env


def describe_cluster() -> Stack:
    return Stack(
        root=CLUSTER_ROOT,
        kafka_port=int(CLUSTER_PORTS["SPS_KAFKA_PORT"]),
        pg_port=int(CLUSTER_PORTS["SPS_PG_PORT"]),
        port_offset=int(CLUSTER_PORTS["SPS_PORT_OFFSET"]),
        durable=False,
        extra_env={"SPS_DEMO_MODE": "true"},
        say=lambda msg: print(f"[cluster] {msg}"),
        brokers=CLUSTER_SIZE,
        standby=True,
        replicas={"supervision": 2, "alerting": 2},
    )


def _fresh_cluster() -> None:
    if CLUSTER_BASE.exists():
        cli("down", env=cluster_env())
        shutil.rmtree(CLUSTER_BASE)
    must("up", "--cluster", str(CLUSTER_SIZE), env=cluster_env())


class Background:
    """A start, begun once (after another, if named), awaited by whoever needs it first."""

    def __init__(self, start: Callable[..., None], after: Background | None = None) -> None:
        self._start, self._after = start, after
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.options: dict[str, bool] = {}
        self.seconds: float | None = None

    def begin(self, **options: bool) -> None:
        if self._thread is None:
            self.options = options
            self._thread = threading.Thread(target=self._run, name="test-stack", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        # One start at a time, across the lanes too: several JVMs starting at once starve each other.
        if self._after is not None:
            self._after.join()
        STARTS.parent.mkdir(parents=True, exist_ok=True)
        with open(STARTS, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            started = time.monotonic()
            try:
                self._start(**self.options)
            except BaseException as exc:  # handed to the waiting fixture, which raises it
                self._error = exc
            self.seconds = time.monotonic() - started

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def wait(self) -> None:
        self.begin()
        self.join()
        if self._error is not None:
            raise RuntimeError(f"the test stack did not start (see {CLI_LOG})") from self._error


infrastructure = Background(_fresh_infrastructure)
cluster = Background(_fresh_cluster, after=infrastructure)
