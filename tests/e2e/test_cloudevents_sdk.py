"""A new alert consumer reads the platform's topics with the official CloudEvents Python SDK, as
docs/alert-consumers.md tells them to: every record on `alerts.v1` and on the services' event
topics is a structured-mode CloudEvent the SDK's `from_kafka` accepts (no `ce_` header that would
make it read the record as binary mode)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat

from shared import topics
from tests.e2e.test_thin_slice import SHANGHAI, alerts_for, fix, gateway_token
from tests.factories import court_order
from tests.kafka_helpers import read_topic

PUBLIC = (topics.ALERTS, topics.SUPERVISION_EVENTS, topics.RISK_EVENTS, topics.HANDOVER_EVENTS)


async def test_the_official_sdk_reads_every_record_of_the_public_topics(platform):
    gw = platform.url("exchange")
    async with httpx.AsyncClient(timeout=10) as client:
        order = court_order(town="澄江街道")
        r = await client.post(f"{gw}/v1/court-orders", json=order, headers=await gateway_token(client, gw, "court"))
        person_id = r.json()["person_id"]
        far = fix(person_id, *SHANGHAI, datetime.now(UTC))
        device = await gateway_token(client, gw, "device")
        assert (await client.post(f"{gw}/v1/locations", json={"fixes": [far]}, headers=device)).status_code == 202
    assert await alerts_for(platform.bootstrap, person_id)

    refused: dict[str, list[str]] = {}
    read: dict[str, int] = {}
    for topic in PUBLIC:
        records = await read_topic(platform.bootstrap, topic)
        read[topic] = len(records)
        for record in records:
            message = KafkaMessage(dict(record.headers or ()), record.key, record.value)
            try:
                event = from_kafka(message, JSONFormat())
            except Exception as exc:
                refused.setdefault(topic, []).append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            raw = orjson.loads(record.value)
            assert (event.get_id(), event.get_type(), event.get_source()) == (raw["id"], raw["type"], raw["source"])
            assert event.get_data() == raw["data"]
    assert refused == {}, {t: (len(v), v[0]) for t, v in refused.items()}
    assert read[topics.ALERTS] > 0 and read[topics.SUPERVISION_EVENTS] > 0, read
