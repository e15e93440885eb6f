"""The audit chain: each entry's hash covers the previous entry's hash and its own content, so a
change to any stored entry breaks every hash after it, and verification says where."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


def entry_hash(previous: str, content: dict[str, Any]) -> str:
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(previous.encode() + b"|" + canonical).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(entries: Iterable[tuple[int, str, str, dict[str, Any]]]) -> Verification:
    """Entries as (seq, prev_hash, hash, content), in seq order."""
    previous = GENESIS
    checked = 0
    for seq, prev_hash, stored_hash, content in entries:
        if prev_hash != previous:
            return Verification(False, checked, seq, "its link to the previous entry does not match")
        if entry_hash(prev_hash, content) != stored_hash:
            return Verification(False, checked, seq, "its content does not match its hash")
        previous = stored_hash
        checked += 1
    return Verification(True, checked)
