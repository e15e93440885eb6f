"""Throttling of failed sign-ins and token requests, on a fixed clock; and the same work for an
unknown name as for a known one (no timing tells a name exists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.http import ProblemError
from shared.paths import POLICY_DIR
from shared.throttle import Throttle, address_key, load_security, name_key

POLICY = load_security(POLICY_DIR)
T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def fail(throttle: Throttle, *keys: str) -> int | None:
    """One wrong attempt: counted before the check, as the sign-in does."""
    wait = throttle.attempt(*keys)
    if wait is None:
        throttle.failed(*keys)
    return wait


def test_failures_lock_a_name_from_one_address_for_the_lockout_and_old_failures_expire():
    now = [T0]
    throttle = Throttle(POLICY.throttle, clock=lambda: now[0])
    limit = POLICY.throttle.per_name_and_address
    name = name_key("Wang.Duty", "10.0.0.7")
    for _ in range(limit.max_failures - 1):
        assert fail(throttle, name) is None
    now[0] += limit.window  # the earlier failures fall out of the window
    for _ in range(limit.max_failures):
        assert fail(throttle, name) is None
    assert throttle.attempt(name) == int(limit.lockout.total_seconds())
    assert throttle.attempt(name_key("wang.duty ", "10.0.0.7")) is not None  # the same name, however typed
    # N2: the same name from elsewhere is not locked: no one can lock another's account out.
    assert throttle.attempt(name_key("Wang.Duty", "10.0.0.8")) is None
    now[0] += limit.lockout
    assert throttle.attempt(name) is None


def test_each_further_lockout_lasts_longer_up_to_the_cap():
    now = [T0]
    throttle = Throttle(POLICY.throttle, clock=lambda: now[0])
    limit = POLICY.throttle.per_name_and_address
    name = name_key("li.officer", "10.0.0.9")
    waits = []
    for _ in range(10):
        for _ in range(limit.max_failures):
            assert fail(throttle, name) is None
        waits.append(throttle.attempt(name))
        assert waits[-1] is not None
        now[0] += timedelta(seconds=waits[-1])
    assert waits[0] == limit.lockout.total_seconds() and waits[1] == waits[0] * limit.growth
    assert limit.max_lockout is not None and waits[-1] == limit.max_lockout.total_seconds() > waits[0]
    throttle.succeeded(name, clear=(name,))  # the right password at last: the pair starts afresh
    for _ in range(limit.max_failures):
        assert fail(throttle, name) is None
    assert throttle.attempt(name) == limit.lockout.total_seconds()


def test_a_burst_of_concurrent_guesses_is_counted_before_any_is_checked():
    """N3: the attempt counts when it comes, not when its slow check ends."""
    throttle = Throttle(POLICY.throttle, clock=lambda: T0)
    limit = POLICY.throttle.per_name_and_address
    name = name_key("zhao.head", "10.0.0.10")
    started = [throttle.attempt(name) for _ in range(limit.max_failures * 4)]  # none checked yet
    assert started.count(None) == limit.max_failures
    throttle.succeeded(name)  # one of them was right after all: it is taken back


def test_an_address_has_its_own_larger_allowance_and_success_takes_the_attempt_back():
    throttle = Throttle(POLICY.throttle, clock=lambda: T0)
    address = address_key("10.0.0.7")
    for i in range(POLICY.throttle.per_address.max_failures):
        assert fail(throttle, name_key(f"guess-{i}", "10.0.0.7"), address) is None  # a different name each time
    assert throttle.attempt(name_key("anyone", "10.0.0.7"), address) is not None
    assert throttle.attempt(name_key("anyone", "10.0.0.8"), address_key("10.0.0.8")) is None
    other = address_key("10.0.0.11")
    for _ in range(POLICY.throttle.per_address.max_failures * 2):  # right answers never add up to a lockout
        assert throttle.attempt(other) is None
        throttle.succeeded(other)


def test_a_burst_from_one_address_tells_the_duty_desk_once():
    told: list[tuple[str, int]] = []
    now = [T0]
    throttle = Throttle(POLICY.throttle, clock=lambda: now[0], on_burst=lambda a, n: told.append((a, n)))
    burst = POLICY.throttle.burst
    for i in range(burst.failures * 2):
        fail(throttle, address_key("10.0.0.12"))
    assert told == [("10.0.0.12", burst.failures)]
    now[0] += burst.window
    for i in range(burst.failures - 1):
        fail(throttle, address_key("10.0.0.12"))
    assert len(told) == 1  # a new window, not yet a burst


async def test_an_unknown_name_costs_one_hash_like_a_known_one(monkeypatch):
    from services.command_centre import auth
    from services.command_centre.domain.staff import StaffUser

    hashed: list[Any] = []

    async def verify(secret: str, stored: str | None) -> bool:
        hashed.append(stored)
        return False

    class Accounts:
        async def get(self, username: str) -> StaffUser | None:
            return StaffUser("known", "duty_officer", "county", "scrypt$x$y") if username == "known" else None

    monkeypatch.setattr(auth, "verify_secret_async", verify)
    sessions = auth.Sessions(Accounts(), b"k", POLICY.sessions, Throttle(POLICY.throttle))  # type: ignore[arg-type]
    for name in ("known", "unknown"):
        with pytest.raises(ProblemError) as refused:
            await sessions.sign_in(name, "wrong", "10.0.0.9")
        assert refused.value.status == 401 and refused.value.detail == "wrong username or password"
    assert hashed == ["scrypt$x$y", None]  # one hash each: None is checked against the dummy


def test_session_tokens_are_short_lived_and_sessions_last_a_shift():
    assert POLICY.sessions.token_ttl <= timedelta(minutes=30) < POLICY.sessions.session_ttl


def test_the_monthly_report_never_starts_a_formula():
    import io

    from openpyxl import load_workbook

    from services.command_centre.api.views import render_report

    stats = {
        "month": "2026-12",
        "targets": {},
        "offices": [{"office": '=HYPERLINK("http://evil","点击")', "corrections": 1}, {"office": "@SUM(1+1)"}],
    }
    sheet = load_workbook(io.BytesIO(render_report(stats)))["统计报告"]
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names[:2] == ['\'=HYPERLINK("http://evil","点击")', "'@SUM(1+1)"]


def test_forwarded_for_is_believed_only_from_the_trusted_proxies():
    from pydantic import ValidationError

    from shared.service import server_options
    from shared.settings import ServiceSettings

    plain = server_options(ServiceSettings())
    assert plain["proxy_headers"] is False  # uvicorn alone would believe 127.0.0.1's X-Forwarded-For
    behind = server_options(ServiceSettings(trusted_proxies="10.42.0.0/16, 192.168.1.5"))
    assert behind["proxy_headers"] is True and behind["forwarded_allow_ips"] == ["10.42.0.0/16", "192.168.1.5"]
    with pytest.raises(ValidationError, match="'ingress' is not an IP address or network"):
        ServiceSettings(trusted_proxies="10.42.0.0/16,ingress")
