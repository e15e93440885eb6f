"""Each service's own signing key for its internal calls, when the devstack runs outside demo
mode and the environment names none: made once, kept in `<root>/secrets/service-keys.json`
(mode 0600), and handed to each service process alone (docs/security.md, M6)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.platform import SERVICES
from shared.service_tokens import load_private, private_pem, public_pem
from tools.devstack.private_files import kept_secrets


def local_service_keys(root: Path) -> dict[str, dict[str, str]]:
    """{service: {"SPS_SERVICE_SIGNING_KEY": …, "SPS_SERVICE_VERIFY_KEYS": …}}."""
    pems = kept_secrets(
        root / "secrets" / "service-keys.json", SERVICES, lambda: private_pem(Ed25519PrivateKey.generate())
    )
    trusted = json.dumps({"command_centre": public_pem(load_private(pems["command_centre"]).public_key())})
    return {s: {"SPS_SERVICE_SIGNING_KEY": pems[s], "SPS_SERVICE_VERIFY_KEYS": trusted} for s in SERVICES}
