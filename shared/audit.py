"""Recording who read or changed a person's data: any service emits `sps.audit.recorded` on
`audit.v1` through its outbox; the gateway appends it to the hash chain."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import new_event
from shared.events import AuditRecorded


def record(uow: UnitOfWork, *, service: str, actor: str, agency: str, role: str, action: str, resource: str,
           person_id: uuid.UUID | None, purpose: str) -> None:
    data = AuditRecorded(actor=actor, agency=agency, role=role, action=action, resource=resource,  # type: ignore[arg-type]
                         person_id=person_id, purpose=purpose, at=datetime.now(UTC), service=service)
    uow.emit(topics.AUDIT, new_event("sps.audit.recorded", f"/sps/{service}", data,
                                     subject=str(person_id) if person_id else None))
