"""The topics on the real broker carry the retention of policy/retention.yaml: `make up` (the test
stack is made the same way) creates them from it."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.kafka.connection import client_options
from shared.kafka.retention import load_retention
from shared.paths import POLICY_DIR
from shared.topics import ALERTS, LOCATIONS, dlq
from tests.waiting import eventually

TOPIC_OWN = 1


async def test_the_topics_keep_their_records_as_long_as_the_policy_says(stack):
    policy = load_retention(POLICY_DIR)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, **client_options())
    await admin.start()
    try:
        wanted = [LOCATIONS, dlq(LOCATIONS), ALERTS]
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in wanted])
        found = {}
        for response in responses:
            for _code, _message, _type, name, entries in response.resources:
                found[name] = next((value, source) for key, value, _ro, source, *_ in entries if key == "retention.ms")
    finally:
        await admin.close()
    # Source 1 is the topic's own config (DYNAMIC_TOPIC_CONFIG), not the broker's default.
    assert found == {t: (str(policy.ms(t)), TOPIC_OWN) for t in wanted}


async def test_a_topic_made_before_the_broker_stamp_gets_it_with_its_retention(stack):
    """L7 (docs/security.md): the vendor-writable topics are stamped by the broker. One made before
    that (an older install) is given the stamp at the next start, and keeps its retention."""
    from shared.kafka.admin import ensure_topics
    from shared.topics import ARRIVAL_STAMPED

    policy = load_retention(POLICY_DIR)
    per_topic = policy.topic_configs()

    async def configs_of(topic: str) -> dict[str, str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, **client_options())
        await admin.start()
        try:
            (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
            return {entry[0]: entry[1] for entry in response.resources[0][4]}
        finally:
            await admin.close()

    topic = ARRIVAL_STAMPED[0]
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap, **client_options())
    await admin.start()
    try:  # as an older install made it: retention only, the producer's time
        old = {"retention.ms": per_topic[topic]["retention.ms"], "message.timestamp.type": "CreateTime"}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, old)])
    finally:
        await admin.close()

    async def stamped_by(kind: str) -> dict[str, str] | None:  # a change reaches the broker in a moment
        configs = await configs_of(topic)
        return configs if configs["message.timestamp.type"] == kind else None

    await eventually(lambda: stamped_by("CreateTime"))
    await ensure_topics(stack.bootstrap, per_topic=per_topic)
    now = await eventually(lambda: stamped_by("LogAppendTime"))
    assert now["retention.ms"] == str(policy.ms(topic))
