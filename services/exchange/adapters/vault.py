"""The identity vault: real identities encrypted at rest (AES-256-GCM), keyed by person id.

The key comes from `SPS_IDENTITY_KEY` (32 bytes, base64), numbered by `SPS_IDENTITY_KEY_VERSION`;
only demo mode has a default. Each sealed identity keeps the version of the key that sealed it,
so a new key can take over: the older ones stay readable (`SPS_IDENTITY_PREVIOUS_KEYS`, JSON
{"version": "base64 key"}) until `python -m services.exchange.rotate_identities` has re-sealed
everything under the new one (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class UnknownKeyVersion(LookupError):
    pass


class IdentityCipher:
    def __init__(self, keys: dict[int, bytes], current: int) -> None:
        if current not in keys:
            raise ValueError(f"no identity key of version {current}")
        for version, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"identity key version {version} must decode to 32 bytes")
        self._aead = {version: AESGCM(key) for version, key in keys.items()}
        self.current = current

    @classmethod
    def from_setting(
        cls, value: str | None, *, demo: bool, version: int = 1, previous: str | None = None
    ) -> IdentityCipher:
        if value:
            keys = {version: base64.b64decode(value)}
        elif demo:
            keys = {version: hashlib.sha256(b"sps-demo-identity-key").digest()}
        else:
            raise RuntimeError("SPS_IDENTITY_KEY is not set (only demo mode has a default key)")
        for old, encoded in (orjson.loads(previous) if previous else {}).items():
            keys.setdefault(int(old), base64.b64decode(encoded))
        return cls(keys, version)

    def seal(self, person_id: uuid.UUID, identity: dict) -> tuple[int, bytes]:
        """(the key's version, nonce + ciphertext) under the current key."""
        nonce = os.urandom(12)
        # The person id is bound as associated data: a row moved to another person fails to open.
        return self.current, nonce + self._aead[self.current].encrypt(nonce, orjson.dumps(identity), person_id.bytes)

    def open(self, person_id: uuid.UUID, sealed: bytes, version: int) -> dict:
        aead = self._aead.get(version)
        if aead is None:
            raise UnknownKeyVersion(f"no identity key of version {version} is configured")
        return orjson.loads(aead.decrypt(sealed[:12], sealed[12:], person_id.bytes))
