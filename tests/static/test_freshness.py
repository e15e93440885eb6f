"""The freshness rule counts changed lines of the measured code, and a block moved unchanged is no
change (tests/static/freshness.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.static.freshness import staleness

FUNCTIONS = [
    f"def step_{i}(value: int) -> int:\n    return value * {i} + {i * 7}  # scaled and offset\n\n\n" for i in range(20)
]


def _commit(root: Path, message: str) -> str:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], cwd=root, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()


def test_a_module_split_in_two_is_no_change_and_an_edited_line_is(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "steps.py").write_text("".join(FUNCTIONS))
    measured = _commit(tmp_path, "one module")

    (tmp_path / "shared" / "steps.py").write_text("".join(FUNCTIONS[:10]))
    (tmp_path / "shared" / "more_steps.py").write_text("".join(FUNCTIONS[10:]))
    _commit(tmp_path, "split in two")
    assert staleness(measured, root=tmp_path).changed == 0

    (tmp_path / "shared" / "more_steps.py").write_text("".join(FUNCTIONS[10:]).replace("* 15 + 105", "* 15 + 106"))
    assert staleness(measured, root=tmp_path).changed == 2  # the line as it was, and as it is
