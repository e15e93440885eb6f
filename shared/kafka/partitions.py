"""Which partition a key's records are on: Kafka's default partitioner (murmur2 of the key bytes,
as the Java client and aiokafka compute it). Every producer of the platform keys a person's
records by the person's id, so a replica that owns partition p owns those persons' records, and
their state (docs/performance.md, "Supervision as a stream processor")."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner, murmur2


def partition_of(key: str | bytes | uuid.UUID, partitions: int) -> int:
    """The partition Kafka's default partitioner puts `key` on, among `partitions`."""
    if partitions <= 0:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    raw = key if isinstance(key, bytes) else str(key).encode()
    return int(murmur2(raw) & 0x7FFFFFFF) % partitions


class CachedPartitioner:
    """aiokafka's default partitioner (murmur2 of the key), remembering the answer per key: murmur2
    in Python costs about 5 µs a record, and a person's key comes back with every fix. The cache
    holds at most `max_keys` keys (about 120 bytes each) and starts again when full."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._known: dict[tuple[bytes, int], int] = {}

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return int(DefaultPartitioner()(key, all_partitions, available))
        count = len(all_partitions)
        found = self._known.get((key, count))
        if found is None:
            if len(self._known) >= self.max_keys:
                self._known.clear()
            found = self._known[(key, count)] = all_partitions[(murmur2(key) & 0x7FFFFFFF) % count]
        return found
