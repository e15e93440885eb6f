"""The benchmark's chart: throughput beside the raw ceiling, cost per fix by scale, latency spread."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def chart(out: dict, latency_samples: list[float], path: Path) -> None:
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.5))
    names = ["raw consume", "supervision", "gateway"]
    values = [out["raw_kafka"]["consume_per_s"], out["pipeline"]["fixes_per_s"], out["gateway"]["fixes_per_s"]]
    a.bar(names, values, color=["#607d8b", "#1565c0", "#2e7d32"])
    a.axhline(out["targets"]["fixes_per_s"], color="#c62828", linestyle="--", label="target")
    a.set_title("fixes per second")
    a.legend()
    persons = [s["persons"] for s in out["scale"]]
    b.plot(persons, [s["supervision_cpu_us_per_fix"] for s in out["scale"]], marker="o")
    b.set_xscale("log")
    b.set_ylim(bottom=0)
    b.set_title("supervision CPU µs per fix, by persons")
    if latency_samples:
        c.hist(latency_samples, bins=40, color="#1565c0")
        c.axvline(out["targets"]["p99_ms"], color="#c62828", linestyle="--", label="p99 target")
        c.legend()
    c.set_title(f"fix → alert latency (ms) at {out['latency_ms']['background_per_s']:,}/s")
    fig.suptitle(f"SPS benchmark · commit {out['machine']['commit']} · {out['machine']['cpus']} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
