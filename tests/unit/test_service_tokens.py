"""M6 (docs/security.md): a service's internal API trusts only a short-lived token made for it by a
service it trusts, and only the command centre may act for a member of staff."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.service_tokens import (
    LIFETIME_S,
    ServiceTokenError,
    ServiceTokens,
    demo_private_key,
    load_verify_keys,
    public_pem,
)

OFFICER = {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"}


def test_a_token_made_for_a_service_carries_the_caller_and_the_member_of_staff():
    token = ServiceTokens.demo("command_centre").sign("supervision", OFFICER)
    caller = ServiceTokens.demo("supervision").verify(token)
    assert caller.service == "command_centre" and caller.actor == OFFICER


def test_a_token_for_another_service_is_refused():
    token = ServiceTokens.demo("command_centre").sign("risk", OFFICER)
    with pytest.raises(ServiceTokenError, match="not made for supervision"):
        ServiceTokens.demo("supervision").verify(token)


def test_a_token_is_short_lived():
    now = time.time()
    token = ServiceTokens.demo("command_centre").sign("supervision", OFFICER, now=now)
    ServiceTokens.demo("supervision").verify(token, now=now + LIFETIME_S - 1)
    with pytest.raises(ServiceTokenError, match="expired"):
        ServiceTokens.demo("supervision").verify(token, now=now + LIFETIME_S + 60)


def test_only_the_command_centre_may_act_for_staff():
    exchange = ServiceTokens.demo("exchange")
    trusting = ServiceTokens(
        "supervision", demo_private_key("supervision"), {"exchange": demo_private_key("exchange").public_key()}
    )
    with pytest.raises(ServiceTokenError, match="may not act for a member of staff"):
        trusting.verify(exchange.sign("supervision", OFFICER))
    assert trusting.verify(exchange.sign("supervision")).actor is None


def test_a_service_trusts_only_the_services_that_call_it(monkeypatch):
    """N5: only the command centre calls internal APIs; no other service's key is trusted, even
    when the verify keys name every service."""
    with pytest.raises(ServiceTokenError, match="not a trusted service"):
        ServiceTokens.demo("supervision").verify(ServiceTokens.demo("exchange").sign("supervision"))
    with pytest.raises(ServiceTokenError, match="not a trusted service"):
        ServiceTokens.demo("command_centre").verify(ServiceTokens.demo("supervision").sign("command_centre"))
    import json

    from shared.platform import SERVICES
    from shared.service_tokens import private_pem, public_pem
    from shared.settings import ServiceSettings, service_tokens

    every = json.dumps({s: public_pem(demo_private_key(s).public_key()) for s in SERVICES})
    monkeypatch.setenv("SPS_SERVICE_VERIFY_KEYS", every)
    monkeypatch.setenv("SPS_SERVICE_SIGNING_KEY", private_pem(demo_private_key("risk")))
    risk = service_tokens(ServiceSettings(service_name="risk"))
    assert risk.verify(ServiceTokens.demo("command_centre").sign("risk")).service == "command_centre"
    with pytest.raises(ServiceTokenError, match="not a trusted service"):
        risk.verify(ServiceTokens.demo("alerting").sign("risk"))


def test_a_key_the_service_does_not_trust_is_refused():
    stranger = ServiceTokens("command_centre", Ed25519PrivateKey.generate(), {})
    with pytest.raises(ServiceTokenError, match="signature"):
        ServiceTokens.demo("supervision").verify(stranger.sign("supervision", OFFICER))
    forged = stranger.sign("supervision", OFFICER)
    trusted_only_cc = ServiceTokens(
        "supervision",
        Ed25519PrivateKey.generate(),
        load_verify_keys(json.dumps({"risk": public_pem(Ed25519PrivateKey.generate().public_key())})),
    )
    with pytest.raises(ServiceTokenError, match="not a trusted service"):
        trusted_only_cc.verify(forged)
    with pytest.raises(ServiceTokenError, match="malformed"):
        ServiceTokens.demo("supervision").verify("not-a-token")


def test_an_incomplete_actor_is_refused():
    token = ServiceTokens.demo("command_centre").sign("supervision", {"actor": "x"})
    with pytest.raises(ServiceTokenError, match="incomplete"):
        ServiceTokens.demo("supervision").verify(token)
