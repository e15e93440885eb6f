"""Text no record can hold: PostgreSQL stores neither a NUL character in `text` nor the `\\u0000`
escape in `jsonb`, so a string carrying one is refused where it enters (docs/security.md), never
retried against the database until it is dead-lettered."""

from __future__ import annotations

from typing import Any

# JSON can carry NUL only as this escape (a raw NUL byte is not JSON), so a document without it
# needs no walk: the check costs one byte search on the common path.
NUL_ESCAPE = b"\\u0000"


def nul_path(obj: Any, path: str = "") -> str | None:
    """Where the first NUL character sits in a parsed JSON document (`person.name`, `fixes[3].device_id`,
    a key's own path), or None."""
    if isinstance(obj, str):
        return (path or "(body)") if "\x00" in obj else None
    if isinstance(obj, dict):
        for key, value in obj.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "\\u0000")
            if (found := nul_path(value, here)) is not None:
                return found
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if (found := nul_path(value, f"{path}[{i}]")) is not None:
                return found
    return None


def json_nul_path(raw: bytes, parsed: Any) -> str | None:
    """`nul_path` of a document parsed from `raw`, with the walk skipped when `raw` has no escape."""
    return nul_path(parsed) if NUL_ESCAPE in raw else None
