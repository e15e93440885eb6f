"""The topics on the real broker carry the retention of policy/retention.yaml: `make up` (the test
stack is made the same way) creates them from it."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.kafka.connection import client_options
from shared.kafka.retention import load_retention
from shared.paths import POLICY_DIR
from shared.topics import ALERTS, LOCATIONS, dlq

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
