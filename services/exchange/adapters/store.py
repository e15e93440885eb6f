"""The gateway's persistence for agency requests: sealed identities, idempotency records, and the
outbound items agencies page through."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.exchange.adapters.tables import agency_numbers, idempotency, identities, outbound
from services.exchange.domain.ingest import AgencyNumber
from shared.db.bulk import BulkInsert


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


async def take_number(
    conn: AsyncConnection, number: AgencyNumber, person_id: uuid.UUID | None, answer: dict[str, Any]
) -> Any:
    """Take an agency's number for this content; None if it was free, else the row that holds it
    (its content hash and first answer), read under the lock the insert waited on."""
    taken = await conn.execute(
        insert(agency_numbers)
        .values(
            kind=number.kind,
            issuer=number.issuer,
            number=number.number,
            content_hash=number.content_hash,
            person_id=person_id,
            answer=answer,
        )
        .on_conflict_do_nothing()
        .returning(agency_numbers.c.number)
    )
    if taken.first() is not None:
        return None
    query = sa.select(agency_numbers.c.content_hash, agency_numbers.c.answer).where(
        agency_numbers.c.kind == number.kind,
        agency_numbers.c.issuer == number.issuer,
        agency_numbers.c.number == number.number,
    )
    return (await conn.execute(query)).first()


_TAKE_NUMBERS = BulkInsert(
    agency_numbers,
    ("kind", "issuer", "number", "content_hash", "person_id", "answer"),
    conflict=("kind", "issuer", "number"),
    returning=("kind", "issuer", "number"),
)


async def take_numbers(
    conn: AsyncConnection, wanted: list[tuple[AgencyNumber, uuid.UUID | None, dict[str, Any]]]
) -> list[Any]:
    """Take many numbers in two statements. The answer is in `wanted`'s order: None where that row
    took its number, else the row that holds it (content hash and first answer). A number twice
    in one batch is taken by its first row and held against the second."""
    if not wanted:
        return []
    taken = await _TAKE_NUMBERS.returned(
        conn, [(n.kind, n.issuer, n.number, n.content_hash, person_id, answer) for n, person_id, answer in wanted]
    )
    fresh = {tuple(r) for r in taken}
    keys = [(n.kind, n.issuer, n.number) for n, _, _ in wanted]
    mine: list[bool] = []
    for k in keys:  # the first row of a number freshly taken is its taker
        mine.append(k in fresh)
        fresh.discard(k)
    held: dict[tuple[str, str, str], Any] = {}
    if not all(mine):
        c = agency_numbers.c
        others = sorted({k for k, m in zip(keys, mine, strict=True) if not m})
        query = sa.select(c.kind, c.issuer, c.number, c.content_hash, c.answer).where(
            sa.tuple_(c.kind, c.issuer, c.number).in_(others)
        )
        held = {(r.kind, r.issuer, r.number): r for r in await conn.execute(query)}
    return [None if m else held[k] for k, m in zip(keys, mine, strict=True)]


async def seal_identities(conn: AsyncConnection, rows: list[tuple[uuid.UUID, bytes, int]], by: str) -> None:
    """Keep persons' real identities, sealed (the vault's cipher), in one statement; the newest
    record of a person wins."""
    latest = {person_id: (sealed, version) for person_id, sealed, version in rows}  # once per person
    stmt = insert(identities)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["person_id"],
            set_={
                "sealed": stmt.excluded.sealed,
                "updated_by": stmt.excluded.updated_by,
                "key_version": stmt.excluded.key_version,
                "updated_at": sa.func.now(),
            },
        ),
        [
            {"person_id": p, "sealed": sealed, "updated_by": by, "key_version": version}
            for p, (sealed, version) in latest.items()
        ],
    )


async def sealed_identity(conn: AsyncConnection, person_id: uuid.UUID) -> Any:
    """The person's sealed identity and its key's version, or None."""
    query = sa.select(identities.c.sealed, identities.c.key_version).where(identities.c.person_id == person_id)
    return (await conn.execute(query)).first()


async def sealed_under_older_keys(conn: AsyncConnection, current: int, limit: int) -> list[Any]:
    """A batch of identities sealed with another key than `current`, locked for re-sealing."""
    query = (
        sa.select(identities.c.person_id, identities.c.sealed, identities.c.key_version)
        .where(identities.c.key_version != current)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def count_sealed_under_older_keys(conn: AsyncConnection, current: int) -> int:
    query = sa.select(sa.func.count()).select_from(identities).where(identities.c.key_version != current)
    return int(await conn.scalar(query) or 0)


async def reseal(conn: AsyncConnection, person_id: uuid.UUID, sealed: bytes, key_version: int) -> None:
    await conn.execute(
        sa.update(identities)
        .where(identities.c.person_id == person_id)
        .values(sealed=sealed, key_version=key_version, updated_at=sa.func.now())
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


async def outbound_item(conn: AsyncConnection, kind: str, key: str, value: str, **also: str) -> Any:
    """The outbound item of `kind` whose data has `key` = `value` (a proposal's id), and each of
    `also` (an exit control's action), or None."""
    query = sa.select(outbound.c.organisation, outbound.c.person_id, outbound.c.data).where(
        outbound.c.kind == kind,
        outbound.c.data[key].astext == value,
        *(outbound.c.data[k].astext == v for k, v in also.items()),
    )
    return (await conn.execute(query.limit(1))).first()


async def prison_notified(conn: AsyncConnection, prison: str, person_id: uuid.UUID) -> bool:
    """Whether one of this prison's own pre-release notices names the person: the registry of its
    prisoners the platform has (L2, docs/security.md)."""
    found = await conn.scalar(
        sa.select(sa.literal(True))
        .where(
            agency_numbers.c.kind == "release-notice",
            agency_numbers.c.issuer == prison,
            agency_numbers.c.person_id == person_id,
        )
        .limit(1)
    )
    return bool(found)


async def police_handover_person(conn: AsyncConnection, handover_id: uuid.UUID) -> uuid.UUID | None:
    person_id: uuid.UUID | None = await conn.scalar(
        sa.select(outbound.c.person_id).where(
            outbound.c.kind == "police-handover", outbound.c.data["handover_id"].astext == str(handover_id)
        )
    )
    return person_id


async def keep_outbound(
    conn: AsyncConnection,
    event_id: uuid.UUID,
    kind: str,
    organisation: str | None,
    person_id: uuid.UUID,
    data: dict[str, Any],
    at: datetime,
) -> None:
    """An outbound event kept for the agency that reads it; a redelivery keeps nothing twice."""
    await conn.execute(
        insert(outbound)
        .values(event_id=event_id, kind=kind, organisation=organisation, person_id=person_id, data=data, at=at)
        .on_conflict_do_nothing()
    )
