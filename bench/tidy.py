"""`python -m bench.tidy`: give back the disk `make bench` fills (it runs this itself, before and
after a run). A run puts about ten million fixes on `ingest.locations.v1` (some 5 GB), and each
makes a raw topic and a topic per peer; with the dev stack's week of retention, a few runs
filled this machine's disk and stopped its broker in the middle of one.

- The bench's own topics (`bench.*`) are deleted.
- `ingest.locations.v1` loses the records no one can need again: those before both supervision's
  committed offset and its checkpoint (`stream_checkpoints`, which a restart replays from), per
  partition. Nothing a consumer has not read, or a replay would read, is deleted.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from rich.console import Console

from bench.pipeline import SUPERVISION_GROUP, supervision_engine
from shared import topics
from shared.kafka.connection import client_options
from tools.devstack.__main__ import _stack
from tools.devstack.kafka_security import use_local_principal
from tools.devstack.stack import Stack

console = Console()


async def checkpoints(stack: Stack) -> dict[int, int]:
    engine = supervision_engine(stack)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT partition, next_offset FROM stream_checkpoints WHERE group_id = :g AND topic = :t"),
                {"g": SUPERVISION_GROUP, "t": topics.LOCATIONS},
            )
            return {int(p): int(o) for p, o in rows}
    finally:
        await engine.dispose()


async def tidy(stack: Stack) -> dict[str, object]:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, **client_options())
    await admin.start()
    try:
        own = sorted(t for t in await admin.list_topics() if t.startswith("bench."))
        if own:
            await admin.delete_topics(own)
        committed = await admin.list_consumer_group_offsets(SUPERVISION_GROUP)
        held = await checkpoints(stack)
        before: dict[TopicPartition, RecordsToDelete] = {}
        for tp, meta in committed.items():
            if tp.topic != topics.LOCATIONS or meta.offset < 0:
                continue
            # A partition with no checkpoint resumes from the committed offset (positions.py).
            upto = min(meta.offset, held.get(tp.partition, meta.offset))
            if upto > 0:
                before[tp] = RecordsToDelete(upto)
        if before:
            await admin.delete_records(before)
    finally:
        await admin.close()
    return {
        "topics_deleted": len(own),
        "locations_trimmed_before": {tp.partition: r.before_offset for tp, r in before.items()},
    }


def main() -> None:
    use_local_principal()  # the running broker, as the operators
    done = asyncio.run(tidy(_stack(demo=True)))
    console.print(
        f"bench topics deleted: {done['topics_deleted']}; {topics.LOCATIONS} trimmed to what supervision "
        f"may still read (the record each partition now starts at): {done['locations_trimmed_before']}"
    )


if __name__ == "__main__":
    main()
