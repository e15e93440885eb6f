"""Outside demo mode every service builds from secrets in the environment alone, and a missing
one stops the start with a message that names it (README, "A start outside demo mode")."""

from __future__ import annotations

import base64
import importlib
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.kafka.access import SERVICES, service_principal
from shared.secrets import hash_secret
from shared.service_tokens import private_pem, public_pem

KEYS = {s: Ed25519PrivateKey.generate() for s in SERVICES}


def environment(service: str) -> dict[str, str]:
    signing = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    clients = [{"client_id": "court-1", "agency": "court", "secret_hash": hash_secret("s" * 24)}]
    return {
        "SPS_DEMO_MODE": "false",
        "SPS_SERVICE_NAME": service,
        "KAFKA_SASL_USERNAME": service_principal(service),
        "KAFKA_SASL_PASSWORD": "from-the-environment",
        "SPS_SERVICE_SIGNING_KEY": private_pem(KEYS[service]),
        "SPS_SERVICE_VERIFY_KEYS": json.dumps({"command_centre": public_pem(KEYS["command_centre"].public_key())}),
        "SPS_PERSON_ID_KEY": "person-id-key-from-the-environment-32+",
        "SPS_IDENTITY_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SPS_AUDIT_KEY": "audit-key-from-the-environment-of-32+",
        "SPS_GATEWAY_SIGNING_KEY": signing.decode(),
        "SPS_GATEWAY_CLIENTS": json.dumps(clients),
        "SPS_STAFF_SESSION_SECRET": "staff-session-secret-from-the-environment",
    }


@pytest.fixture
def env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("SPS_", "KAFKA_")):
            monkeypatch.delenv(name)

    def apply(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return apply


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_starts_outside_demo_mode_from_the_environment(service, env):
    env(environment(service))
    app = importlib.import_module(f"services.{service}.main").create_app()
    runtime = app.state.parts.runtime
    assert runtime.kafka_auth.username == service_principal(service) and not runtime.settings.demo_mode
    assert runtime.service_tokens.service == service


@pytest.mark.parametrize(
    "missing", ["SPS_SERVICE_SIGNING_KEY", "SPS_SERVICE_VERIFY_KEYS", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"]
)
def test_a_missing_service_key_or_kafka_principal_stops_the_start_naming_it(missing, env):
    values = environment("supervision")
    del values[missing]
    env(values)
    with pytest.raises(Exception, match=missing):
        importlib.import_module("services.supervision.main").create_app()


@pytest.mark.parametrize(
    ("service", "setting"),
    [("exchange", "SPS_PERSON_ID_KEY"), ("exchange", "SPS_AUDIT_KEY"), ("command_centre", "SPS_STAFF_SESSION_SECRET")],
)
def test_a_short_secret_is_refused_at_start_naming_it(service, setting, env):
    env({**environment(service), setting: "too-short"})
    with pytest.raises(ValueError, match=f"{setting} must be at least 32 bytes"):
        importlib.import_module(f"services.{service}.main").create_app()


def test_only_the_gateway_holds_the_person_id_key():
    """N7: with it, any person id turns back into its 身份证号; no other service needs it."""
    import yaml

    from shared.paths import REPO_ROOT
    from shared.settings import ServiceSettings

    assert "person_id_key" not in ServiceSettings.model_fields
    holders = set()
    for path in (REPO_ROOT / "deploy" / "k8s" / "base").glob("sps-*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc["kind"] == "Deployment":
                [container] = doc["spec"]["template"]["spec"]["containers"]
                if any(var["name"] == "SPS_PERSON_ID_KEY" for var in container["env"]):
                    holders.add(doc["metadata"]["name"])
    assert holders == {"sps-exchange"}
