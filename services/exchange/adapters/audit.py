"""Audit persistence: one append-only, hash-chained table (a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.exchange.adapters.tables import audit
from services.exchange.domain.audit import GENESIS, Verification, entry_hash, verify

_CHAIN_LOCK = 0x5350_A0D1  # one writer at a time extends the chain


def content_of(
    *,
    actor: str,
    agency: str,
    role: str,
    action: str,
    resource: str,
    person_id: uuid.UUID | None,
    purpose: str,
    at: datetime,
    service: str,
) -> dict:
    return {
        "actor": actor,
        "agency": agency,
        "role": role,
        "action": action,
        "resource": resource,
        "person_id": str(person_id) if person_id else None,
        "purpose": purpose,
        "at": at.isoformat(),
        "service": service,
    }


async def append(conn: AsyncConnection, content: dict) -> int:
    """Append one entry in the caller's transaction; returns its seq."""
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    last = (await conn.execute(sa.select(audit.c.hash).order_by(audit.c.seq.desc()).limit(1))).scalar()
    previous = last or GENESIS
    result = await conn.execute(
        sa.insert(audit)
        .values(
            prev_hash=previous,
            hash=entry_hash(previous, content),
            content=content,
            person_id=uuid.UUID(content["person_id"]) if content["person_id"] else None,
        )
        .returning(audit.c.seq)
    )
    return result.scalar_one()


async def verify_chain(conn: AsyncConnection) -> Verification:
    rows = await conn.stream(
        sa.select(audit.c.seq, audit.c.prev_hash, audit.c.hash, audit.c.content).order_by(audit.c.seq)
    )
    return verify([(r.seq, r.prev_hash, r.hash, r.content) async for r in rows])


async def entries_for(conn: AsyncConnection, person_id: uuid.UUID) -> list[dict]:
    rows = await conn.execute(
        sa.select(audit.c.seq, audit.c.content, audit.c.hash)
        .where(audit.c.person_id == person_id)
        .order_by(audit.c.seq)
    )
    return [{"seq": r.seq, **r.content, "hash": r.hash} for r in rows]
