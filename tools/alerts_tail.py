"""`python -m tools.alerts_tail`: follow `alerts.v1` as an automated alert consumer (contract §3,
§6.1), one CloudEvent per line on stdout, on the pinned aiokafka of the project's environment.

Debian 12's kcat (librdkafka 2.0.2) cannot sign in to Kafka 4 with SCRAM: librdkafka before 2.6.1
builds the SCRAM proof with a doubled nonce, which Kafka 4 refuses ("invalid credentials"). Any
client whose SCRAM is right works the same as this one (aiokafka 0.12, confluent-kafka 2.6.1 and
later, kcat built on librdkafka 2.6.1 and later).

    python -m tools.alerts_tail --group alert-consumer-mine            # from the group's position
    python -m tools.alerts_tail --group alert-consumer-mine --max 10   # stop after ten
"""

from __future__ import annotations

import asyncio
import os
import sys

import typer
from aiokafka import AIOKafkaConsumer

from shared import topics
from shared.kafka.connection import KafkaAuth

app = typer.Typer(add_completion=False)


async def tail(bootstrap: str, auth: KafkaAuth, group: str, limit: int | None, out=sys.stdout) -> int:
    """Print each alert record's value as one line; returns how many were printed."""
    consumer = AIOKafkaConsumer(
        topics.ALERTS, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", **auth.options()
    )
    await consumer.start()
    printed = 0
    try:
        async for record in consumer:
            out.write((record.value or b"").decode() + "\n")
            out.flush()
            printed += 1
            if limit is not None and printed >= limit:
                break
    finally:
        await consumer.stop()
    return printed


@app.command()
def main(
    group: str = typer.Option(..., help="the consumer group: alert-consumer-* for the demo principal"),
    bootstrap: str = typer.Option(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
    username: str = typer.Option("alert-consumer-demo", envvar="KAFKA_SASL_USERNAME"),
    password: str = typer.Option("alert-consumer-demo-secret", envvar="KAFKA_SASL_PASSWORD"),
    limit: int | None = typer.Option(None, "--max", help="stop after this many alerts"),
) -> None:
    auth = KafkaAuth(username=username, password=password)
    asyncio.run(tail(bootstrap, auth, group, limit))


if __name__ == "__main__":
    app()
