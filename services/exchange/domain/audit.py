"""The audit chain: each entry's hash covers the previous entry's hash and its own content, so a
change to any stored entry breaks every hash after it, and verification says where.

The hash is keyed (HMAC-SHA256 with `SPS_AUDIT_KEY`, a key the database does not hold), so
whoever can write the table cannot forge a consistent chain; the person an entry is indexed
under must be the person its content names. The entries written before the key existed were
re-chained with it when it came (migration 0004; docs/security.md, M2)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


def entry_hash(previous: str, content: dict[str, Any], key: bytes) -> str:
    message = previous.encode() + b"|" + orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(
    entries: Iterable[tuple[int, str, str, dict[str, Any], str | None]], key: bytes, start: str = GENESIS
) -> Verification:
    """Entries as (seq, prev_hash, hash, content, indexed person id), in seq order, from the entry
    after the one whose hash is `start`."""
    previous = start
    checked = 0
    for seq, prev_hash, stored_hash, content, person_id in entries:
        if prev_hash != previous:
            return Verification(False, checked, seq, "its link to the previous entry does not match")
        if entry_hash(prev_hash, content, key) != stored_hash:
            return Verification(False, checked, seq, "its content does not match its hash")
        if person_id != content.get("person_id"):
            return Verification(False, checked, seq, "it is filed under another person than its content names")
        previous = stored_hash
        checked += 1
    return Verification(True, checked)
