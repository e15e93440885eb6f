"""Recording who read or changed a person's data: any service publishes `sps.audit.recorded` on
`audit.v1` through its outbox; the gateway appends it to the hash chain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from shared.authority import Actor
from shared.db.uow import UnitOfWork
from shared.events import AuditRecorded


def record(
    uow: UnitOfWork,
    actor: Actor,
    *,
    action: Literal["read", "create", "update", "delete"],
    resource: str,
    person_id: uuid.UUID | None,
    purpose: str,
) -> None:
    """Put one access on the audit trail, in the transaction of the access itself."""
    data = AuditRecorded(
        actor=actor.name,
        agency=actor.agency,
        role=actor.role,
        action=action,
        resource=resource,
        person_id=person_id,
        purpose=purpose,
        at=datetime.now(UTC),
        service=uow.service or "",
    )
    uow.publish(data, subject=person_id)
