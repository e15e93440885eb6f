"""Fakes for command and handler tests: a unit of work that records what was published, and an
in-memory store per service. Each fake store is held to its real store's methods."""

from __future__ import annotations

import inspect
from typing import Any


def missing_methods(real: type, fake: Any) -> list[str]:
    """The real store's public coroutine methods that the fake (an instance) lacks or shadows."""
    names = [n for n, _ in inspect.getmembers(real, inspect.iscoroutinefunction) if not n.startswith("_")]
    return [n for n in names if not inspect.iscoroutinefunction(getattr(fake, n, None))]
