"""`python -m tools.devstack run|up|down|status|infra-up|infra-down` — what the Makefile calls."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from shared.paths import LOCAL_DIR
from tools.devstack import procs
from tools.devstack.stack import SERVICES, Stack

app = typer.Typer(add_completion=False, help="Run the SPS platform on this machine (no Docker needed).")
console = Console()


def _stack(demo: bool = True) -> Stack:
    """The default addresses of the contract; SPS_LOCAL_DIR, SPS_KAFKA_PORT, SPS_PG_PORT and
    SPS_PORT_OFFSET move a second copy (the tests use this) out of the way of the first."""
    env = {"SPS_DEMO_MODE": "true"} if demo else {}
    return Stack(
        root=Path(os.environ.get("SPS_LOCAL_DIR", LOCAL_DIR)),
        kafka_port=int(os.environ.get("SPS_KAFKA_PORT", 9092)),
        pg_port=int(os.environ.get("SPS_PG_PORT", 5432)),
        port_offset=int(os.environ.get("SPS_PORT_OFFSET", 0)),
        extra_env=env,
        say=lambda msg: console.print(f"[green]✓[/] {msg}"),
    )


@app.command()
def up(demo: bool = typer.Option(True, help="Enable the contract's demo clients and logins.")) -> None:
    """Start everything detached; return when every service answers /readyz."""
    stack = _stack(demo)
    try:
        stack.up()
    except Exception as exc:
        console.print(f"[red]✗ {exc}[/]")
        raise typer.Exit(1) from None


@app.command()
def down() -> None:
    """Stop every service, Kafka and PostgreSQL; leave no process behind."""
    stack = _stack()
    stack.down()
    left = [n for n, alive in stack.status().items() if alive and n not in ("kafka", "postgres")]
    if left:
        console.print(f"[red]✗ still running: {left}[/]")
        raise typer.Exit(1)
    console.print("[green]✓[/] SPS is down")


@app.command()
def run(demo: bool = typer.Option(True, help="Enable the contract's demo clients and logins.")) -> None:
    """Start everything and stay in the foreground; Ctrl-C stops all of it."""
    stack = _stack(demo)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.up()
        console.print("Press Ctrl-C to stop. Logs: .local/log/")
        while not stopping:
            time.sleep(0.5)
            dead = [n for n in SERVICES if not procs.alive(procs.read_pid(stack.pidfile(n)))]
            for name in dead:  # a crashed service is restarted, and said so
                console.print(f"[yellow]! {name} exited; restarting (see {stack.logfile(name)})[/]")
                stack.start_service(name)
    except Exception as exc:
        console.print(f"[red]✗ {exc}[/]")
        stack.down()
        sys.exit(1)
    console.print("Stopping…")
    stack.down()


@app.command()
def env(
    service: str = typer.Argument(..., help=f"one of {', '.join(SERVICES)}"),
    demo: bool = typer.Option(True, help="As `make up` runs it (demo mode), or not."),
) -> None:
    """Print a service's variables as `make up` gives them (its database roles, Kafka principal
    and keys), to run a command as that service: eval "$(python -m tools.devstack env command_centre)"."""
    import shlex

    if service not in SERVICES:
        console.print(f"[red]✗ no service {service!r}; one of {', '.join(SERVICES)}[/]")
        raise typer.Exit(2)
    stack = _stack(demo)
    own = {k: v for k, v in stack.service_env(service).items() if os.environ.get(k) != v}
    for key in sorted(own):
        print(f"export {key}={shlex.quote(own[key])}")


@app.command()
def status() -> None:
    """Show what is running."""
    for name, alive in _stack().status().items():
        console.print(f"{'[green]●' if alive else '[dim]○'}[/] {name}")


@app.command("infra-up")
def infra_up() -> None:
    """Start only Kafka and PostgreSQL."""
    _stack().infra_up()


@app.command("infra-down")
def infra_down() -> None:
    _stack().infra_down()


if __name__ == "__main__":
    app()
