"""`make up` / `make down` as a user runs them, on the session's own platform (brought up through
the same CLI at the session's start, tests/session_stack.py): a second `up` starts nothing new;
`down` leaves no process and no listening port; a second `up` after it comes back ready, timed.
Collected last of all (tests/conftest.py), after the identity scan has read the stack's data."""

from __future__ import annotations

import time

import httpx
import psutil

from tests.session_stack import TEST_ROOT, cli, ports
from tools.devstack import procs
from tools.devstack.stack import SERVICES


def pids() -> list[int]:
    run = TEST_ROOT / "run"
    return [p for f in run.glob("*.pid") if (p := procs.read_pid(f))] if run.exists() else []


def listening(on: list[int]) -> list[int]:
    by_connect = {p for p in on if procs.port_open("127.0.0.1", p)}
    by_table = {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    return sorted(by_connect | (by_table & set(on)))


def timed(*args: str):
    started = time.monotonic()
    result = cli(*args)
    return result, time.monotonic() - started


def test_up_is_idempotent_down_leaves_nothing_and_up_comes_back(platform):
    running = pids()
    assert len(running) >= len(SERVICES) + 2, running  # six services, Kafka and PostgreSQL

    again, again_s = timed("up")  # idempotent: starts nothing new
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(pids()) == sorted(running)

    down, down_s = timed("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [p for p in running if procs.alive(p)], "make down left processes behind"
    assert not listening(ports()), "make down left ports listening"

    second, second_s = timed("up")
    assert second.returncode == 0, second.stdout + second.stderr
    for name in SERVICES:
        assert httpx.get(f"{platform.url(name)}/readyz").status_code == 200, name
    print(
        f"\nup again while up: {again_s:.1f}s; down after the whole suite: {down_s:.1f}s; "
        f"second up after down (storage kept, databases migrated already): {second_s:.1f}s"
    )
