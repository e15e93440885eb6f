"""Prometheus metrics shared by every service (one registry per process)."""

from __future__ import annotations

import atexit
import gc
import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

CONSUMED = Counter("sps_events_consumed_total", "Records consumed", ["service", "topic"])
PRODUCED = Counter("sps_events_produced_total", "Records produced", ["service", "topic"])
FAILED = Counter("sps_events_failed_total", "Handler attempts that failed", ["service", "topic", "kind"])
DEAD_LETTERED = Counter("sps_events_dlq_total", "Records sent to a dead-letter topic", ["service", "topic"])
DUPLICATES = Counter("sps_events_duplicate_total", "Redelivered events skipped by the inbox", ["service", "topic"])
HANDLER_SECONDS = Histogram(
    "sps_handler_seconds",
    "Time to handle one batch, database commit included",
    ["service", "topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMER_RESTARTS = Counter("sps_consumer_restarts_total", "Consumers that failed and were started again", ["service"])
CONSUMER_LAG = Gauge("sps_consumer_lag", "Records behind the high-water mark", ["service", "topic", "partition"])
OUTBOX_PENDING = Gauge("sps_outbox_pending", "Outbox rows not yet published", ["service"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


GC_PAUSE = Histogram(
    "sps_gc_pause_seconds",
    "Pauses of the cyclic garbage collector, by the generation it collected",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        GC_PAUSE.labels(str(info["generation"])).observe(time.perf_counter() - _gc_started[0])


def watch_gc() -> None:
    """Time each collection: a collection stops the event loop, so its pauses are part of every
    latency the process adds (docs/operations.md)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
        atexit.register(_unwatch_gc)  # before the interpreter tears this module down


def _unwatch_gc() -> None:
    if _on_gc in gc.callbacks:
        gc.callbacks.remove(_on_gc)
