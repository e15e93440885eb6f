"""The command centre's one path to a person's data: check that the member of staff sees the
person's office, put the access on the audit trail, then call the service that owns the data.

Routes call these; none reads or changes a person's data another way (docs/architecture.md).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel

from services.command_centre.deps import CommandCentreParts
from shared import audit
from shared.authority import Actor
from shared.errors import Forbidden
from shared.internal import InternalClient

Owner = Literal["supervision", "risk", "handover", "alerting"]


Access = Literal["read", "create", "update", "delete"]


async def person_visible(
    parts: CommandCentreParts, user: Actor, person_id: uuid.UUID, *, action: Access = "read", resource: str = "person"
) -> dict[str, Any]:
    """The person's case, or 403 for staff of another office (or a 协矫通 account not on the person's
    team); the access goes on the audit trail."""
    result: dict[str, Any] = await parts.supervision.call("GET", f"/internal/v1/persons/{person_id}")
    if not user.sees(result["jurisdiction"]):
        raise Forbidden(f"this person belongs to {result['jurisdiction']}")
    user.must_see_person(result["jurisdiction"], result.get("team_accounts", []))
    async with parts.runtime.uow() as uow:
        audit.record(
            uow, user, action=action, resource=resource, person_id=person_id, purpose="监管工作 (supervision duty)"
        )
    return result


async def audit_read(parts: CommandCentreParts, user: Actor, resource: str, person_id: uuid.UUID | None = None) -> None:
    """A read of personal data that is not one person's page (a board, the map, a list) on the
    audit trail: who read what, when (docs/security.md, M3)."""
    async with parts.runtime.uow() as uow:
        audit.record(
            uow, user, action="read", resource=resource, person_id=person_id, purpose="监管工作 (supervision duty)"
        )


async def for_person(
    parts: CommandCentreParts,
    user: Actor,
    person_id: uuid.UUID,
    owner: Owner,
    method: str,
    path: str,
    *,
    action: Access = "read",
    resource: str,
    **kwargs: Any,
) -> Any:
    """Check the person is visible to this user (and audit the access), then call the owning service
    with the user signed into the call."""
    await person_visible(parts, user, person_id, action=action, resource=resource)
    client: InternalClient = getattr(parts, owner)
    return await client.call(method, path, actor=user, **kwargs)


async def staff_step(
    parts: CommandCentreParts,
    user: Actor,
    person_id: uuid.UUID,
    method: str,
    path: str,
    body: BaseModel,
    may: str | None,
    action: Access = "create",
    *,
    resource: str | None = None,
) -> Any:
    """A member of staff's step on a person's case, recorded by supervision with who took it.

    `may` is the authority model's action: the role is checked here, and supervision checks it
    again against the case's office. None where the action depends on what supervision decides
    (a leave's length decides who may approve it), so supervision alone checks. The audit trail's
    resource is the action's first word unless named.
    """
    if may is not None:
        user.require(may)
    return await for_person(
        parts,
        user,
        person_id,
        "supervision",
        method,
        f"/internal/v1/{path}",
        json=body.model_dump(mode="json"),
        action=action,
        resource=resource or (may or "case").split(".")[0],
    )


async def office_step(
    parts: CommandCentreParts,
    user: Actor,
    owner: Owner,
    path: str,
    body: BaseModel,
    may: str,
    *,
    action: Access = "create",
    resource: str,
    purpose: str,
) -> Any:
    """A step of an office's own work that is no one person's page (a registry, a booking, a visit
    to a prison): the role checked here and the office again by the owning service, which gets the
    user signed into the call; on the audit trail with the person the answer names, if any."""
    user.require(may)
    client: InternalClient = getattr(parts, owner)
    data = await client.call("POST", f"/internal/v1/{path}", actor=user, json=body.model_dump(mode="json"))
    person = uuid.UUID(data["person_id"]) if isinstance(data, dict) and data.get("person_id") else None
    async with parts.runtime.uow() as uow:
        audit.record(uow, user, action=action, resource=resource, person_id=person, purpose=purpose)
    return data
