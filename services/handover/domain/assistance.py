"""Social assistance (社会救助) for released persons, docs/domain.md §2: the office asks civil
affairs (an assistance request, on the handover), and civil affairs' decision comes back once.
救助帮扶率 counts the requests that got help."""

from __future__ import annotations

from typing import Any

# Outcomes that count as help given in 救助帮扶率: granted, or referred to a programme that helps.
HELPED = frozenset({"granted", "referred"})


def decided(entries: list[dict[str, Any]], request_id: str, decision: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The handover's assistance requests with `decision` on `request_id`: None when it has no such
    request; the same list when the request was decided already (the first decision stands)."""
    for i, entry in enumerate(entries):
        if entry.get("request_id") != request_id:
            continue
        if entry.get("outcome") is not None:
            return entries
        updated = {**entry, "status": decision["outcome"], "outcome": decision}
        return [*entries[:i], updated, *entries[i + 1 :]]
    return None


def helped(entries: list[dict[str, Any]]) -> tuple[int, int]:
    """(requests that got help, requests) among a handover's assistance requests."""
    outcomes = [(e.get("outcome") or {}).get("outcome") for e in entries]
    return sum(o in HELPED for o in outcomes), len(outcomes)
