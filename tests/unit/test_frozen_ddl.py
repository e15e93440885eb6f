"""Released DDL never changes: each frozen constant's text is pinned here. A change to the shared
tables is a new constant and a new migration (shared/db/frozen.py), never an edit of an old one."""

from __future__ import annotations

import hashlib

import pytest

from shared.db import frozen

PINNED = {
    "PLUMBING_V1": "ddd75bd17b8ec0d0beea182ae673f4f8809ff91ef20e1933df1e6f202d711c1a",
    "PLUMBING_V1_DROP": "09e885fae7ad1b23ab4e2a1746ab6206ab076ae07c2826af29bd542e1c223b3a",
    "TIMERS_V1": "0c84aebbfbea7d8d89fba8f9d6a1f2af031d5bfa4538557d45c9edffedd362ac",
    "TIMERS_V1_DROP": "62c43041360121e96b98aba12edf76dc631eed418572b7f5d79edffca3f389d1",
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_released_ddl_is_unchanged(name):
    text = "\n;\n".join(getattr(frozen, name))
    assert hashlib.sha256(text.encode()).hexdigest() == PINNED[name], f"{name} was edited after its release"


def test_every_frozen_constant_is_pinned():
    constants = {n for n in dir(frozen) if n.isupper() and isinstance(getattr(frozen, n), tuple)}
    assert constants == set(PINNED)
