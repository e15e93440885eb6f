"""The identity vault: real identities encrypted at rest (AES-256-GCM), keyed by person id.

The key comes from `SPS_IDENTITY_KEY` (32 bytes, base64); only demo mode has a default.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class IdentityCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("SPS_IDENTITY_KEY must decode to 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_setting(cls, value: str | None, *, demo: bool) -> IdentityCipher:
        if value:
            return cls(base64.b64decode(value))
        if demo:
            return cls(hashlib.sha256(b"sps-demo-identity-key").digest())
        raise RuntimeError("SPS_IDENTITY_KEY is not set (only demo mode has a default key)")

    def seal(self, person_id: uuid.UUID, identity: dict) -> bytes:
        nonce = os.urandom(12)
        # The person id is bound as associated data: a row moved to another person fails to open.
        return nonce + self._aead.encrypt(nonce, orjson.dumps(identity), person_id.bytes)

    def open(self, person_id: uuid.UUID, sealed: bytes) -> dict:
        return orjson.loads(self._aead.decrypt(sealed[:12], sealed[12:], person_id.bytes))
