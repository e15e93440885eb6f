"""The bench's peer jobs run in their own pinned environments (bench/peers/requirements-*.txt)
and import supervision's domain (bench/peers/common.py): every third-party module that import
reaches must be pinned there too, or `make bench` fails at its peers (as it did once the
domain's zone state became a msgspec Struct)."""

from __future__ import annotations

import ast
import sys

import pytest

from shared.paths import REPO_ROOT

# Import name → distribution name, where they differ.
DISTRIBUTIONS = {"yaml": "pyyaml", "dateutil": "python-dateutil"}


def third_party_reached(start: str) -> set[str]:
    """Top-level third-party modules imported by `start` and the repo's modules it imports."""
    seen: set[str] = set()
    found: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = REPO_ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = REPO_ROOT / module.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top in ("services", "shared", "bench"):
                    todo.append(name)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    found.add(top)
    return found


@pytest.mark.parametrize("peer", ["quix", "faust"])
def test_every_module_the_peer_jobs_reach_is_pinned_in_their_environment(peer):
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (REPO_ROOT / "bench" / "peers" / f"requirements-{peer}.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    reached = {DISTRIBUTIONS.get(m, m).lower().replace("_", "-") for m in third_party_reached("bench.peers.common")}
    assert reached <= pinned, f"not pinned for the {peer} peer: {sorted(reached - pinned)}"
