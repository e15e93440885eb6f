"""M6 (docs/security.md): a service's internal API trusts only a short-lived token made for it by a
service it trusts, and only the command centre may act for a member of staff."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.service_tokens import LIFETIME_S, ServiceTokenError, ServiceTokens, load_verify_keys, public_pem

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
    token = ServiceTokens.demo("exchange").sign("supervision", OFFICER)
    with pytest.raises(ServiceTokenError, match="may not act for a member of staff"):
        ServiceTokens.demo("supervision").verify(token)
    assert ServiceTokens.demo("supervision").verify(ServiceTokens.demo("exchange").sign("supervision")).actor is None


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
