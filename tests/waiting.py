"""Polling helpers for tests that wait on asynchronous effects (bounded, never a bare sleep)."""

from __future__ import annotations

import asyncio
import time


async def eventually(fn, timeout_s: float = 30.0, interval_s: float = 0.2):
    """Await `fn()` until it returns something truthy; return it, or fail after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await fn():
            return result
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s")


async def until(moment, interval_s: float = 0.1) -> None:
    """Until the wall clock passes `moment`, a deadline the system computed and the test read
    from it (a timer's due time, an alert's deadline): a rule's time passing across real
    processes, which no fake clock reaches. Never a guessed pause."""
    from datetime import UTC, datetime

    while datetime.now(UTC) <= moment:
        await asyncio.sleep(interval_s)
