"""Each service's own signing key for its internal calls, when the environment names none (demo
mode too: keys derived from public names would let anyone sign): made once per install, kept in
`<root>/secrets/service-keys.json` (mode 0600), and handed to each service process alone with the
public keys of the services that call it (docs/security.md, M6 and N5)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.platform import SERVICES
from shared.service_tokens import CALLERS, load_private, private_pem, public_pem
from tools.devstack.private_files import kept_secrets


def local_service_keys(root: Path) -> dict[str, dict[str, str]]:
    """{service: {"SPS_SERVICE_SIGNING_KEY": …, "SPS_SERVICE_VERIFY_KEYS": …}}."""
    pems = kept_secrets(
        root / "secrets" / "service-keys.json", SERVICES, lambda: private_pem(Ed25519PrivateKey.generate())
    )
    public = {s: public_pem(load_private(pems[s]).public_key()) for s in SERVICES}
    return {
        s: {
            "SPS_SERVICE_SIGNING_KEY": pems[s],
            "SPS_SERVICE_VERIFY_KEYS": json.dumps({c: public[c] for c in sorted(CALLERS[s])}),
        }
        for s in SERVICES
    }
