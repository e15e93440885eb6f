"""A scripted duty officer for the replay demonstration in docs/operations.md (not a product
feature): it acknowledges the demo's open `zone_exit` alerts and disposes of each one, as a false
alarm when the fix was within `--near` metres of the area (GPS drift) and as "returned"
otherwise. It reads the distance from the `zone-exited` signal on Kafka, because the alert does
not carry it.

    python -m tools.replay.demo_duty [--near 1000]
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import orjson
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.alerting.domain.alerts import alert_id
from shared import topics
from shared.kafka.connection import client_options
from tools.devstack.kafka_security import use_local_principal

app = typer.Typer(add_completion=False)


async def distances(bootstrap: str) -> dict[str, float]:
    """zone_exit alert id → the distance of the fix that raised it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options())
    await consumer.start()
    await asyncio.sleep(0)
    try:
        await consumer._client.force_metadata_update()
        tps = [
            TopicPartition(topics.SUPERVISION_EVENTS, p)
            for p in consumer.partitions_for_topic(topics.SUPERVISION_EVENTS) or ()
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: dict[str, float] = {}
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(*tps, timeout_ms=500)).values():
                for r in records:
                    event = orjson.loads(r.value)
                    if event["type"] == "sps.supervision.zone-exited":
                        data = event["data"]
                        aid = alert_id("zone_exit", uuid.UUID(data["person_id"]), data["cause"])
                        out[str(aid)] = data["distance_m"]
        return out
    finally:
        await consumer.stop()


async def work(console: str, bootstrap: str, near: float) -> tuple[int, int]:
    far = {}
    async with httpx.AsyncClient(base_url=console, timeout=20) as client:
        r = await client.post("/api/v1/auth/login", json={"username": "duty-demo", "password": "duty-demo-secret"})
        r.raise_for_status()
        duty = {"Authorization": f"Bearer {r.json()['access_token']}"}
        far = await distances(bootstrap)
        alerts = (
            await client.get("/api/v1/alerts", params={"rule_id": "zone_exit", "limit": 1000}, headers=duty)
        ).json()
        false_alarms = returned = 0
        for a in alerts:
            if a["status"] not in ("open", "escalated") or a["alert_id"] not in far:
                continue
            await client.post(f"/api/v1/alerts/{a['alert_id']}/acknowledge", json={"note": "值班已接警"}, headers=duty)
            drift = far[a["alert_id"]] < near
            body = {
                "reason_code": "false_alarm" if drift else "returned",
                "note": "定位漂移" if drift else "已电话联系，本人已返回",
            }
            r = await client.post(f"/api/v1/alerts/{a['alert_id']}/dispose", json=body, headers=duty)
            if r.status_code == 200:
                false_alarms += drift
                returned += not drift
        return false_alarms, returned


@app.command()
def main(
    near: float = typer.Option(1000.0, help="a fix closer than this to the area is judged GPS drift"),
    console: str = typer.Option("http://127.0.0.1:8000"),
    bootstrap: str = typer.Option("127.0.0.1:9092"),
) -> None:
    use_local_principal()
    false_alarms, returned = asyncio.run(work(console, bootstrap, near))
    print(f"disposed {false_alarms} as false_alarm and {returned} as returned")


if __name__ == "__main__":
    app()
