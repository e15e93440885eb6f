"""`make up` / `make down` as a user runs them (the devstack CLI the Makefile calls), on a copy of
the platform moved to its own directory and ports: up returns ready, down leaves no process and
no listening port, and a second up comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import psutil

from shared.paths import REPO_ROOT
from tests.conftest import TEST_ROOT
from tools.devstack import procs
from tools.devstack.stack import SERVICES

OFFSET = 20000
KAFKA, PG = 29192, 25532  # below the ephemeral range


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SPS_LOCAL_DIR": str(TEST_ROOT / "updown"),
        "SPS_KAFKA_PORT": str(KAFKA),
        "SPS_PG_PORT": str(PG),
        "SPS_PORT_OFFSET": str(OFFSET),
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tools.devstack", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ports() -> list[int]:
    return [KAFKA, KAFKA + 1, PG] + [p + OFFSET for p in SERVICES.values()]


def pids() -> list[int]:
    run = TEST_ROOT / "updown" / "run"
    return [p for f in run.glob("*.pid") if (p := procs.read_pid(f))] if run.exists() else []


def test_up_down_up():
    try:
        started = time.monotonic()
        first = cli("up")
        assert first.returncode == 0, first.stdout + first.stderr
        print(f"\nfirst up (storage formatted, databases migrated): {time.monotonic() - started:.1f}s")
        for name, port in SERVICES.items():
            assert httpx.get(f"http://127.0.0.1:{port + OFFSET}/readyz").status_code == 200, name
        running = pids()
        assert len(running) >= len(SERVICES) + 1

        again = cli("up")  # idempotent: starts nothing new
        assert again.returncode == 0 and sorted(pids()) == sorted(running)

        down = cli("down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert not [p for p in running if procs.alive(p)], "make down left processes behind"
        assert not [p for p in ports() if procs.port_open("127.0.0.1", p)], "make down left ports listening"
        assert not [
            c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port in ports()
        ]

        started = time.monotonic()
        second = cli("up")
        took = time.monotonic() - started
        assert second.returncode == 0, second.stdout + second.stderr
        print(f"second up after down: {took:.1f}s")
    finally:
        cli("down")
    assert not [p for p in ports() if procs.port_open("127.0.0.1", p)]
