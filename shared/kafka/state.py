"""The hooks of a stateful consumer: state kept in memory per owned partition, checkpointed with
the offsets it covers, restored and replayed when a partition is taken over (the way Kafka
Streams and Flink keep operator state; docs/performance.md, "Supervision as a stream processor").

The runner calls these; the service owns the state and where it is checkpointed. Only the records
of `topic` are covered: the runner seeks that topic's partitions to where `restore` says, and the
other topics keep their committed offsets and their inbox.
"""

from __future__ import annotations

from typing import Protocol

from aiokafka import TopicPartition

from shared.db.uow import UnitOfWork


class PartitionState(Protocol):
    topic: str

    async def restore(
        self, assigned: set[TopicPartition], ends: dict[TopicPartition, int], partitions: int
    ) -> dict[TopicPartition, int]:
        """Load the state of the assigned partitions of `topic` (and let go of the others); answer
        the offset to resume each from (its checkpoint). `ends` are the partitions' end offsets now:
        a partition is live once the replay has passed its end. `partitions` is the topic's count."""
        ...

    async def release(self, revoked: set[TopicPartition]) -> None:
        """Checkpoint what is held, before the partitions move."""
        ...

    def skipped(self, offsets: dict[TopicPartition, int]) -> None:
        """Records up to these next offsets are settled without a transaction (dead-lettered)."""
        ...

    async def in_poll(self, uow: UnitOfWork, offsets: dict[TopicPartition, int]) -> None:
        """Called in a poll's transaction, after its handlers, with the next offsets it covers."""
        ...

    async def tick(self) -> None:
        """Called after each poll, and when a poll brought nothing: a checkpoint that is due may
        start (in the background: the state answers for it, and for waiting on it in `release`)."""
        ...
