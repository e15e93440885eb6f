"""The bench job in Quix Streams, in its own idiom: a StreamingDataFrame over the fixes, the
person's zone state in a RocksDB state store (with its changelog topic), only transitions
produced. `python bench/peers/quix_job.py <in topic> <out topic> <group> <state dir>`."""

from __future__ import annotations

import sys

from quixstreams import Application, State
from quixstreams.kafka import ConnectionConfig

from bench.peers.common import judge, kafka


def main(source: str, sink: str, group: str, state_dir: str) -> None:
    k = kafka()
    app = Application(
        broker_address=ConnectionConfig(
            bootstrap_servers=k["bootstrap"],
            security_protocol="sasl_plaintext" if k["username"] else "plaintext",
            sasl_mechanism="SCRAM-SHA-512" if k["username"] else None,
            sasl_username=k["username"] or None,
            sasl_password=k["password"] or None,
        ),
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=state_dir,
        loglevel="WARNING",
        commit_interval=1.0,  # as often as the bench's window needs (bench/peer_bench.py)
    )
    fixes = app.topic(source, value_deserializer="json")
    transitions = app.topic(sink, value_serializer="json")

    def step(envelope: dict, state: State) -> list[dict]:
        new, out = judge(envelope, state.get("zone"))
        if new is not None:
            state.set("zone", new)
        return out

    sdf = app.dataframe(fixes)
    sdf = sdf.apply(step, stateful=True, expand=True)
    sdf.to_topic(transitions)
    app.run()


if __name__ == "__main__":
    main(*sys.argv[1:5])
