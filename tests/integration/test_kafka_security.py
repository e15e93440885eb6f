"""H4 (docs/security.md): the broker answers only to known principals, and each may touch only
its own topics (contract §6.1). On the session's real broker, provisioned as `make up` does."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from shared import topics
from shared.kafka.access import service_principal
from shared.kafka.connection import KafkaAuth
from tests.kafka_helpers import read_topic


def _auth(stack, principal: str) -> KafkaAuth:
    return stack.credentials.auth(principal)


async def _send(stack, auth: KafkaAuth, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, request_timeout_ms=10_000, **auth.options())
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=str(uuid.uuid4()).encode())
    finally:
        await producer.stop()


async def test_a_client_without_credentials_is_not_served(stack):
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap, request_timeout_ms=3000, security_protocol="PLAINTEXT"
    )
    with pytest.raises(KafkaError):
        await producer.start()
        await producer.send_and_wait(topics.COURT_ORDERS, b"{}")
    await producer.stop()


async def test_a_wrong_password_is_refused(stack):
    wrong = KafkaAuth("SASL_PLAINTEXT", "SCRAM-SHA-512", "device-demo", "not-the-secret")
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, request_timeout_ms=3000, **wrong.options())
    with pytest.raises((KafkaError, KafkaConnectionError)):
        await producer.start()
    await producer.stop()


async def test_a_device_may_write_fixes_but_not_forge_a_court_order(stack):
    device = _auth(stack, "device-demo")
    await _send(stack, device, topics.LOCATIONS)
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(stack, device, topics.COURT_ORDERS)
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(stack, device, topics.ALERTS)


async def test_a_service_may_not_write_what_another_service_owns(stack):
    supervision = _auth(stack, service_principal("supervision"))
    await _send(stack, supervision, topics.SUPERVISION_EVENTS)
    await _send(stack, supervision, topics.AUDIT)
    for forged in (topics.COURT_ORDERS, topics.ALERTS, topics.HANDOVER_EVENTS):
        with pytest.raises(TopicAuthorizationFailedError):
            await _send(stack, supervision, forged)
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(stack, _auth(stack, service_principal("exchange")), topics.ALERTS)


async def _consume_once(stack, auth: KafkaAuth, topic: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
        **auth.options(),
    )
    try:
        await consumer.start()
        await consumer.getmany(timeout_ms=2000)
        await consumer.getmany(timeout_ms=500)  # a group or topic refusal is raised by the poll after the join
    finally:
        await consumer.stop()


async def test_an_alert_consumer_reads_alerts_in_its_own_groups_only(stack):
    consumer = _auth(stack, "alert-consumer-demo")
    await _consume_once(stack, consumer, topics.ALERTS, f"alert-consumer-{uuid.uuid4().hex[:6]}")
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume_once(stack, consumer, topics.ALERTS, f"sps-alerting-{uuid.uuid4().hex[:6]}")
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume_once(stack, consumer, topics.AUDIT, f"alert-consumer-{uuid.uuid4().hex[:6]}")
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(stack, consumer, topics.ALERTS)


async def test_the_operator_reads_everything(stack):
    # The test process itself talks as ops-demo (the stack fixture set it up as make up does).
    assert isinstance(await read_topic(stack.bootstrap, topics.AUDIT, timeout_s=2), list)


async def test_the_readmes_alert_consumer_example_reads_alerts_as_written(stack):
    """The README's consumer example, run as written (but for the test broker's address), as
    `alert-consumer-demo`: it signs in with SCRAM and prints an alert record as one line."""
    import asyncio
    import sys

    import orjson
    from aiokafka import AIOKafkaProducer

    from shared.paths import REPO_ROOT

    marker = f"readme-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, **_auth(stack, "ops-demo").options())
    await producer.start()
    try:
        await producer.send_and_wait(topics.ALERTS, orjson.dumps({"marker": marker}), key=marker.encode())
    finally:
        await producer.stop()
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m tools.alerts_tail --group alert-consumer-mine" in readme
    group = f"alert-consumer-{uuid.uuid4().hex[:6]}"
    args = ["-m", "tools.alerts_tail", "--group", group, "--bootstrap", stack.bootstrap, "--max", "100000"]
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("KAFKA_SASL_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=REPO_ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            while True:
                line = await proc.stdout.readline()
                assert line, (await proc.stderr.read()).decode() if proc.stderr else "no output"
                if marker.encode() in line:
                    break
    finally:
        proc.kill()
        await proc.wait()
