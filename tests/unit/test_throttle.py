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


def test_failures_lock_a_name_for_the_lockout_and_old_failures_expire():
    now = [T0]
    throttle = Throttle(POLICY.throttle, clock=lambda: now[0])
    limit = POLICY.throttle.per_name
    name = name_key("Wang.Duty")
    for _ in range(limit.max_failures - 1):
        throttle.failed(name)
    assert throttle.blocked(name) is None
    now[0] += limit.window  # the earlier failures fall out of the window
    throttle.failed(name)
    assert throttle.blocked(name) is None
    for _ in range(limit.max_failures - 1):
        throttle.failed(name)
    assert throttle.blocked(name) == int(limit.lockout.total_seconds())
    assert throttle.blocked(name_key("wang.duty ")) is not None  # the same name, however typed
    now[0] += limit.lockout
    assert throttle.blocked(name) is None


def test_an_address_has_its_own_larger_allowance_and_success_clears_a_name():
    throttle = Throttle(POLICY.throttle, clock=lambda: T0)
    address = address_key("10.0.0.7")
    for i in range(POLICY.throttle.per_address.max_failures):
        throttle.failed(name_key(f"guess-{i}"), address)  # a different name each time
    assert throttle.blocked(name_key("anyone"), address) is not None
    assert throttle.blocked(name_key("anyone"), address_key("10.0.0.8")) is None
    throttle.failed(name_key("x"))
    throttle.succeeded(name_key("x"))
    assert throttle.blocked(name_key("x")) is None


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
