"""Typed FastAPI dependencies every service shares; each service's `deps.py` adds its own.

A service's wired parts (its policy, handlers, runtime, clients) are built once in its `main`
and reach a route only through `Annotated[..., Depends()]` aliases, so a route's signature says
what it uses (docs/architecture.md, "Dependencies").
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request

P = TypeVar("P")


def parts_of(app: FastAPI, kind: type[P]) -> P:
    """The wired parts `build_app` was given, checked to be of the service's own kind."""
    parts: Any = app.state.parts
    if not isinstance(parts, kind):
        raise TypeError(f"this app's parts are {type(parts).__name__}, not {kind.__name__}")
    return parts


def request_parts(request: Request, kind: type[P]) -> P:
    return parts_of(request.app, kind)
