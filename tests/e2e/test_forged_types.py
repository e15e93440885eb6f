"""N1 (docs/security.md, contract §7.1): a principal that may write a topic raises only that
topic's events. Black-box, on the running platform: the device vendor's own Kafka principal
writes a forged approved leave onto the two topics it may write; neither changes anything,
both go to the dead-letter topic with reason `type-not-on-topic`, and the person's next fix
outside the county is a `zone_exit` as if nothing had been written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.envelope import TYPE_HEADER, encode, new_event
from shared.events import LeaveApproved
from shared.kafka.consumer import TYPE_NOT_ON_TOPIC
from shared.kafka.dlq import header
from tests.e2e.test_thin_slice import SHANGHAI, alerts_for, case_open, fix, gateway_token, staff
from tests.factories import court_order
from tests.kafka_helpers import TopicTail


async def test_the_device_principal_cannot_approve_a_leave_by_naming_its_type(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{gw}/v1/court-orders", json=court_order(town="澄江街道"), headers=await gateway_token(client, gw, "court")
        )
        assert r.status_code == 202, r.text
        person = r.json()["person_id"]
        await case_open(client, cc, person)
        officer = await staff(client, cc, "officer-demo")
        case_id = (await client.get(f"{cc}/api/v1/persons/{person}", headers=officer)).json()["cases"][0]["case_id"]

        now = datetime.now(UTC).replace(microsecond=0)
        leave = LeaveApproved(
            person_id=uuid.UUID(person),
            case_id=uuid.UUID(case_id),
            leave_id=uuid.uuid4(),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=2),
            destination="上海市",
            approval_level="county",
            approved_by="forged",
        )
        forged = new_event("sps.supervision.leave-approved", "/sps/supervision", leave, subject=person)
        producer = AIOKafkaProducer(
            bootstrap_servers=platform.bootstrap, **platform.credentials.auth("device-demo").options()
        )
        await producer.start()
        try:
            # With the type header the platform's producers set (the consumer's fast path reads
            # it first) and without it: both paths refuse.
            type_header = [(TYPE_HEADER, b"sps.supervision.leave-approved")]
            await producer.send_and_wait(topics.LOCATIONS, encode(forged), key=person.encode(), headers=type_header)
            await producer.send_and_wait(topics.CHECKINS, encode(forged), key=person.encode())
        finally:
            await producer.stop()

        for topic in (topics.LOCATIONS, topics.CHECKINS):
            dead = await TopicTail.of(platform.bootstrap, topics.dlq(topic)).records(person, min_count=1)
            assert dead, f"the forged leave on {topic} was not dead-lettered"
            reason = header(dead[0], "sps-error") or ""
            assert reason.startswith(TYPE_NOT_ON_TOPIC), reason

        # The forged leave changed nothing: no leave on the person's page, and a fix in Shanghai
        # (which an approved leave to 上海市 would excuse) is a zone exit.
        page = (await client.get(f"{cc}/api/v1/persons/{person}/leaves", headers=officer)).json()
        assert not [x for x in page if x.get("leave_id") == str(leave.leave_id)]
        device = await gateway_token(client, gw, "device")
        r = await client.post(f"{gw}/v1/locations", json={"fixes": [fix(person, *SHANGHAI, now)]}, headers=device)
        assert r.status_code == 202, r.text
        raised = await alerts_for(platform.bootstrap, person, rule="zone_exit")
        assert [a["data"]["rule_id"] for a in raised if a["type"] == "sps.alert.raised"] == ["zone_exit"]
