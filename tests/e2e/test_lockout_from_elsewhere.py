"""N2 (docs/security.md, contract §7.2): no one can lock an agency or an officer out from
somewhere else. Black-box, on the running platform, from a second loopback address (Linux
answers all of 127/8): the guesser's failures lock only the guesser's address."""

from __future__ import annotations

import httpx

ELSEWHERE = "127.0.0.2"  # the guesser


def from_address(address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10, transport=httpx.AsyncHTTPTransport(local_address=address))


async def test_wrong_secrets_under_an_agencys_id_do_not_keep_it_from_its_token(platform):
    gw = platform.url("exchange")
    token = f"{gw}/oauth/token"
    form = {"grant_type": "client_credentials", "client_id": "device-demo"}
    async with from_address(ELSEWHERE) as guesser:
        codes = [
            (await guesser.post(token, data={**form, "client_secret": f"guess-{i}"})).status_code for i in range(8)
        ]
    assert set(codes) == {401}, codes  # past the old per-name allowance of five
    async with httpx.AsyncClient(timeout=10) as vendor:
        r = await vendor.post(token, data={**form, "client_secret": "device-demo-secret"})
    assert r.status_code == 200, r.text  # the county's eyes keep their token


async def test_a_guesser_locks_an_officer_out_only_where_the_guesses_come_from(platform):
    cc = platform.url("command_centre")
    login = f"{cc}/api/v1/auth/login"
    name, right = "head-demo", "head-demo-secret"
    async with from_address(ELSEWHERE) as guesser:
        codes = [
            (await guesser.post(login, json={"username": name, "password": f"guess-{i}"})).status_code for i in range(6)
        ]
        assert codes == [401] * 5 + [429], codes
        there = await guesser.post(login, json={"username": name, "password": right})
        assert there.status_code == 429 and int(there.headers["Retry-After"]) > 0  # locked there, even when right
    async with httpx.AsyncClient(timeout=10) as officer:
        here = await officer.post(login, json={"username": name, "password": right})
    assert here.status_code == 200, here.text


async def test_a_burst_of_failed_token_requests_tells_the_duty_desk(platform):
    from shared.security_signals import NO_PERSON
    from shared.throttle import load_security
    from tests.e2e.test_thin_slice import alerts_for
    from tests.session_stack import POLICY

    burst = load_security(POLICY).throttle.burst
    gw = platform.url("exchange")
    form = {"grant_type": "client_credentials", "client_id": "police-demo"}
    async with from_address("127.0.0.3") as guesser:
        for i in range(burst.failures):
            r = await guesser.post(f"{gw}/oauth/token", data={**form, "client_secret": f"guess-{i}"})
            assert r.status_code in (401, 429), r.text
    raised = await alerts_for(platform.bootstrap, str(NO_PERSON), rule="sign_in_burst")
    mine = [a["data"] for a in raised if a["data"]["rule_id"] == "sign_in_burst"]
    assert mine and "127.0.0.3" in mine[0]["evidence"][0], mine
    assert mine[0]["colour"] == "yellow" and mine[0]["jurisdiction"] == "county"
