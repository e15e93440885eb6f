"""Which partition a key's records are on: Kafka's default partitioner (murmur2 of the key bytes,
as the Java client and aiokafka compute it). Every producer of the platform keys a person's
records by the person's id, so a replica that owns partition p owns those persons' records, and
their state (docs/performance.md, "Supervision as a stream processor")."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import murmur2


def partition_of(key: str | bytes | uuid.UUID, partitions: int) -> int:
    """The partition Kafka's default partitioner puts `key` on, among `partitions`."""
    if partitions <= 0:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    raw = key if isinstance(key, bytes) else str(key).encode()
    return int(murmur2(raw) & 0x7FFFFFFF) % partitions
