"""The bench job in faust-streaming, in its own idiom: an agent over the fixes, the person's zone
state in a Table (with its changelog topic), only transitions sent on.
`python bench/peers/faust_job.py <in topic> <out topic> <group> <state dir>`."""

from __future__ import annotations

import sys

import faust

from bench.peers.common import judge, kafka


def build(source: str, sink: str, group: str, state_dir: str) -> faust.App:
    k = kafka()
    credentials = (
        faust.SASLCredentials(username=k["username"], password=k["password"], mechanism="SCRAM-SHA-512")
        if k["username"]
        else None
    )
    app = faust.App(
        group,
        broker=f"kafka://{k['bootstrap']}",
        broker_credentials=credentials,
        datadir=state_dir,
        store="memory://",  # the table lives in memory, restored from its changelog (faust's default)
        topic_partitions=12,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_interval=1.0,  # as often as the bench's window needs (bench/peer_bench.py)
    )
    fixes = app.topic(source, value_serializer="json", key_serializer="raw")
    transitions = app.topic(sink, value_serializer="json")
    zones = app.Table("zones", default=None, partitions=12)

    @app.agent(fixes)
    async def judge_fixes(stream):
        async for key, envelope in stream.items():
            new, out = judge(envelope, zones.get(key))
            if new is not None:
                zones[key] = new
            for t in out:
                await transitions.send(key=key, value=t)

    return app


if __name__ == "__main__":
    source, sink, group, state_dir = sys.argv[1:5]
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--without-web"]
    build(source, sink, group, state_dir).main()
