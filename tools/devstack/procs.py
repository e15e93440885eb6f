"""Small process helpers: pid files, liveness, graceful stop."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import psutil


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int | None) -> bool:
    """Running: not gone, and not a zombie with no thread left (`_ended`, the one rule)."""
    if pid is None:
        return False
    try:
        return not _ended(psutil.Process(pid))
    except psutil.Error:
        return False


def _ended(proc: psutil.Process) -> bool:
    """Gone, or a zombie with no thread left: it has exited and only waits for its parent to reap
    it. `make up`'s services and brokers outlive the command that started them, so their parent
    is the machine's init, which may take its time to reap; psutil.wait_procs would wait for that
    too (a whole timeout per process, then a useless SIGKILL). A process whose main thread shows
    as a zombie while its other threads still exit is not ended: those threads still hold its
    files, its listening socket among them."""
    try:
        if proc.status() != psutil.STATUS_ZOMBIE:
            return False
        tasks = Path(f"/proc/{proc.pid}/task")
        return not tasks.exists() or len(list(tasks.iterdir())) <= 1
    except (psutil.Error, OSError):
        return True


def wait_ended(procs: list[psutil.Process], timeout_s: float) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """(ended, still running) once all have ended or the timeout passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        still = [p for p in procs if not _ended(p)]
        if not still or time.monotonic() >= deadline:
            return [p for p in procs if p not in still], still
        time.sleep(0.05)


def stop_pid(pid: int, *, timeout_s: float = 20.0, sig: int = signal.SIGTERM) -> bool:
    """Signal the process (and its group, if it leads one); kill after the timeout. True if it ran."""
    if not alive(pid):
        return False
    try:
        proc = psutil.Process(pid)
        children = proc.children(recursive=True)
        proc.send_signal(sig)
    except psutil.Error:
        return False
    _, still = wait_ended([proc], timeout_s)
    for p in still + [c for c in children if not _ended(c)]:
        try:
            p.kill()
        except psutil.Error:
            pass
    wait_ended(still + children, 5)
    return True


def stop_many(pids: list[int], *, timeout_s: float = 20.0) -> list[int]:
    """SIGTERM them all at once, wait together, kill what is left; return those that ran."""
    targets = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            targets.append(proc)
            proc.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, still = wait_ended(targets, timeout_s)
    for proc in still:
        try:
            proc.kill()
        except psutil.Error:
            pass
    wait_ended(still, 5)
    return [p.pid for p in targets]


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_port_closed(host: str, port: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not port_open(host, port):
            return True
        time.sleep(0.1)
    return False


def write_pid(pidfile: Path, pid: int) -> None:
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text(f"{pid}\n")


def remove(pidfile: Path) -> None:
    try:
        pidfile.unlink()
    except FileNotFoundError:
        pass


__all__ = ["alive", "os", "port_open", "read_pid", "remove", "stop_pid", "wait_ended", "wait_port_closed", "write_pid"]
