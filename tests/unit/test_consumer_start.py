"""A consumer whose group never assigns it partitions is replaced, not waited on for good; and
/readyz says which step of the start a service is at while it is not ready.

The Kafka client here is a stand-in whose start never returns (a group join that hangs): what is
tested is the runner's own watchdog, not Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.http import install_probes
from shared.kafka import consumer as consumer_module
from shared.kafka.connection import KafkaAuth
from shared.kafka.consumer import ConsumerRunner


class _StuckClient:
    """Joins nothing: start() waits until cancelled, the way a stuck group join does."""

    made: list[_StuckClient] = []

    def __init__(self, **_: Any) -> None:
        self.stopped = False
        _StuckClient.made.append(self)

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.topics = topics

    async def start(self) -> None:
        await asyncio.Event().wait()

    async def stop(self) -> None:
        self.stopped = True


async def test_a_consumer_not_assigned_within_the_join_timeout_is_closed_and_a_new_one_joins(monkeypatch):
    _StuckClient.made.clear()
    monkeypatch.setattr(consumer_module, "AIOKafkaConsumer", _StuckClient)
    monkeypatch.setattr(ConsumerRunner, "_pause", lambda self, s: _no_pause(self))
    runner = ConsumerRunner(
        service="alerting",
        group_id="sps-alerting-main",
        topics=["sps.supervision.events"],
        handlers={},
        engine=None,  # type: ignore[arg-type]  # never reached: no consumer starts
        producer=None,  # type: ignore[arg-type]
        bootstrap_servers="127.0.0.1:1",
        notify_channel="outbox_alerting",
        join_timeout_s=0.05,
        auth=KafkaAuth(security_protocol="PLAINTEXT"),
    )
    task = asyncio.create_task(runner.run())
    for _ in range(200):
        if len(_StuckClient.made) >= 3:
            break
        await asyncio.sleep(0.01)
    runner.stop()
    await asyncio.wait_for(task, timeout=2)
    assert len(_StuckClient.made) >= 3, "the stuck consumer was waited on instead of replaced"
    assert all(c.stopped for c in _StuckClient.made), "a replaced consumer was left open"
    assert runner.running is False  # never assigned: the service stays unready meanwhile


async def _no_pause(runner: ConsumerRunner) -> bool:
    await asyncio.sleep(0)
    return runner._stopping.is_set()


def test_readyz_names_the_step_of_the_start_while_not_ready_and_nothing_once_ready():
    state = {"ready": False}

    async def readiness() -> dict[str, bool]:
        return {"database": True, "kafka": True, "started": state["ready"], "consumers": state["ready"]}

    app = FastAPI()
    install_probes(app, readiness, lambda: {"phase": "consumers", "consumers_waiting": "sps-alerting-main"})
    with TestClient(app) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["detail"] == {"phase": "consumers", "consumers_waiting": "sps-alerting-main"}
        state["ready"] = True
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert "detail" not in answer.json()


async def test_a_start_that_raises_is_logged_with_its_phase_not_left_silent(capsys):
    import asyncio
    from types import SimpleNamespace

    from shared.service import ServiceRuntime

    async def hook_fails() -> None:
        raise RuntimeError("a startup hook could not load its policy")

    task = asyncio.create_task(hook_fails())
    await asyncio.gather(task, return_exceptions=True)
    runtime = SimpleNamespace(phase="startup hooks", startup_error=None)
    ServiceRuntime._start_ended(runtime, task)  # type: ignore[arg-type]
    assert runtime.startup_error == (
        "start failed in phase 'startup hooks': RuntimeError('a startup hook could not load its policy')"
    )
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    quiet = SimpleNamespace(phase="started", startup_error=None)
    ServiceRuntime._start_ended(quiet, done)  # type: ignore[arg-type]
    assert quiet.startup_error is None
