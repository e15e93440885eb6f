"""The integration and end-to-end tests wait for what happened, never for time
(docs/architecture.md, "Waiting in tests"): a sleep there only spaces the polls of a bounded
wait, so it is a constant under a second; a browser's wait_for_timeout likewise."""

import ast
from pathlib import Path

from shared.paths import REPO_ROOT

LIMITS = {"sleep": 1.0, "wait_for_timeout": 1000.0}  # seconds; Playwright's are milliseconds


def fixed_waits(path: Path) -> list[str]:
    found = []
    calls = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in LIMITS:
            continue
        arg = node.args[0] if node.args else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, int | float) and arg.value < LIMITS[name]):
            where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_wait_of_a_second_or_more_and_none_computed_in_integration_and_e2e_tests():
    files = sorted((REPO_ROOT / "tests" / "integration").glob("*.py")) + sorted(
        (REPO_ROOT / "tests" / "e2e").glob("*.py")
    )
    assert len(files) > 20
    waits = [w for f in files for w in fixed_waits(f)]
    assert waits == [], "\n".join(waits)


def test_the_check_sees_a_long_wait_and_a_computed_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def t(page, n):\n    await asyncio.sleep(2.0)\n    time.sleep(n)\n"
        "    await page.wait_for_timeout(2500)\n    await asyncio.sleep(0.2)\n",
        encoding="utf-8",
    )
    assert [w.split(": ", 1)[1] for w in fixed_waits(sample)] == [
        "asyncio.sleep(2.0)",
        "time.sleep(n)",
        "page.wait_for_timeout(2500)",
    ]
