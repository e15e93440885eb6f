"""Staff sign-in through the bureau's OpenID Connect provider (#19): the authorisation code flow
with PKCE against a provider of the test's own, on the command centre's real database. The
provider says who signed in; the command centre's own account says what they may do."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from pydantic import SecretStr

from services.command_centre import accounts
from services.command_centre.main import create_app
from tests.fakes.oidc_provider import ISSUER, Provider
from tests.integration.test_staff_accounts import command, settings  # noqa: F401  (the fixture)

CONSOLE = "https://console.example"


@pytest.fixture
def oidc_settings(settings):  # noqa: F811
    settings.oidc_issuer = ISSUER
    settings.oidc_client_id = "sps-console"
    settings.oidc_client_secret = SecretStr("console-secret-at-the-provider")
    settings.oidc_redirect_uri = f"{CONSOLE}/api/v1/auth/oidc/callback"
    return settings


async def _sign_in(client: httpx.AsyncClient, provider: Provider, login_as: str) -> httpx.Response:
    """The browser's round trip: to the provider, signed in there as `login_as`, and back."""
    start = await client.get("/api/v1/auth/oidc/login")
    assert start.status_code == 302, start.text
    where = urlsplit(start.headers["location"])
    assert f"{where.scheme}://{where.netloc}" == ISSUER
    query = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=provider.app), base_url=ISSUER) as idp:
        back = await idp.get("/authorize", params={**query, "login_as": login_as})
    callback = urlsplit(back.headers["location"])
    return await client.get(f"{callback.path}?{callback.query}")


async def test_a_member_of_staff_signs_in_through_the_bureaus_provider(oidc_settings, monkeypatch):
    name = "zhao.oidc"
    await command(
        oidc_settings,
        monkeypatch,
        "add",
        name,
        "--role",
        "justice_officer",
        "--office",
        "澄江街道",
        "--password-stdin",
        password="a-long-enough-password",
    )
    provider = Provider("sps-console", "console-secret-at-the-provider")
    app = create_app(oidc_settings)
    parts = app.state.parts
    parts.oidc = parts.oidc.through(httpx.ASGITransport(app=provider.app))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as client:
            assert (await client.get("/api/v1/auth/methods")).json() == {"password": True, "oidc": True}
            done = await _sign_in(client, provider, name)
            assert done.status_code == 303 and done.headers["location"] == "/", done.text
            me = await client.get("/api/v1/me")  # the session cookie the callback set
            assert me.status_code == 200 and (me.json()["username"], me.json()["role"]) == (name, "justice_officer")
            assert me.json()["jurisdiction"] == "澄江街道"  # the office is ours, not the provider's
            await client.post("/api/v1/auth/logout")

            refused = await _sign_in(client, provider, "someone.else")  # the provider knows them; we do not
            assert refused.status_code == 401 and "no enabled staff account" in refused.json()["detail"]

            # L5: another account of the provider that takes this one's name gets no session.
            provider.tamper = {"sub": "idp-impostor"}
            impostor = await _sign_in(client, provider, name)
            assert impostor.status_code == 401 and "another account of the provider" in impostor.json()["detail"]

            provider.tamper = {"nonce": "replayed"}
            assert (await _sign_in(client, provider, name)).status_code == 401
            provider.tamper = {"aud": "another-client"}
            assert (await _sign_in(client, provider, name)).status_code == 401
            provider.tamper = {"_key": RSAKey.generate_key(2048, parameters={"kid": "idp-1"})}  # a forged signature
            forged = await _sign_in(client, provider, name)
            assert forged.status_code == 401 and "ID token" in forged.json()["detail"]

            # The answer must belong to this browser's attempt.
            start = await client.get("/api/v1/auth/oidc/login")
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            wrong = await client.get("/api/v1/auth/oidc/callback", params={"code": "x", "state": state + "x"})
            assert wrong.status_code == 401 and "state" in wrong.json()["detail"]
            client.cookies.clear()
            lost = await client.get("/api/v1/auth/oidc/callback", params={"code": "x", "state": state})
            assert lost.status_code == 401

            assert "disabled" in await command(oidc_settings, monkeypatch, "disable", name)
            assert (await _sign_in(client, provider, name)).status_code == 401


async def test_without_a_provider_the_oidc_routes_are_not_there(settings):  # noqa: F811
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as client:
            assert (await client.get("/api/v1/auth/methods")).json() == {"password": True, "oidc": False}
            assert (await client.get("/api/v1/auth/oidc/login")).status_code == 404
    assert accounts  # the operator command is how accounts are made, with or without a provider
