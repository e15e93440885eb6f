"""Secrets the devstack makes for itself (passwords, keys) live in JSON files only their owner may
read: `.local/` is git-ignored, and these files are mode 0600 as well."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path


def write_private_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)


def kept_secrets(path: Path, names: Iterable[str], make: Callable[[], str]) -> dict[str, str]:
    """The secrets kept at `path`, one per name: made once (by `make`) for a name that has none
    yet, and written back, so every later start gets the same ones."""
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in names if name not in kept]
    for name in missing:
        kept[name] = make()
    if missing:
        write_private_json(path, kept)
    return kept
