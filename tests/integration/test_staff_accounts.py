"""Staff accounts outside demo mode, on the real database: the operator command creates the first
account, sign-in works, a wrong password and an unknown name are answered alike and throttled
(429 with Retry-After), a token is short-lived and renewable, and logging out or disabling the
account ends the session at once (the token stops working wherever it was copied)."""

from __future__ import annotations

import io
import json
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.command_centre import accounts
from services.command_centre.main import CommandCentreSettings, create_app
from shared.service_tokens import private_pem, public_pem


@pytest.fixture
def settings(stack, monkeypatch) -> CommandCentreSettings:
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("SPS_SERVICE_SIGNING_KEY", private_pem(key))
    monkeypatch.setenv("SPS_SERVICE_VERIFY_KEYS", json.dumps({"command_centre": public_pem(key.public_key())}))
    monkeypatch.delenv("SPS_POLICY_DIR", raising=False)  # the repository's throttle, not the platform's
    return CommandCentreSettings(
        demo_mode=False,
        staff_session_secret="test-staff-session-secret-of-some-length",  # type: ignore[arg-type]
        kafka_bootstrap_servers=stack.bootstrap,
        database_url=stack.database_url,
        database_name=f"sps_test_cc_accounts_{uuid.uuid4().hex[:6]}",
    )


async def command(settings, monkeypatch, *argv: str, password: str | None = None) -> str:
    if password is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return await accounts.run(accounts.parser().parse_args(list(argv)), settings)


async def test_the_first_account_signs_in_and_its_session_can_be_ended(settings, monkeypatch):
    name, password = "wang.duty", "a-long-enough-password"
    with pytest.raises(accounts.Refused, match="12 characters"):
        await command(
            settings,
            monkeypatch,
            "add",
            name,
            "--role",
            "duty_officer",
            "--office",
            "county",
            "--password-stdin",
            password="short",
        )
    with pytest.raises(accounts.Refused, match="role must be"):
        await command(
            settings,
            monkeypatch,
            "add",
            name,
            "--role",
            "admin",
            "--office",
            "county",
            "--password-stdin",
            password=password,
        )
    added = await command(
        settings,
        monkeypatch,
        "add",
        name,
        "--role",
        "duty_officer",
        "--office",
        "county",
        "--password-stdin",
        password=password,
    )
    assert added == f"added {name} (duty_officer, county)"
    assert name in await command(settings, monkeypatch, "list")

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://cc") as client:
            assert (
                await client.post("/api/v1/auth/login", json={"username": "duty-demo", "password": "duty-demo-secret"})
            ).status_code == 401  # no demo accounts
            r = await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            assert r.status_code == 200, r.text
            token = r.json()["access_token"]
            assert r.json()["expires_in"] == 15 * 60 and r.headers["cache-control"] == "no-store"
            bearer = {"Authorization": f"Bearer {token}"}
            assert (await client.get("/api/v1/me", headers=bearer)).json()["role"] == "duty_officer"
            renewed = await client.post("/api/v1/auth/renew", headers=bearer)
            assert renewed.status_code == 200 and renewed.json()["access_token"]
            await client.post("/api/v1/auth/logout", headers=bearer)
            assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401  # the copy stops too
            assert (await client.post("/api/v1/auth/renew", headers=bearer)).status_code == 401

            again = (await client.post("/api/v1/auth/login", json={"username": name, "password": password})).json()
            second = {"Authorization": f"Bearer {again['access_token']}"}
            assert "disabled" in await command(settings, monkeypatch, "disable", name)
            assert (await client.get("/api/v1/me", headers=second)).status_code == 401
            assert (
                await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            ).status_code == 401
            await command(settings, monkeypatch, "enable", name)
            assert (
                await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            ).status_code == 200


async def test_wrong_passwords_and_unknown_names_are_answered_alike_and_throttled(settings, monkeypatch):
    name, password = "li.officer", "another-long-password"
    await command(
        settings,
        monkeypatch,
        "add",
        name,
        "--role",
        "justice_officer",
        "--office",
        "澄江街道",
        "--password-stdin",
        password=password,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://cc") as client:
            wrong = await client.post("/api/v1/auth/login", json={"username": name, "password": "not-it"})
            unknown = await client.post("/api/v1/auth/login", json={"username": "nobody.here", "password": "not-it"})
            assert wrong.status_code == unknown.status_code == 401
            assert wrong.json()["detail"] == unknown.json()["detail"]  # nothing tells a name exists
            for _ in range(4):  # five failures in all (policy/security.yaml per_name_and_address.max_failures)
                await client.post("/api/v1/auth/login", json={"username": name, "password": "not-it"})
            locked = await client.post("/api/v1/auth/login", json={"username": name, "password": "not-it"})
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
            # locked for this name even with the right password, until the lockout ends
            right = await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            assert right.status_code == 429


async def test_a_common_password_is_refused_and_staff_change_their_own(settings, monkeypatch):
    """L8: a leaked or guessable password is refused, by the operator command and by the change;
    a member of staff changes their own password with the current one, and every session ends."""
    name, password = "chen.officer", "blue-river-lantern-42"
    add = ["add", name, "--role", "justice_officer", "--office", "澄江街道", "--password-stdin"]
    with pytest.raises(accounts.Refused, match="too easy to guess"):
        await command(settings, monkeypatch, *add, password="password1234")
    await command(settings, monkeypatch, *add, password=password)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://cc") as client:
            r = await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
            url = "/api/v1/auth/password"
            wrong = await client.post(url, json={"current_password": "nope", "new_password": "x"}, headers=bearer)
            assert wrong.status_code == 403 and wrong.json()["errors"][0]["field"] == "current_password"
            weak = {"current_password": password, "new_password": "qwertyuiop12"}
            r = await client.post(url, json=weak, headers=bearer)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
            new = "quiet-orchard-compass-17"
            r = await client.post(url, json={"current_password": password, "new_password": new}, headers=bearer)
            assert r.status_code == 200, r.text
            assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401  # every session ended
            old = await client.post("/api/v1/auth/login", json={"username": name, "password": password})
            assert old.status_code == 401
            again = await client.post("/api/v1/auth/login", json={"username": name, "password": new})
            assert again.status_code == 200


async def test_a_session_unused_for_the_idle_time_ends_and_a_renewal_alone_does_not_keep_it(settings, monkeypatch):
    """L8 (docs/security.md): a session nobody uses for `sessions.idle` (30 min) ends, whatever the
    console's automatic renewals; a request, or a renewal after a key or pointer, is use. The
    duty officer's session idles out later (`idle_by_role`)."""
    from datetime import UTC, datetime, timedelta

    for name, role in (("zhao.officer", "justice_officer"), ("qian.duty", "duty_officer")):
        await command(
            settings,
            monkeypatch,
            "add",
            name,
            "--role",
            role,
            "--office",
            "county",
            "--password-stdin",
            password="a-long-enough-password",
        )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        sessions = app.state.parts.sessions
        start = datetime.now(UTC)
        at = {"now": start}
        sessions.clock = lambda: at["now"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://cc") as client:

            async def signed_in(name: str) -> dict[str, str]:
                r = await client.post(
                    "/api/v1/auth/login", json={"username": name, "password": "a-long-enough-password"}
                )
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            officer, duty = await signed_in("zhao.officer"), await signed_in("qian.duty")
            at["now"] = start + timedelta(minutes=20)
            assert (await client.get("/api/v1/me", headers=officer)).status_code == 200  # used at 20 min
            at["now"] = start + timedelta(minutes=45)
            assert (await client.post("/api/v1/auth/renew", headers=officer)).status_code == 200  # 25 min unused
            assert (await client.post("/api/v1/auth/renew?used=true", headers=officer)).status_code == 200  # used at 45
            at["now"] = start + timedelta(minutes=74)
            assert (await client.post("/api/v1/auth/renew", headers=officer)).status_code == 200  # not use
            at["now"] = start + timedelta(minutes=76)  # 31 minutes after the last use
            idle = await client.get("/api/v1/me", headers=officer)
            assert idle.status_code == 401 and "30 minutes" in idle.json()["detail"]
            at["now"] = start + timedelta(minutes=70)  # ended stays ended, even back inside the time
            assert (await client.get("/api/v1/me", headers=officer)).status_code == 401

            at["now"] = start + timedelta(minutes=76)  # the duty officer's board: four hours (policy)
            assert (await client.get("/api/v1/me", headers=duty)).status_code == 200
            at["now"] = start + timedelta(minutes=76 + 4 * 60 + 1)
            assert (await client.get("/api/v1/me", headers=duty)).status_code == 401
