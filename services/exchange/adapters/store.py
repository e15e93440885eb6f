"""The gateway's persistence for agency requests: sealed identities, idempotency records, and the
outbound items agencies page through."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.exchange.adapters.tables import idempotency, identities, outbound


async def remembered(conn: AsyncConnection, client_id: str, key: str) -> Any:
    """The answer given to this client's earlier request with this Idempotency-Key, if any."""
    query = sa.select(idempotency.c.request_hash, idempotency.c.status, idempotency.c.body).where(
        idempotency.c.client_id == client_id, idempotency.c.key == key
    )
    return (await conn.execute(query)).first()


async def remember(
    conn: AsyncConnection, client_id: str, key: str, request_hash: str, body: dict[str, Any], status: int = 202
) -> None:
    await conn.execute(
        insert(idempotency)
        .values(client_id=client_id, key=key, request_hash=request_hash, status=status, body=body)
        .on_conflict_do_nothing()
    )


async def seal_identity(conn: AsyncConnection, person_id: uuid.UUID, sealed: bytes, by: str) -> None:
    """Keep the person's real identity, sealed (the vault's cipher); the newest record wins."""
    await conn.execute(
        insert(identities)
        .values(person_id=person_id, sealed=sealed, updated_by=by)
        .on_conflict_do_update(
            index_elements=["person_id"], set_={"sealed": sealed, "updated_by": by, "updated_at": sa.func.now()}
        )
    )


async def outbound_page(
    conn: AsyncConnection, kind: str, since: int | datetime | None, limit: int, organisation: str | None
) -> list[Any]:
    """Outbound items of one kind after a cursor (a position, or a time), oldest first (one
    organisation's if given)."""
    after = sa.true() if since is None else outbound.c.seq > since if isinstance(since, int) else outbound.c.at > since
    query = (
        sa.select(outbound.c.seq, outbound.c.person_id, outbound.c.data)
        .where(outbound.c.kind == kind, after)
        .order_by(outbound.c.seq)
        .limit(limit)
    )
    if organisation is not None:
        query = query.where(outbound.c.organisation == organisation)
    return list((await conn.execute(query)).all())


async def police_handover_person(conn: AsyncConnection, handover_id: uuid.UUID) -> uuid.UUID | None:
    person_id: uuid.UUID | None = await conn.scalar(
        sa.select(outbound.c.person_id).where(
            outbound.c.kind == "police-handover", outbound.c.data["handover_id"].astext == str(handover_id)
        )
    )
    return person_id
