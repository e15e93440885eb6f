"""Ids derived from business keys, so every service computes the same id for the same thing."""

from __future__ import annotations

import uuid

_CASE_NS = uuid.UUID("0b8f5c1e-2a4d-4c67-8e1f-3d5a7b9c2e40")


def case_id_for(source_ref: str) -> uuid.UUID:
    """A case per source document, e.g. `court-order:江阴市人民法院:(2026)苏0281刑初123号`."""
    return uuid.uuid5(_CASE_NS, source_ref)


def court_order_ref(court: str, order_no: str) -> str:
    """A court's order, by the court and its own number (numbers are the court's, not global)."""
    return f"court-order:{court.strip()}:{order_no.strip()}"


_HANDOVER_NS = uuid.UUID("5b0e7f2a-9c1d-4e3b-8a6f-1d2c3b4a5e6f")


def handover_id_for(kind: str, source: str, notice_no: str) -> uuid.UUID:
    """One handover per notice: the same notice sent twice is merged into it."""
    return uuid.uuid5(_HANDOVER_NS, f"{kind}-notice:{source}:{notice_no.strip()}")
