"""Audit persistence: one append-only, hash-chained table (a trigger refuses UPDATE and DELETE),
keyed with `SPS_AUDIT_KEY` (set once at start by `use_key`), and its signed checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.exchange.adapters.tables import audit, audit_checkpoints
from services.exchange.domain.audit import GENESIS, Verification, entry_hash, verify

_CHAIN_LOCK = 0x5350_A0D1  # one writer at a time extends the chain
_KEY: list[bytes] = []  # the chain's key: in the process, never in the database


def use_key(key: bytes) -> None:
    """The key new entries are hashed with and keyed entries are checked with."""
    _KEY[:] = [key]


def key() -> bytes:
    if not _KEY:
        raise RuntimeError("the audit chain has no key (services/exchange/main.py sets it from SPS_AUDIT_KEY)")
    return _KEY[0]


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
            hash=entry_hash(previous, content, key()),
            content=content,
            person_id=uuid.UUID(content["person_id"]) if content["person_id"] else None,
        )
        .returning(audit.c.seq)
    )
    return result.scalar_one()


async def append_many(conn: AsyncConnection, contents: list[dict]) -> None:
    """Append entries in order in the caller's transaction: one lock, one read of the head and one
    statement for them all (a prison's batch of notices), the same chain as one by one."""
    if not contents:
        return
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    previous = (await conn.execute(sa.select(audit.c.hash).order_by(audit.c.seq.desc()).limit(1))).scalar() or GENESIS
    rows = []
    for content in contents:
        digest = entry_hash(previous, content, key())
        person = uuid.UUID(content["person_id"]) if content["person_id"] else None
        rows.append({"prev_hash": previous, "hash": digest, "content": content, "person_id": person})
        previous = digest
    await conn.execute(sa.insert(audit), rows)


async def verify_chain(conn: AsyncConnection, *, full: bool = False) -> Verification:
    """The chain from its newest checkpoint that still matches (or from the start when `full`)."""
    after, start = 0, GENESIS
    if not full:
        newest = (
            await conn.execute(sa.select(audit_checkpoints).order_by(audit_checkpoints.c.seq.desc()).limit(1))
        ).first()
        if newest is not None:
            held = await conn.scalar(sa.select(audit.c.hash).where(audit.c.seq == newest.seq))
            if held != newest.hash:
                return Verification(False, 0, newest.seq, "the entry no longer matches its signed checkpoint")
            after, start = newest.seq, newest.hash
    a = audit.c
    rows = await conn.stream(
        sa.select(a.seq, a.prev_hash, a.hash, a.content, a.person_id).where(a.seq > after).order_by(a.seq)
    )
    entries = [(r.seq, r.prev_hash, r.hash, r.content, str(r.person_id) if r.person_id else None) async for r in rows]
    return verify(entries, key(), start)


async def head(conn: AsyncConnection) -> tuple[int, str] | None:
    row = (await conn.execute(sa.select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1))).first()
    return None if row is None else (row.seq, row.hash)


async def add_checkpoint(conn: AsyncConnection, seq: int, hash_: str, at: datetime, signature: str) -> bool:
    from sqlalchemy.dialects.postgresql import insert

    result = await conn.execute(
        insert(audit_checkpoints)
        .values(seq=seq, hash=hash_, at=at, signature=signature)
        .on_conflict_do_nothing()
        .returning(audit_checkpoints.c.seq)
    )
    return result.first() is not None


async def hash_at(conn: AsyncConnection, seq: int) -> str | None:
    return await conn.scalar(sa.select(audit.c.hash).where(audit.c.seq == seq))


async def entries_for(conn: AsyncConnection, person_id: uuid.UUID) -> list[dict]:
    rows = await conn.execute(
        sa.select(audit.c.seq, audit.c.content, audit.c.hash)
        .where(audit.c.person_id == person_id)
        .order_by(audit.c.seq)
    )
    return [{"seq": r.seq, **r.content, "hash": r.hash} for r in rows]


async def recent_checkpoints(conn: AsyncConnection, limit: int) -> list[Any]:
    query = sa.select(audit_checkpoints).order_by(audit_checkpoints.c.seq.desc()).limit(limit)
    return list((await conn.execute(query)).all())
