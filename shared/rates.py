"""The one way a figure's share is given (docs/indicators.md): to three places, or None when there
is nothing to share, never a perfect 100 % of nobody."""

from __future__ import annotations


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
