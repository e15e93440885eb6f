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
from tools.devstack.postgres import PostgresPair
from tools.devstack.stack import SERVICES, Stack

app = typer.Typer(add_completion=False, help="Run the SPS platform on this machine (no Docker needed).")
console = Console()


# `make up CLUSTER=3`: the replicated platform (docs/operations.md, "Beyond one machine").
CLUSTER_REPLICAS = {"supervision": 2, "alerting": 2}
CLUSTER_OPTION = typer.Option(
    1,
    "--cluster",
    min=1,
    help="Kafka brokers. 3 (or more): every topic replicated to each, a synchronous PostgreSQL "
    "standby, two instances each of supervision and alerting; its data under .local/cluster/.",
)


def _stack(demo: bool = True, cluster: int = 1) -> Stack:
    """The default addresses of the contract; SPS_LOCAL_DIR, SPS_KAFKA_PORT, SPS_PG_PORT and
    SPS_PORT_OFFSET move a second copy (the tests use this) out of the way of the first, and
    SPS_DURABLE=false turns PostgreSQL's fsync off for a copy that is thrown away after."""
    env = {"SPS_DEMO_MODE": "true"} if demo else {}
    root = Path(os.environ.get("SPS_LOCAL_DIR", LOCAL_DIR))
    return Stack(
        root=root / "cluster" if cluster > 1 else root,
        kafka_port=int(os.environ.get("SPS_KAFKA_PORT", 9092)),
        pg_port=int(os.environ.get("SPS_PG_PORT", 5432)),
        port_offset=int(os.environ.get("SPS_PORT_OFFSET", 0)),
        durable=os.environ.get("SPS_DURABLE", "true").lower() not in ("0", "false", "no"),
        extra_env=env,
        say=lambda msg: console.print(f"[green]✓[/] {msg}"),
        brokers=cluster,
        standby=cluster > 1,
        replicas=CLUSTER_REPLICAS if cluster > 1 else {},
    )


def _stacks() -> list[Stack]:
    """The one-node stack, and the cluster's if one was ever made: `down` and `status` see both."""
    stacks = [_stack()]
    if (stacks[0].root / "cluster" / "kafka" / "credentials.json").exists():
        stacks.append(_stack(cluster=len(list((stacks[0].root / "cluster" / "kafka").glob("node*")))))
    return stacks


@app.command()
def up(
    demo: bool = typer.Option(True, help="Enable the contract's demo clients and logins."),
    cluster: int = CLUSTER_OPTION,
) -> None:
    """Start everything detached; return when every service answers /readyz."""
    stack = _stack(demo, cluster)
    try:
        stack.up()
    except Exception as exc:
        console.print(f"[red]✗ {exc}[/]")
        raise typer.Exit(1) from None


@app.command()
def down() -> None:
    """Stop every service, Kafka and PostgreSQL; leave no process behind."""
    left = []
    for stack in _stacks():
        stack.down()
        left += [n for n, alive in stack.status().items() if alive and n not in ("kafka", "postgres")]
    if left:
        console.print(f"[red]✗ still running: {left}[/]")
        raise typer.Exit(1)
    console.print("[green]✓[/] SPS is down")


@app.command()
def run(
    demo: bool = typer.Option(True, help="Enable the contract's demo clients and logins."),
    cluster: int = CLUSTER_OPTION,
) -> None:
    """Start everything and stay in the foreground; Ctrl-C stops all of it."""
    stack = _stack(demo, cluster)
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
            dead = [
                (n, i)
                for n in SERVICES
                for i in stack.instances(n)
                if not procs.alive(procs.read_pid(stack.pidfile(n, i)))
            ]
            for name, i in dead:  # a crashed service is restarted, and said so
                console.print(f"[yellow]! {name} exited; restarting (see {stack.logfile(name, i)})[/]")
                stack.start_service(name, i)
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
    for stack in _stacks():
        if stack.brokers > 1:
            console.print(f"cluster ({stack.root}):")
        for name, alive in stack.status().items():
            console.print(f"{'[green]●' if alive else '[dim]○'}[/] {name}")


@app.command()
def promote() -> None:
    """After the PostgreSQL primary of `make up CLUSTER=3` died: promote its standby. The services
    find the new primary by themselves (their multi-host DATABASE_URL asks for read-write); the
    next `make up CLUSTER=3` makes the old primary a standby of the new one."""
    stack = next((s for s in _stacks() if isinstance(s.pg, PostgresPair)), None)
    if stack is None:
        console.print("[red]✗ no cluster here: `make up CLUSTER=3` runs PostgreSQL with a standby[/]")
        raise typer.Exit(2)
    pair = stack.pg
    assert isinstance(pair, PostgresPair)
    if pair.primary.running():
        console.print(f"[red]✗ the primary (127.0.0.1:{pair.primary.port}) is running: promote only after it died[/]")
        raise typer.Exit(1)
    if not pair.standby.running():
        console.print(f"[red]✗ the standby (127.0.0.1:{pair.standby.port}) is not running either[/]")
        raise typer.Exit(1)
    t = time.monotonic()
    new = pair.promote()
    console.print(f"[green]✓[/] 127.0.0.1:{new.port} is the primary ({time.monotonic() - t:.1f}s)")


@app.command("infra-up")
def infra_up() -> None:
    """Start only Kafka and PostgreSQL."""
    _stack().infra_up()


@app.command("infra-down")
def infra_down() -> None:
    _stack().infra_down()


if __name__ == "__main__":
    app()
