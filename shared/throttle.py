"""Throttling of failed sign-ins and token requests (policy/security.yaml, contract §7.2): a
window of failures and then a lockout answered 429 with Retry-After, growing with each lockout.
Staff are throttled per name and address together and per address; agency clients per address
only. The address is the client's as the trusted proxies say (`SPS_TRUSTED_PROXIES`).
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
    """`max_failures` within `window`, then the next attempt is refused for `lockout`; each
    further lockout of the same key (before it is forgotten) lasts `growth` times the one before,
    up to `max_lockout`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_failures: int = Field(ge=1)
    window: timedelta
    lockout: timedelta
    growth: float = Field(default=1.0, ge=1.0)
    max_lockout: timedelta | None = None

    def lockout_for(self, strikes: int) -> timedelta:
        grown = self.lockout * self.growth ** max(strikes - 1, 0)
        return min(grown, self.max_lockout) if self.max_lockout is not None else grown


class Burst(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    failures: int = Field(ge=1)
    window: timedelta


class ThrottlePolicy(BaseModel):
    """Contract §7.2: a staff sign-in is throttled per name and address together (so no one can
    lock another's account from elsewhere), an address per its failures whatever the name, and
    an agency client per address only (its id is no secret). `burst` failures from one address
    within its window tell the duty desk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_name_and_address: Limit
    per_address: Limit
    burst: Burst


class SessionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token_ttl: timedelta
    session_ttl: timedelta
    # An open live feed checks its session this often, busy or quiet (contract §7.4: it ends
    # within 5 seconds of a logout, a disabling or a password reset).
    feed_recheck: timedelta = timedelta(seconds=3)
    # A session its member of staff has not used for this long ends (L8, docs/security.md); a
    # role may be given another time (the duty board is watched more than it is clicked). A
    # token renewal counts as use only when the console saw a key or a pointer since the last.
    idle: timedelta = timedelta(minutes=30)
    idle_by_role: dict[str, timedelta] = Field(default_factory=dict)
    idle_touch: timedelta = timedelta(minutes=1)  # use is written down at most this often

    def idle_for(self, role: str) -> timedelta:
        return self.idle_by_role.get(role, self.idle)


class ClockPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # How far ahead of ours a clock may run before a time it gives is refused (shared/ahead.py).
    future_tolerance: timedelta = timedelta(minutes=5)


class AuditPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint_every: timedelta


class PasswordPolicy(BaseModel):
    """Staff passwords: at least `min_length` characters and zxcvbn's `min_strength` (0–4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_length: int = Field(12, ge=8)
    min_strength: int = Field(3, ge=0, le=4)


class AgencyPolicy(BaseModel):
    """Whose answers the gateway takes for what (L2, docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The county's police (the organisation of its gateway clients): search requests, key-person
    # handovers and exit controls go to them, and only their clients read and answer them.
    police: str = Field("江阴市公安局", min_length=1)


class SecurityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agencies: AgencyPolicy = AgencyPolicy()
    throttle: ThrottlePolicy
    sessions: SessionPolicy
    clock: ClockPolicy
    audit: AuditPolicy
    passwords: PasswordPolicy = PasswordPolicy()


def load_security(policy_dir: Path) -> SecurityPolicy:
    return load_policy(policy_dir / "security.yaml", SecurityPolicy)


@dataclass
class _Counter:
    failures: deque[datetime] = field(default_factory=deque)
    locked_until: datetime | None = None
    strikes: int = 0  # lockouts so far: the next lasts longer


class Throttle:
    """`attempt(keys)` before the secret is checked: counts the attempt as a failure at once (so a
    burst of concurrent guesses cannot outrun the limit while the slow check runs) and answers
    the seconds to wait if a key is locked (then nothing is counted and nothing is checked).
    `failed(keys)` after a wrong secret counts it towards a burst (the duty desk is told, once
    per burst); `succeeded(keys)` takes the attempt back, and clears `clear` keys altogether.

    Counters are kept in the instance's memory: with several replicas behind a balancer a guesser
    gets each replica's allowance (docs/security.md says so)."""

    def __init__(
        self,
        policy: ThrottlePolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_burst: Callable[[str, int], None] | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.on_burst = on_burst
        self._counters: dict[str, _Counter] = {}
        self._bursts: dict[str, deque[datetime]] = {}

    def _limit(self, key: str) -> Limit:
        return self.policy.per_address if key.startswith("address:") else self.policy.per_name_and_address

    def attempt(self, *keys: str) -> int | None:
        now = self.clock()
        waits = []
        for key in keys:
            limit, counter = self._limit(key), self._counters.get(key)
            if counter is None:
                continue
            while counter.failures and counter.failures[0] <= now - limit.window:
                counter.failures.popleft()
            if counter.locked_until is None or counter.locked_until <= now:
                if len(counter.failures) >= limit.max_failures:
                    counter.strikes += 1
                    counter.locked_until = now + limit.lockout_for(counter.strikes)
                    counter.failures.clear()
            if counter.locked_until is not None and counter.locked_until > now:
                waits.append((counter.locked_until - now).total_seconds())
        if waits:
            self._count_burst(keys, now)  # a refused attempt is one more of a burst
            return max(1, math.ceil(max(waits)))
        for key in keys:
            self._counters.setdefault(key, _Counter()).failures.append(now)
        if len(self._counters) > 100_000:  # a flood of made-up names cannot grow this without bound
            self._forget(now)
        return None

    def failed(self, *keys: str) -> None:
        """The attempt counted by `attempt(*keys)` failed (it is counted already): one more of a
        burst from its address."""
        self._count_burst(keys, self.clock())

    def succeeded(self, *keys: str, clear: tuple[str, ...] = ()) -> None:
        """The attempt counted by `attempt(*keys)` was right after all."""
        for key in keys:
            counter = self._counters.get(key)
            if counter is not None and counter.failures:
                counter.failures.pop()  # the newest: the same count whichever attempt it was
        for key in clear:
            self._counters.pop(key, None)

    def _count_burst(self, keys: tuple[str, ...], now: datetime) -> None:
        limit = self.policy.burst
        for key in keys:
            if not key.startswith("address:"):
                continue
            seen = self._bursts.setdefault(key, deque())
            seen.append(now)
            while seen and seen[0] <= now - limit.window:
                seen.popleft()
            if len(seen) == limit.failures and self.on_burst is not None:
                self.on_burst(key.removeprefix("address:"), len(seen))

    def _forget(self, now: datetime) -> None:
        # A lockout's strikes are remembered for the longest lockout after it ends: the next
        # lockout within that time is longer.
        memory = max(
            limit.max_lockout or limit.lockout for limit in (self.policy.per_address, self.policy.per_name_and_address)
        )
        for key in [
            k
            for k, c in self._counters.items()
            if not c.failures and (c.locked_until is None or c.locked_until <= now - memory)
        ]:
            del self._counters[key]
        for key in [k for k, seen in self._bursts.items() if not seen or seen[-1] <= now - self.policy.burst.window]:
            del self._bursts[key]


def name_key(name: str, address: str | None) -> str:
    """A staff name from one address: failures there do not lock the name elsewhere."""
    return f"name:{name.strip().lower()}@{address or 'unknown'}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"
