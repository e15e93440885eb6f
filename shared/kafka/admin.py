"""Topic creation (idempotent) and cluster readiness."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.kafka.connection import KafkaAuth, client_options
from shared.topics import all_topics_with_dlq


async def wait_for_kafka(bootstrap_servers: str, timeout_s: float = 60.0, *, auth: KafkaAuth | None = None) -> None:
    """Return once the cluster answers a metadata request; raise TimeoutError otherwise."""
    deadline = time.monotonic() + timeout_s
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # "unable to connect" is the expected answer while it boots
    try:
        await _wait(bootstrap_servers, deadline, client_options(auth))
    finally:
        quiet.setLevel(level)


async def _wait(bootstrap_servers: str, deadline: float, options: dict[str, Any]) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000, **options)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaError, OSError) as exc:
            last = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise TimeoutError(f"Kafka at {bootstrap_servers} did not answer in time: {last}")


async def ensure_topics(
    bootstrap_servers: str,
    topics: list[str] | None = None,
    *,
    partitions: int = 12,
    replication_factor: int = 1,
    configs: dict[str, str] | None = None,
    per_topic: dict[str, dict[str, str]] | None = None,
    auth: KafkaAuth | None = None,
) -> list[str]:
    """Create the topics that are missing, each with `configs` and its own of `per_topic` (its
    retention, shared/kafka/retention.py); return the names created."""
    wanted = topics or all_topics_with_dlq()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15000, **client_options(auth))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if not missing:
            return []
        new = [
            NewTopic(
                t, partitions, replication_factor, topic_configs={**(configs or {}), **(per_topic or {}).get(t, {})}
            )
            for t in missing
        ]
        response = await admin.create_topics(new)
        failures = [
            f"{topic}: {message or code}"
            for topic, code, *rest in response.topic_errors
            for message in [rest[0] if rest else None]
            if code not in (0, TopicAlreadyExistsError.errno)  # another process may win the race
        ]
        if failures:
            raise KafkaError("could not create topics: " + "; ".join(failures))
        return missing
    finally:
        await admin.close()
