"""Password and client-secret hashing (scrypt); a secret itself is never stored."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """`scrypt$<salt b64>$<hash b64>`."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = hash_secret(secret, base64.b64decode(salt_b64)).split("$")[2]
    return hmac.compare_digest(expected, digest_b64)


# Hashing is deliberately slow: it runs in worker threads, at most this many at once, so a flood of
# sign-ins neither blocks the event loop nor takes every core.
_HASHING = asyncio.Semaphore(2)
# An unknown name is checked against this, so it costs the same time as a known one.
_DUMMY = hash_secret("sps-no-such-account", b"sps-equal-time!!")


async def verify_secret_async(secret: str, stored: str | None) -> bool:
    """`verify_secret` off the event loop; an unknown account (`stored` None) takes the same time
    and fails."""
    async with _HASHING:
        ok = await asyncio.to_thread(verify_secret, secret, stored or _DUMMY)
    return ok and stored is not None


async def hash_secret_async(secret: str) -> str:
    async with _HASHING:
        return await asyncio.to_thread(hash_secret, secret)
