"""The committed benchmark results carry every figure the benchmark reports (the numbers come from
`make bench`; this checks the file's shape and its internal consistency, not speed), and were
made at a commit whose measured code is still close enough to today's (tests/static/freshness.py)."""

import json

from bench.pipeline import percentile
from shared.paths import REPO_ROOT
from tests.static.freshness import BUDGET, staleness

RESULTS = REPO_ROOT / "bench" / "results" / "latest.json"


def test_latest_results_have_the_required_figures():
    out = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert out["raw_kafka"]["consume_per_s"] > 0
    assert out["pipeline"]["fixes_per_s"] > 0 and out["gateway"]["fixes_per_s"] > 0
    assert out["pipeline"]["ratio_to_raw_consume"] == round(
        out["pipeline"]["fixes_per_s"] / out["raw_kafka"]["consume_per_s"], 3
    )
    for key in ("p50", "p95", "p99", "live_feed_p99"):
        assert out["latency_ms"][key] is not None
    assert out["latency_ms"]["p50"] <= out["latency_ms"]["p95"] <= out["latency_ms"]["p99"]
    assert [s["persons"] for s in out["scale"]] == [1000, 10000, 100000]
    assert set(out["rss_mb"]) == {"supervision", "handover", "risk", "alerting", "command_centre", "exchange"}
    assert out["machine"]["commit"] and out["machine"]["cpus"]
    assert (REPO_ROOT / "bench" / "results" / "latest.png").stat().st_size > 10_000


def test_latest_results_were_made_on_the_code_as_it_is_now():
    machine = json.loads(RESULTS.read_text(encoding="utf-8"))["machine"]
    assert not machine.get("uncommitted_changes"), "made with uncommitted changes: they stand for no commit"
    stale = staleness(machine["commit"])
    assert stale.share <= BUDGET, f"{stale}: run `make bench` again"


def test_percentile_is_nearest_rank():
    assert percentile([], 99) is None
    assert percentile([5.0], 50) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) in (50.0, 51.0) and percentile(values, 99) == 99.0
