"""The command centre's wired parts and the typed dependencies its routes take
(docs/architecture.md): `Parts`; `User`, the member of staff logged in, as an `Actor`; `TeamUser`,
a 协矫通 account (a member of correction teams); `AnyUser`, either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.command_centre.adapters.certificate_pdf import DEFAULT_FONTS
from services.command_centre.adapters.feed import AlertFeed
from services.command_centre.auth import Sessions, actor_for
from services.command_centre.domain.board import ConsolePolicy
from services.command_centre.oidc import OidcSignIn
from shared.authority import Actor, AuthorityPolicy
from shared.deps import request_parts
from shared.errors import Forbidden
from shared.geography import Geography
from shared.internal import InternalClient
from shared.service import ServiceParts


@dataclass
class CommandCentreParts(ServiceParts):
    feed: AlertFeed
    alerting: InternalClient
    supervision: InternalClient
    risk: InternalClient
    handover: InternalClient
    exchange: InternalClient  # the identity vault, for the one printed document that names a person
    geography: Geography
    sessions: Sessions
    authority: AuthorityPolicy
    console: ConsolePolicy
    heartbeat_s: float = 15.0  # a quiet live feed says so this often (the board's freshness)
    oidc: OidcSignIn | None = None  # sign-in through the bureau's provider, when configured
    certificate_fonts: tuple[str, ...] = DEFAULT_FONTS  # "path#index", the first the main one


def parts_of(request: Request) -> CommandCentreParts:
    return request_parts(request, CommandCentreParts)


Parts = Annotated[CommandCentreParts, Depends(parts_of)]


async def signed_in(request: Request) -> Actor:
    parts = parts_of(request)
    return await actor_for(request, parts.sessions, parts.authority)


async def current_user(request: Request) -> Actor:
    """A member of staff. A 协矫通 account is refused here: it reaches only the team routes, so
    no staff screen (the board, the map, the caseload, a person's full file) is open to it."""
    actor = await signed_in(request)
    if actor.team_scoped:
        raise Forbidden("a 协矫通 account reaches only its own persons, under /api/v1/team/")
    return actor


async def team_member(request: Request) -> Actor:
    """A 协矫通 account (staff have the person's full file instead)."""
    actor = await signed_in(request)
    if not actor.team_scoped:
        raise Forbidden("the team routes are for 协矫通 accounts: staff use the person's file")
    return actor


AnyUser = Annotated[Actor, Depends(signed_in)]  # who is signed in, staff or team member (/api/v1/me)
User = Annotated[Actor, Depends(current_user)]
TeamUser = Annotated[Actor, Depends(team_member)]
