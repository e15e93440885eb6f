"""Signals the public doors raise for the duty desk (contract §7.2): a burst of failed sign-ins
or token requests from one address becomes a `sign_in_burst` alert (policy/alerts.yaml)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from shared.events import SignInBurst
from shared.logging import get_logger
from shared.service import ServiceRuntime

log = get_logger(__name__)

NO_PERSON = uuid.UUID(int=0)  # a signal about the platform, not about a person
COUNTY = "county"  # the duty desk's office (policy/authority.yaml)


def burst_signal(
    door: Literal["staff_sign_in", "agency_token"], address: str, attempts: int, at: datetime
) -> SignInBurst:
    return SignInBurst(
        person_id=NO_PERSON,
        jurisdiction=COUNTY,
        # One alert per address and door and minute: a guesser who keeps on is one alert, with
        # its evidence added, until the minute turns.
        cause=f"sign-in-burst:{door}:{address}:{at.astimezone(UTC):%Y-%m-%dT%H:%M}",
        observed_at=at,
        evidence=[f"{attempts} failed attempts from {address} ({door})"],
        door=door,
        address=address[:64],
        attempts=attempts,
    )


def burst_reporter(
    runtime: ServiceRuntime, door: Literal["staff_sign_in", "agency_token"]
) -> Callable[[str, int], None]:
    """The throttle's `on_burst`: publishes the signal through the outbox, off the request's path
    (the sign-in answers at once; the signal follows)."""
    pending: set[asyncio.Task[None]] = set()

    async def publish(signal: SignInBurst) -> None:
        try:
            async with runtime.uow() as uow:
                uow.publish(signal, subject=str(NO_PERSON))
        except Exception as exc:  # the refusal stands; the alert is what is lost, and said so
            log.error("could not publish a sign-in burst", error=repr(exc), address=signal.address)

    def report(address: str, attempts: int) -> None:
        log.warning("sign-in burst", door=door, address=address, attempts=attempts)
        task = asyncio.get_running_loop().create_task(publish(burst_signal(door, address, attempts, datetime.now(UTC))))
        pending.add(task)
        task.add_done_callback(pending.discard)

    return report
