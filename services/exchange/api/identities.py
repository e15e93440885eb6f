"""The one door out of the identity vault: a member of staff printing a document that must name
the person (解除社区矫正证明书), through the command centre, which checked their authority and put
the read on the audit trail; the vault puts it there too (docs/security.md). No other service may
open it, and it is served only on the exchange's internal listener (SPS_INTERNAL_PORT), never on
the agencies' port."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends

from services.exchange.adapters import store
from services.exchange.deps import Parts
from shared import audit
from shared.authority import Actor
from shared.deps import InternalCaller
from shared.errors import Forbidden, NotFound
from shared.internal import require_internal

# Not in the gateway's OpenAPI document: that is the agencies' contract, and this door is not theirs.
router = APIRouter(
    prefix="/internal/v1", tags=["identity vault"], dependencies=[Depends(require_internal)], include_in_schema=False
)


@router.get("/identities/{person_id}")
async def identity(person_id: uuid.UUID, parts: Parts, who: InternalCaller) -> dict[str, Any]:
    """The person's name, 身份证号 and sex, for the document being printed; nothing else."""
    if who.service != "command_centre" or who.actor is None:
        raise Forbidden("only the command centre, for a member of staff, may open an identity")
    staff = Actor(who.actor["actor"], who.actor["role"], who.actor["jurisdiction"])
    async with parts.runtime.uow() as uow:
        row = await store.sealed_identity(uow.conn, person_id)
        if row is None:
            raise NotFound(f"no identity is held for person {person_id}")
        # The vault's own record of the opening, beside the command centre's (docs/security.md, N5).
        audit.record(
            uow, staff, action="read", resource="identity", person_id=person_id, purpose="打印解除社区矫正证明书"
        )
    person = parts.cipher.open(person_id, row.sealed, row.key_version)
    return {"name": person["name"], "id_number": person["id_number"], "sex": person["sex"]}
