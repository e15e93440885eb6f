"""`make bench` — `python -m bench [--scales 1000,10000,100000] [--seconds 60]`.

Uses the running platform (`make up`), or brings it up and down again. Writes
bench/results/latest.json and bench/results/latest.png, and prints a table.
"""

from __future__ import annotations

import asyncio
import time

import orjson
import typer
from rich.console import Console
from rich.table import Table

from bench import load, peer_bench, pipeline, raw
from bench.observe import Processes, machine
from bench.report import chart
from bench.tidy import tidy
from services.supervision.domain.policy import load_supervision_policy
from shared.paths import POLICY_DIR, REPO_ROOT
from tools.devstack import procs as devprocs
from tools.devstack.__main__ import _stack
from tools.devstack.kafka_security import use_local_principal
from tools.devstack.stack import SERVICES, Stack

console = Console(width=110)
RESULTS = REPO_ROOT / "bench" / "results"
# The map's freshness target is the policy's checkpoint interval (services/supervision/positions.py).
CHECKPOINT_S = load_supervision_policy(POLICY_DIR).map.checkpoint_every.total_seconds()
TARGETS = {"ratio_to_raw_consume": 0.70, "fixes_per_s": 10_000, "p99_ms": 250, "cost_growth": 0.10, "rss_mb": 200}


def platform_up(stack: Stack) -> bool:
    """True when this run started the platform (and so stops it)."""
    if all(devprocs.port_open("127.0.0.1", stack.port(name)) for name in SERVICES):
        console.print("using the running platform")
        return False
    console.print("bringing the platform up…")
    stack.up()
    return True


async def run(
    stack: Stack,
    scales: list[int],
    seconds: float,
    scale_seconds: float,
    latency_seconds: float,
    background: int,
    instances: list[int],
    peers: list[str],
) -> dict:
    processes = Processes(stack)
    partitions = stack_partitions()
    out: dict = {"machine": machine(), "started_at": pipeline.stamp(), "targets": TARGETS}
    console.print("tidied before the run:", await tidy(stack))  # the disk earlier runs filled (bench/tidy.py)
    console.rule("raw aiokafka baseline")
    out["raw_kafka"] = await raw.run(stack.bootstrap, list(load.inside_fixes(range(1000), 300_000)), partitions)
    console.print(out["raw_kafka"])
    out["scale"] = []
    for persons in scales:
        console.rule(f"{persons:,} persons")
        seeded = await pipeline.seed(stack, persons)
        window = seconds if persons == scales[-1] else scale_seconds
        hint = max(2000, int(out["scale"][-1]["fixes_per_s"] * 1.5) if out["scale"] else 40_000)
        result = await pipeline.throughput(stack, processes, persons, window, hint)
        result["seed_seconds"] = round(seeded, 1)
        console.print(result)
        out["scale"].append(result)
    top = out["scale"][-1]
    persons = scales[1] if len(scales) > 1 else scales[0]
    out["scale_out"] = []
    for n in instances:
        console.rule(f"supervision as {n} instance(s), {persons:,} persons")
        result = await pipeline.throughput(
            stack, processes, persons, scale_seconds, int(top["fixes_per_s"] * 1.5 * n), instances=n
        )
        console.print(result)
        out["scale_out"].append(result)
    # The peers: the same job in Quix Streams and faust-streaming, on the records supervision's
    # window at the middle scale got (bench/peer_bench.py).
    peer_scale = next(s for s in out["scale"] if s["persons"] == persons)
    out["peers"] = [dict(peer_scale, peer="supervision")]
    for name in peers:
        console.rule(f"peer: {name}, {persons:,} persons")
        result = await peer_bench.run(stack, name, persons, scale_seconds, int(peer_scale["fixes_per_s"] * 1.5))
        console.print(result)
        out["peers"].append(result)
    out["pipeline"] = {
        "fixes_per_s": top["fixes_per_s"],
        "persons": top["persons"],
        "seconds": top["seconds"],
        "ratio_to_raw_consume": round(top["fixes_per_s"] / out["raw_kafka"]["consume_per_s"], 3),
        "lag_start": top["lag_start"],
        "lag_end": top["lag_end"],
    }
    console.rule("gateway")
    out["gateway"] = await pipeline.gateway(stack, processes, scales[-1], 20)
    console.print(out["gateway"])
    console.rule(f"latency under {background:,} fixes/s")
    lat = await pipeline.latency(stack, scales[-1], latency_seconds, background)
    samples = lat.pop("samples_ms")
    out["latency_ms"] = lat
    console.print(lat)
    processes.sample_rss()
    out["rss_mb"] = {name: mb for name, mb in processes.peak_rss.items() if name in SERVICES}
    base, big = out["scale"][0]["supervision_cpu_us_per_fix"], out["scale"][-1]["supervision_cpu_us_per_fix"]
    out["cost_growth"] = round(big / base - 1, 3) if base and big else None
    out["finished_at"] = pipeline.stamp()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
    chart(out, samples, RESULTS / "latest.png")
    print_table(out)
    console.print("tidied after the run:", await tidy(stack))
    return out


def stack_partitions() -> int:
    from shared.settings import ServiceSettings

    return ServiceSettings(service_name="bench").topic_partitions


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("[green]met[/]" if ok else "[red]missed[/]")


def print_table(out: dict) -> None:
    m = out["machine"]
    speed = f" · sum(range(1000)) {m['speed_reference_us']} µs" if m.get("speed_reference_us") else ""
    t = Table(title=f"SPS benchmark · {m['cpus']} cores{speed} · commit {m['commit']}")
    for col in ("measure", "value", "target", ""):
        t.add_column(col)
    raw_rate, pipe = out["raw_kafka"]["consume_per_s"], out["pipeline"]
    lat, rss = out["latency_ms"], out["rss_mb"]
    t.add_row("raw aiokafka consume", f"{raw_rate:,}/s", "", "")
    t.add_row("raw aiokafka produce", f"{out['raw_kafka']['produce_per_s']:,}/s", "", "")
    t.add_row(
        f"supervision, {pipe['persons']:,} persons, {pipe['seconds']} s",
        f"{pipe['fixes_per_s']:,}/s",
        f"≥ {TARGETS['fixes_per_s']:,}/s",
        verdict(pipe["fixes_per_s"] >= TARGETS["fixes_per_s"]),
    )
    t.add_row(
        "ratio to raw consume",
        f"{pipe['ratio_to_raw_consume']:.0%}",
        "≥ 70%",
        verdict(pipe["ratio_to_raw_consume"] >= TARGETS["ratio_to_raw_consume"]),
    )
    t.add_row("gateway (HTTP batches of 1,000)", f"{out['gateway']['fixes_per_s']:,}/s", "", "")
    t.add_row(
        f"fix → alert p50 / p95 / p99 ({lat['background_per_s']:,}/s)",
        f"{lat['p50']} / {lat['p95']} / {lat['p99']} ms",
        "p99 ≤ 250 ms",
        verdict(lat["p99"] is not None and lat["p99"] <= TARGETS["p99_ms"]),
    )
    t.add_row(
        "fix → live feed p99",
        f"{lat['live_feed_p99']} ms",
        "≤ 100 ms",
        verdict(lat["live_feed_p99"] is not None and lat["live_feed_p99"] <= 100),
    )
    if lat.get("map_freshness_max_ms") is not None:
        t.add_row(
            f"map freshness p50 / max ({lat['map_seen']} of {lat['map_probes']} probes)",
            f"{lat['map_freshness_p50_ms']} / {lat['map_freshness_max_ms']} ms",
            f"≤ the checkpoint interval ({CHECKPOINT_S:g} s) + 0.5 s",
            verdict(
                lat["map_seen"] == lat["map_probes"] and lat["map_freshness_max_ms"] <= (CHECKPOINT_S + 0.5) * 1000
            ),
        )
    for s in out["scale"]:
        rows = sum(s.get("rows_per_fix", {}).values())
        t.add_row(
            f"  {s['persons']:,} persons",
            f"{s['fixes_per_s']:,}/s · {s['supervision_cpu_us_per_fix']} µs CPU/fix · {rows:.2f} rows/fix",
            "",
            "",
        )
    growth = out["cost_growth"]
    t.add_row(
        "per-fix cost growth (largest vs smallest)",
        f"{growth:+.1%}" if growth is not None else "—",
        "≤ 10%",
        verdict(None if growth is None else growth <= TARGETS["cost_growth"]),
    )
    for s in out.get("scale_out", []):
        t.add_row(
            f"  supervision × {s['instances']} ({s['persons']:,} persons)",
            f"{s['fixes_per_s']:,}/s · {s['supervision_cpu_share']} cores busy",
            "grows with instances ≤ cores",
            "",
        )
    peers = out.get("peers", [])
    for s in peers:
        t.add_row(
            f"  {s['peer']} ({s['persons']:,} persons, {s['seconds']} s)",
            f"{s['fixes_per_s']:,}/s · {s.get('cpu_us_per_fix') or s.get('supervision_cpu_us_per_fix')} µs CPU/fix",
            "supervision ahead of every peer" if s["peer"] == "supervision" else "",
            verdict(all(s["fixes_per_s"] > p["fixes_per_s"] for p in peers[1:])) if s["peer"] == "supervision" else "",
        )
    for name, mb in sorted(rss.items()):
        t.add_row(f"  peak RSS {name}", f"{mb} MB", "≤ 200 MB", verdict(mb <= TARGETS["rss_mb"]))
    console.print(t)


def main(
    scales: str = typer.Option("1000,10000,100000", help="persons per scale step, ascending"),
    seconds: float = typer.Option(60, help="the sustained window at the largest scale"),
    scale_seconds: float = typer.Option(20, help="the window at the smaller scales"),
    latency_seconds: float = typer.Option(30),
    background: int = typer.Option(5000, help="fixes/s of background load while latency is probed"),
    instances: str = typer.Option("1,2,3", help="supervision instances for the scale-out step"),
    peers: str = typer.Option("quix,faust", help="peer stream processors to run beside supervision ('' for none)"),
) -> None:
    started = time.monotonic()
    stack = _stack(demo=True)  # the same addresses and demo logins as `make up`
    use_local_principal()  # a running platform's broker; stack.up() sets it when it starts one
    started_here = platform_up(stack)
    try:
        asyncio.run(
            run(
                stack,
                [int(s) for s in scales.split(",")],
                seconds,
                scale_seconds,
                latency_seconds,
                background,
                [int(n) for n in instances.split(",")],
                [p for p in peers.split(",") if p],
            )
        )
    finally:
        if started_here:
            stack.down()
    console.print(f"benchmark finished in {time.monotonic() - started:.0f} s → {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    typer.run(main)
