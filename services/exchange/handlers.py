"""The gateway's consumers: what goes back to agencies, and audit records from other services."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from services.exchange.adapters import audit
from services.exchange.adapters.tables import outbound
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    AssistanceRequested,
    AuditCheckpoint,
    AuditRecorded,
    ExitControl,
    PoliceHandoverIssued,
    ReceiptIssued,
    RevocationProposed,
    SearchRequested,
)
from shared.kafka.consumer import Handler


async def on_receipt(event: IncomingEvent, data: ReceiptIssued, uow: UnitOfWork) -> None:
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="receipt",
            organisation=data.prison,
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.issued_at,
        )
        .on_conflict_do_nothing()
    )


async def on_police_handover(event: IncomingEvent, data: PoliceHandoverIssued, uow: UnitOfWork) -> None:
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="police-handover",
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.issued_at,
        )
        .on_conflict_do_nothing()
    )


async def on_assistance_request(event: IncomingEvent, data: AssistanceRequested, uow: UnitOfWork) -> None:
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="assistance-request",
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.requested_at,
        )
        .on_conflict_do_nothing()
    )


async def on_revocation_proposal(event: IncomingEvent, data: RevocationProposed, uow: UnitOfWork) -> None:
    """For the court that made the order (its own only: `organisation`)."""
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="revocation-proposal",
            organisation=data.court,
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.decided_at,
        )
        .on_conflict_do_nothing()
    )


async def on_exit_control(event: IncomingEvent, data: ExitControl, uow: UnitOfWork) -> None:
    """不准出境报备 for the police: each imposing and lifting an item of its own, oldest first."""
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="exit-control",
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.at,
        )
        .on_conflict_do_nothing()
    )


async def on_search_request(event: IncomingEvent, data: SearchRequested, uow: UnitOfWork) -> None:
    """协助查找 for the police."""
    await uow.conn.execute(
        insert(outbound)
        .values(
            event_id=event.id,
            kind="search-request",
            person_id=data.person_id,
            data=data.model_dump(mode="json"),
            at=data.raised_at,
        )
        .on_conflict_do_nothing()
    )


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
    "sps.exchange.receipt": on_receipt,
    "sps.exchange.police-handover": on_police_handover,
    "sps.exchange.revocation-proposal": on_revocation_proposal,
    "sps.exchange.exit-control": on_exit_control,
    "sps.exchange.search-request": on_search_request,
    "sps.exchange.assistance-request": on_assistance_request,
    "sps.audit.recorded": on_audit,
}
