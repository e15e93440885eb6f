"""`python -m bench.window --persons 100000 --seconds 60 [--set KEY=VALUE …]`: one of `make bench`'s
supervision windows alone, with the platform up (`make up`) and the persons seeded (`make bench`
leaves them).

Supervision is stopped, a backlog of fixes is put in front of it, and it is started again, with
`--set` added to its environment (`SPS_POLICY_DIR=…` for another checkpoint interval, say); the
window is measured as `make bench` measures it (bench/pipeline.throughput) and printed as JSON.
Supervision is then started again as the stack starts it, without the `--set`s.
"""

from __future__ import annotations

import asyncio

import orjson
import typer

from bench import pipeline
from bench.observe import Processes
from tools.devstack.__main__ import _stack
from tools.devstack.kafka_security import use_local_principal


def main(
    persons: int = typer.Option(100_000, help="the bench persons the fixes go to (round robin)"),
    seconds: float = typer.Option(60.0, help="the window"),
    rate_hint: int = typer.Option(50_000, help="fixes/s the backlog is sized for (it holds seconds + 5 of them)"),
    set_: list[str] = typer.Option([], "--set", help="KEY=VALUE for supervision's environment"),
) -> None:
    if bad := [item for item in set_ if "=" not in item]:
        raise typer.BadParameter(f"takes KEY=VALUE, not {bad[0]!r}", param_hint="--set")
    extra = dict(item.split("=", 1) for item in set_)
    stack = _stack(demo=True)
    use_local_principal()  # the running broker, as the operators
    usual = dict(stack.extra_env)
    stack.extra_env.update(extra)
    result = asyncio.run(pipeline.throughput(stack, Processes(stack), persons, seconds, rate_hint))
    if extra:
        stack.extra_env = usual
        stack.stop_service("supervision")
        stack.start_service("supervision")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    typer.run(main)
