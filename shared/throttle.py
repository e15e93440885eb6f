"""Throttling of failed sign-ins and token requests (policy/security.yaml): per name and per
address, a window of failures and then a lockout answered 429 with Retry-After.

Counters are kept in the instance's memory: with several replicas behind a balancer a determined
guesser gets each replica's allowance (docs/security.md says so); the per-name lockout still stops
a guess a second after the allowance is spent on any one replica.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from shared.policy import load_policy


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_failures: int = Field(ge=1)
    window: timedelta
    lockout: timedelta


class ThrottlePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_name: Limit
    per_address: Limit


class SessionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token_ttl: timedelta
    session_ttl: timedelta


class ClockPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    future_tolerance: timedelta


class AuditPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint_every: timedelta


class SecurityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    throttle: ThrottlePolicy
    sessions: SessionPolicy
    clock: ClockPolicy
    audit: AuditPolicy


def load_security(policy_dir: Path) -> SecurityPolicy:
    return load_policy(policy_dir / "security.yaml", SecurityPolicy)


@dataclass
class _Counter:
    failures: deque[datetime] = field(default_factory=deque)
    locked_until: datetime | None = None


class Throttle:
    """`blocked(keys)` before the attempt (seconds to wait, or None); `failed(keys)` after a
    failure; `succeeded(key)` clears a name's count."""

    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.policy = policy
        self.clock = clock
        self._counters: dict[str, _Counter] = {}

    def _limit(self, key: str) -> Limit:
        return self.policy.per_address if key.startswith("address:") else self.policy.per_name

    def blocked(self, *keys: str) -> int | None:
        now = self.clock()
        waits = [
            (c.locked_until - now).total_seconds()
            for k in keys
            if (c := self._counters.get(k)) is not None and c.locked_until is not None and c.locked_until > now
        ]
        return math.ceil(max(waits)) if waits else None

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            limit = self._limit(key)
            counter = self._counters.setdefault(key, _Counter())
            counter.failures.append(now)
            while counter.failures and counter.failures[0] <= now - limit.window:
                counter.failures.popleft()
            if len(counter.failures) >= limit.max_failures:
                counter.locked_until = now + limit.lockout
                counter.failures.clear()
        if len(self._counters) > 100_000:  # a flood of made-up names cannot grow this without bound
            self._forget(now)

    def succeeded(self, key: str) -> None:
        self._counters.pop(key, None)

    def _forget(self, now: datetime) -> None:
        for key in [k for k, c in self._counters.items() if not c.failures and (c.locked_until or now) <= now]:
            del self._counters[key]


def too_far_ahead(recorded: list[datetime], now: datetime, tolerance: timedelta) -> int | None:
    """The index of the first time further ahead of `now` than `tolerance` (a device's clock
    may run a little fast; a record from the future would blind monitoring), or None."""
    return next((i for i, at in enumerate(recorded) if at > now + tolerance), None)


def name_key(name: str) -> str:
    return f"name:{name.strip().lower()}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"
