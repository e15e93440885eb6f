"""`python -m tools.replay --from … --to … --policy …` (`make replay`): what a changed alert
policy would have raised over a recorded period, set against what happened (tools/replay/engine.py)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from services.alerting.domain.policy import AlertPolicy, load_alert_policy
from shared.paths import POLICY_DIR
from shared.policy import load_policy
from shared.settings import DEFAULT_DATABASE_URL
from tools.devstack.kafka_security import use_local_principal
from tools.devstack.postgres import local_superuser_url
from tools.replay.engine import RuleRow, Simulation, compare
from tools.replay.load import read_period

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()


def _instant(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:  # a bare time is the county's (policy/calendar.yaml)
        from shared.county import default_county

        at = at.replace(tzinfo=default_county().tz)
    return at


def _counts(counter) -> str:
    return ", ".join(f"{k} {n}" for k, n in counter.most_common()) or "—"


@app.command()
def main(
    since: str = typer.Option(..., "--from", help="the period's start, ISO 8601 (no zone: the county's time)"),
    until: str = typer.Option(..., "--to", help="the period's end (exclusive)"),
    policy: Path = typer.Option(..., "--policy", help="the changed alerts.yaml, or a directory holding it"),
    bootstrap: str = typer.Option(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), "--bootstrap"),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="a server where scratch databases may be made (default: $DATABASE_URL, else make up's)",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="also write the rows as JSON here"),
) -> None:
    use_local_principal()
    database_url = database_url or os.environ.get("DATABASE_URL") or local_superuser_url() or DEFAULT_DATABASE_URL
    start, end = _instant(since), _instant(until)
    if end <= start:
        console.print("[red]✗ --to must be after --from[/]")
        raise typer.Exit(2)
    live = load_alert_policy(POLICY_DIR)
    changed = load_policy(policy, AlertPolicy) if policy.is_file() else load_alert_policy(policy)
    rows = asyncio.run(_run(bootstrap, database_url, start, end, live, changed))
    table = Table(
        "rule",
        "happened",
        "live replay",
        "would raise",
        "not raised",
        "newly raised",
        "changed",
        "outcomes of those not raised",
        title=f"Replay {start.isoformat()} → {end.isoformat()} with {policy}",
    )
    for r in rows:
        table.add_row(
            r.rule_id,
            str(r.happened),
            str(r.live_replay),
            str(r.would_raise),
            str(r.not_raised),
            str(r.newly_raised),
            _counts(r.changed),
            _counts(r.outcomes_not_raised),
        )
    console.print(table)
    if json_out:
        json_out.write_text(json.dumps([_jsonable(r) for r in rows], ensure_ascii=False, indent=2), encoding="utf-8")


async def _run(bootstrap: str, database_url: str, start: datetime, end: datetime, live, changed) -> list[RuleRow]:
    with console.status("reading the period from Kafka") as status:
        period = await read_period(bootstrap, start, end, progress=lambda n: status.update(f"read {n:,} events"))
    console.print(
        f"[green]✓[/] {len(period.signals):,} signals, {len(period.actual):,} alerts raised, "
        f"{len(period.steps):,} staff steps in the period"
    )
    outcomes = []
    for name, policy in (("live", live), ("changed", changed)):
        with console.status(f"replaying under the {name} policy") as status:
            async with Simulation(database_url, policy, f"sps_replay_{uuid.uuid4().hex[:8]}") as sim:
                outcomes.append(
                    await sim.run(
                        period, end, lambda n, total, name=name: status.update(f"{name} policy: {n:,} of {total:,}")
                    )
                )
    return compare(period.actual, outcomes[0], outcomes[1])


def _jsonable(r: RuleRow) -> dict:
    return {
        **r.__dict__,
        "changed": dict(r.changed),
        "outcomes_not_raised": dict(r.outcomes_not_raised),
        "outcomes_happened": dict(r.outcomes_happened),
    }


if __name__ == "__main__":
    app()
