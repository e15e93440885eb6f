"""Topic creation (idempotent) and cluster readiness."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.kafka.connection import KafkaAuth, client_options
from shared.logging import get_logger
from shared.topics import ARRIVAL_STAMPED, all_topics_with_dlq


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


async def _stamp_arrivals(
    admin: AIOKafkaAdminClient,
    existing: list[str],
    configs: dict[str, str] | None,
    per_topic: dict[str, dict[str, str]] | None,
) -> None:
    """A topic made before its broker stamp was wanted (shared/topics.ARRIVAL_STAMPED) gets it now,
    with the rest of its configs (the broker's AlterConfigs sets the whole list)."""
    for topic in [t for t in existing if t in ARRIVAL_STAMPED and (per_topic or {}).get(t)]:
        (described,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        current = {entry[0]: entry[1] for entry in described.resources[0][4]}
        wanted = {**(configs or {}), **(per_topic or {})[topic]}
        if current.get("message.timestamp.type") != wanted.get("message.timestamp.type"):
            (answer,) = await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, wanted)])
            code, message = answer.resources[0][0], answer.resources[0][1]
            if code:  # a principal without the right (a service, not the operator): said, not fatal
                get_logger(__name__).warning("topic configs not set", topic=topic, error=message or code)
            else:
                get_logger(__name__).info("topic configs set", topic=topic, configs=wanted)


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
        await _stamp_arrivals(admin, [t for t in wanted if t in existing], configs, per_topic)
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
