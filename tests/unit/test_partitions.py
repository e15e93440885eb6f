"""Which partition a key is on (shared/kafka/partitions.py): the same answer as aiokafka's own
partitioner, which the gateway, the outbox relays and the bench produce with; supervision's
partition-local state depends on it."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner

from shared.kafka.partitions import CachedPartitioner, partition_of


def test_the_cached_partitioner_answers_as_aiokafkas_own():
    cached, default = CachedPartitioner(max_keys=50), DefaultPartitioner()
    keys = [str(uuid.uuid4()).encode() for _ in range(200)]
    for n in (1, 6, 12):
        parts = list(range(n))
        for key in keys + keys:  # again: from the cache (and past its size, refilled)
            assert cached(key, parts, parts) == default(key, parts, parts) == partition_of(key, n)
