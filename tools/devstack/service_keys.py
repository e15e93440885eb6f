"""Each service's own signing key for its internal calls, when the devstack runs outside demo
mode and the environment names none: made once, kept in `<root>/secrets/service-keys.json`
(mode 0600), and handed to each service process alone (docs/security.md, M6)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.service_tokens import SERVICES, private_pem, public_pem
from tools.devstack.private_files import write_private_json


def local_service_keys(root: Path) -> dict[str, dict[str, str]]:
    """{service: {"SPS_SERVICE_SIGNING_KEY": …, "SPS_SERVICE_VERIFY_KEYS": …}}."""
    path = root / "secrets" / "service-keys.json"
    pems: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if set(pems) != set(SERVICES):
        pems = {s: pems.get(s) or private_pem(Ed25519PrivateKey.generate()) for s in SERVICES}
        write_private_json(path, pems)
    keys = {s: serialization.load_pem_private_key(pem.encode(), password=None) for s, pem in pems.items()}
    trusted = json.dumps({"command_centre": public_pem(keys["command_centre"].public_key())})  # type: ignore[arg-type]
    return {s: {"SPS_SERVICE_SIGNING_KEY": pems[s], "SPS_SERVICE_VERIFY_KEYS": trusted} for s in SERVICES}
