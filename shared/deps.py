"""Typed FastAPI dependencies every service shares; each service's `deps.py` adds its own.

A service's wired parts (its policy, handlers, runtime, clients) are built once in its `main`
and reach a route only through `Annotated[..., Depends()]` aliases, so a route's signature says
what it uses (docs/architecture.md, "Dependencies").
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request

from shared.authority import Actor, AuthorityPolicy
from shared.errors import Forbidden
from shared.service_tokens import Caller

P = TypeVar("P")


def parts_of(app: FastAPI, kind: type[P]) -> P:
    """The wired parts `build_app` was given, checked to be of the service's own kind."""
    parts: Any = app.state.parts
    if not isinstance(parts, kind):
        raise TypeError(f"this app's parts are {type(parts).__name__}, not {kind.__name__}")
    return parts


def request_parts(request: Request, kind: type[P]) -> P:
    return parts_of(request.app, kind)


def internal_caller(request: Request) -> Caller:
    """The verified caller of an internal request (`shared.internal.require_internal` put it on
    the request); 403 on a route that was not behind that door."""
    who = getattr(request.state, "internal_caller", None)
    if not isinstance(who, Caller):
        raise Forbidden("this internal call has no verified caller")
    return who


def staff_actor(request: Request) -> Actor:
    """The member of staff an internal call acts for: the actor the command centre signed into the
    call's service token (docs/security.md, M6), never the body, under this service's authority
    policy (its parts' `authority`), so the owning service checks each action again with the same
    model; 403 when the call acts for no one."""
    who = internal_caller(request).actor
    if who is None:
        raise Forbidden("this action needs a member of staff, signed into the call by the command centre")
    authority = getattr(request.app.state.parts, "authority", None)
    if not isinstance(authority, AuthorityPolicy):
        raise TypeError("this service's parts carry no authority policy: it takes no staff steps")
    return Actor(who["actor"], who["role"], who["jurisdiction"], policy=authority)


# The aliases a route names in its signature (docs/architecture.md, "Dependencies").
InternalCaller = Annotated[Caller, Depends(internal_caller)]
StaffActor = Annotated[Actor, Depends(staff_actor)]
