"""The collector's pauses are timed by generation (shared/metrics.watch_gc)."""

from __future__ import annotations

import gc

from prometheus_client import REGISTRY

from shared.metrics import watch_gc


def _count(generation: str) -> float:
    return REGISTRY.get_sample_value("sps_gc_pause_seconds_count", {"generation": generation}) or 0.0


def _sum(generation: str) -> float:
    return REGISTRY.get_sample_value("sps_gc_pause_seconds_sum", {"generation": generation}) or 0.0


def test_each_collection_is_timed_under_its_generation_and_watching_twice_counts_once() -> None:
    watch_gc()
    watch_gc()
    gc.disable()  # only the collections asked for here: none set off by allocations meanwhile
    try:
        before_full, before_young, before_sum = _count("2"), _count("0"), _sum("2")
        gc.collect()
        gc.collect(0)
        after_full, after_young, after_sum = _count("2"), _count("0"), _sum("2")
    finally:
        gc.enable()
    assert after_full == before_full + 1
    assert after_young == before_young + 1
    assert after_sum > before_sum
