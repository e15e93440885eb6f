"""After everything else ran (collected last): no valid 身份证号 in clear on any Kafka topic, in any
log file, or in any column of any table of any service database. The tests sent hundreds of real-
shaped identity numbers through the gateway; only the gateway's vault holds them, encrypted."""

from __future__ import annotations

import asyncio
import re

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from shared.identity import is_valid_id_number
from shared.kafka.connection import client_options
from tests.conftest import TEST_ROOT
from tests.kafka_helpers import read_topic

CANDIDATE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
CANDIDATE_SQL = "[0-9]{17}[0-9Xx]"  # a superset of CANDIDATE's matches, for PostgreSQL to filter by


def valid_ids(blob: bytes) -> set[str]:
    return {m.decode().upper() for m in CANDIDATE.findall(blob) if is_valid_id_number(m.decode())}


async def test_no_identity_number_in_clear_anywhere(stack):
    # The gateway took some: prove the scanner would see one if it were there.
    assert valid_ids(b'{"id_number": "11010519491231002X"}') == {"11010519491231002X"}

    found: dict[str, set[str]] = {}
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, **client_options())
    await admin.start()
    try:
        topic_names = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    records_scanned = 0
    # Several topics read at once, each to its end (a reader that ran out of time would scan less
    # than there is: read_topic's timeout is there only to end a hung read, and is generous).
    gate = asyncio.Semaphore(6)

    async def whole(topic: str) -> list:
        async with gate:
            return await read_topic(stack.bootstrap, topic, timeout_s=120)

    for topic, records in zip(topic_names, await asyncio.gather(*(whole(t) for t in topic_names)), strict=True):
        for record in records:
            records_scanned += 1
            blob = (record.value or b"") + (record.key or b"") + b"".join(v for _, v in record.headers or [])
            if hits := valid_ids(blob):
                found.setdefault(f"topic {topic}", set()).update(hits)
    for log in TEST_ROOT.rglob("*.log"):
        if hits := valid_ids(log.read_bytes()):
            found.setdefault(f"log {log}", set()).update(hits)

    url = make_url(stack.database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )
    try:
        databases = [
            r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'sps_%'")
        ]
    finally:
        await conn.close()
    rows_scanned = 0
    for name in databases:
        db = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=name
        )
        try:
            tables = [
                r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            ]
            for table in tables:
                # Every row counted; only those with 18 digits in a row come back to be checked here.
                scan = await db.fetchrow(
                    f"SELECT count(*) AS n, coalesce(array_agg(t::text) FILTER (WHERE t::text ~ $1), '{{}}') AS rows"
                    f' FROM "{table}" AS t',
                    CANDIDATE_SQL,
                )
                rows_scanned += scan["n"]
                for row in scan["rows"]:
                    if hits := valid_ids(row.encode()):
                        found.setdefault(f"table {name}.{table}", set()).update(hits)
        finally:
            await db.close()
    print(
        f"\nscanned {len(topic_names)} topics ({records_scanned} records), "
        f"{len(list(TEST_ROOT.rglob('*.log')))} log files, {len(databases)} databases ({rows_scanned} rows)"
    )
    assert records_scanned > 100 and rows_scanned > 100
    assert found == {}
