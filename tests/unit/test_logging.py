"""The repeat limiter keeps a broker outage from flooding the logs, and touches nothing else."""

from __future__ import annotations

import logging

from shared.logging import RepeatLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def capture(limiter: RepeatLimiter, name: str) -> tuple[logging.Logger, list[str]]:
    seen: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(f"{record.name}: {record.getMessage()}")

    handler = ListHandler()
    handler.addFilter(limiter)
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, seen


def test_one_of_each_kind_per_interval_then_the_count_of_those_dropped():
    clock = Clock()
    limiter = RepeatLimiter(("aiokafka",), 10.0, clock)
    conn, seen = capture(limiter, "aiokafka.test_logging")
    for i in range(100):  # ten seconds of an outage, one every 100 ms
        conn.error("Unable connect to node with id %s: %s", 1, "refused")
        clock.now += 0.099
    conn.warning("Unable connect to node with id %s: %s", 1, "refused")  # another level: its own kind
    clock.now += 0.2
    conn.error("Unable connect to node with id %s: %s", 1, "refused again")
    assert seen == [
        "aiokafka.test_logging: Unable connect to node with id 1: refused",
        "aiokafka.test_logging: Unable connect to node with id 1: refused",
        "aiokafka.test_logging: Unable connect to node with id 1: refused again [99 more like this in the last 10 s]",
    ]


def test_other_loggers_are_never_limited():
    limiter = RepeatLimiter(("aiokafka",), 10.0, Clock())
    logger, seen = capture(limiter, "test_logging")
    for _ in range(5):
        logger.error("database away")
    assert seen == ["test_logging: database away"] * 5


def test_a_line_logged_while_an_event_is_handled_names_it_and_none_after():
    import uuid

    from shared.logging import _SHARED, _add_event, bind_event, unbind_event

    assert _add_event in _SHARED  # in our loggers' chain and the libraries' alike
    eid = uuid.uuid4()
    bind_event(eid, "corr-1")
    assert _add_event(None, "info", {"event": "x"}) == {"event": "x", "event_id": str(eid), "correlation_id": "corr-1"}
    unbind_event()
    assert _add_event(None, "info", {"event": "x"}) == {"event": "x"}
