"""Re-seal every identity under the current identity key (docs/security.md, "Rotating the
identity key"):

    SPS_IDENTITY_KEY=<new> SPS_IDENTITY_KEY_VERSION=2 SPS_IDENTITY_PREVIOUS_KEYS='{"1": "<old>"}' \\
        python -m services.exchange.rotate_identities

It uses the gateway's settings, works in batches (each its own transaction, so it can be stopped
and run again), prints its progress, and ends when nothing is sealed under an older key. Then the
old key can leave `SPS_IDENTITY_PREVIOUS_KEYS`.
"""

from __future__ import annotations

import asyncio
import sys

from services.exchange.adapters import store
from services.exchange.adapters.vault import IdentityCipher
from services.exchange.main import ExchangeSettings, identity_cipher
from shared.db.engine import make_engine

BATCH = 500


async def rotate(database_url: str, cipher: IdentityCipher, batch: int = BATCH, out=sys.stdout) -> int:
    """Re-seal under `cipher.current` whatever another key sealed; the number re-sealed."""
    engine = make_engine(database_url, pool_size=1)
    done = 0
    try:
        async with engine.connect() as conn:
            total = await store.count_sealed_under_older_keys(conn, cipher.current)
        print(f"{total} identities sealed under an older key; re-sealing under version {cipher.current}", file=out)
        while True:
            async with engine.begin() as conn:
                rows = await store.sealed_under_older_keys(conn, cipher.current, batch)
                for person_id, sealed, version in rows:
                    identity = cipher.open(person_id, sealed, version)
                    new_version, resealed = cipher.seal(person_id, identity)
                    await store.reseal(conn, person_id, resealed, new_version)
            if not rows:
                break
            done += len(rows)
            print(f"re-sealed {done} of {total}", file=out)
    finally:
        await engine.dispose()
    print(f"done: {done} re-sealed", file=out)
    return done


def main() -> int:
    settings = ExchangeSettings()
    asyncio.run(rotate(settings.service_database_url, identity_cipher(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
