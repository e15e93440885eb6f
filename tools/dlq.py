"""The dead-letter topics from the command line: `python -m tools.dlq show|replay TOPIC`
(`make dlq-show`, `make dlq-replay`); the work is `shared.kafka.dlq`'s."""

from __future__ import annotations

import asyncio
import os

import typer
from rich.console import Console
from rich.table import Table

from shared.kafka.dlq import REPLAY_GROUP, replay, show
from shared.topics import dlq
from tools.devstack.kafka_security import use_local_principal

app = typer.Typer(add_completion=False, help="Inspect and replay the platform's dead-letter topics.")
console = Console()


@app.callback()
def _principal() -> None:
    """Beside `make up`, the operators' Kafka principal; else the one the environment names."""
    use_local_principal()


_BOOTSTRAP = typer.Option(
    os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
    "--bootstrap",
    help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
)


@app.command("show")
def show_cmd(
    topic: str = typer.Argument(..., help="the original topic, e.g. ingest.locations.v1"), bootstrap: str = _BOOTSTRAP
) -> None:
    """Count the records in TOPIC's dead-letter topic by reason."""
    try:
        counts = asyncio.run(show(bootstrap, topic))
    except ValueError as exc:
        console.print(f"[red]✗ {exc}[/]")
        raise typer.Exit(1) from None
    table = Table("reason", "records", title=dlq(topic))
    for reason, n in counts.most_common():
        table.add_row(reason, f"{n:,}")
    console.print(table)


@app.command("replay")
def replay_cmd(
    topic: str = typer.Argument(..., help="the original topic, e.g. ingest.locations.v1"),
    bootstrap: str = _BOOTSTRAP,
    group: str = typer.Option(
        REPLAY_GROUP, help="the replay's consumer group (its committed offsets say what was replayed already)"
    ),
) -> None:
    """Put TOPIC's dead-lettered records back on TOPIC, each once (run it after the fix is deployed)."""
    with console.status(f"replaying {dlq(topic)}") as status:
        try:
            result = asyncio.run(
                replay(bootstrap, topic, group=group, progress=lambda n: status.update(f"replayed {n:,} records"))
            )
        except ValueError as exc:
            console.print(f"[red]✗ {exc}[/]")
            raise typer.Exit(1) from None
    console.print(f"[green]✓[/] replayed {result.replayed:,} records from {dlq(topic)} onto {topic}")
    for reason, n in result.by_reason.most_common():
        console.print(f"  {n:>8,}  {reason}")


if __name__ == "__main__":
    app()
