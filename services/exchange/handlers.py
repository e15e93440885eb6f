"""The gateway's consumers: what goes back to agencies, and audit records from other services."""

from __future__ import annotations

from typing import Any

from services.exchange.adapters import audit, store
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import AuditCheckpoint, AuditRecorded
from shared.kafka.consumer import Handler


def _kept(kind: str, at: str, organisation: str | None = None) -> Handler:
    """A handler that keeps an outbound event for the agency that reads it (the `outbound` table):
    its kind, the data field that dates it, and the field naming the one organisation that may
    read it (None: every client with the read scope). A redelivery keeps nothing twice."""

    async def keep(event: IncomingEvent, data: Any, uow: UnitOfWork) -> None:
        await store.keep_outbound(
            uow.conn,
            event.id,
            kind,
            getattr(data, organisation) if organisation else None,
            data.person_id,
            data.model_dump(mode="json"),
            getattr(data, at),
        )

    return keep


async def on_audit(event: IncomingEvent, data: AuditRecorded, uow: UnitOfWork) -> None:
    await audit.append(
        uow.conn,
        audit.content_of(
            actor=data.actor,
            agency=data.agency,
            role=data.role,
            action=data.action,
            resource=data.resource,
            person_id=data.person_id,
            purpose=data.purpose,
            at=data.at,
            service=data.service,
        ),
    )


async def on_audit_checkpoint(event: IncomingEvent, data: AuditCheckpoint, uow: UnitOfWork) -> None:
    """Our own anchor, for the procuratorate: kept in `audit_checkpoints` when it was made."""


HANDLERS: dict[str, Handler] = {
    "sps.exchange.audit-checkpoint": on_audit_checkpoint,
    "sps.exchange.receipt": _kept("receipt", "issued_at", organisation="prison"),  # a prison's own only
    "sps.exchange.police-handover": _kept("police-handover", "issued_at"),
    "sps.exchange.assistance-request": _kept("assistance-request", "requested_at"),
    # For the court that made the order, its own only.
    "sps.exchange.revocation-proposal": _kept("revocation-proposal", "decided_at", organisation="court"),
    # 不准出境报备: each imposing and lifting an item of its own, oldest first.
    "sps.exchange.exit-control": _kept("exit-control", "at"),
    "sps.exchange.search-request": _kept("search-request", "raised_at"),  # 协助查找
    # 解除社区矫正 or 收监执行: a court reads its own orders' endings; the procuratorate and police all.
    "sps.exchange.case-ending": _kept("case-ending", "ended_at", organisation="court"),
    # A procuratorate reads the replies to its own notices.
    "sps.exchange.procuratorate-reply": _kept("procuratorate-reply", "replied_at", organisation="procuratorate"),
    # 远程亲情视频会见: a prison reads the bookings and cancellations of its own slots.
    "sps.exchange.visit-booking": _kept("visit", "at", organisation="prison"),
    "sps.audit.recorded": on_audit,
}
