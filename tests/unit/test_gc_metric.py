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
    before_full, before_young, before_sum = _count("2"), _count("0"), _sum("2")
    gc.collect()
    gc.collect(0)
    assert _count("2") == before_full + 1
    assert _count("0") == before_young + 1
    assert _sum("2") > before_sum
