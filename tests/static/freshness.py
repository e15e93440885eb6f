"""When committed figures (bench/results/latest.json, docs/reliability.md) are too old for the code.

The rule: the figures were made at a recorded commit; they stand while the Python code they
measure (under services/, shared/ and bench/; tests and docs are not counted) has changed since
by at most BUDGET of its lines, counted as `git diff --numstat` counts them (lines added plus
lines removed). Why lines and not commits: a commit may be one README line or a rewrite of the
fix path; what moves a figure is how much of the measured code changed. Why 3 %: the
benchmark's run-to-run spread is several per cent on this machine (docs/performance.md), and a
change of a few hundred lines, scattered, rarely moves a figure beyond it, while any rework of
a service (thousands of lines) spends the budget at once and asks for `make bench` or `make
reliability` again. A block of lines moved unchanged from one place to another (a module split
in two, a function moved to another file) is not a change: git's own moved-line detection
(`--color-moved`, blocks of at least 20 letters or digits, whitespace ignored) tells the moved
lines from the rest, and only the rest is counted. Figures made with uncommitted changes stand
for no commit and never pass."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shared.paths import REPO_ROOT

MEASURED = ("services/*.py", "shared/*.py", "bench/*.py")
BUDGET = 0.03
_CHANGED = re.compile(r"^\x1b\[(?:31m-|32m\+)", re.MULTILINE)  # a removed (red) or added (green) line


@dataclass
class Staleness:
    commit: str
    changed: int  # lines added plus removed since the commit
    total: int  # lines of the measured code now

    @property
    def share(self) -> float:
        return self.changed / self.total

    def __str__(self) -> str:
        return (
            f"{self.changed:,} of {self.total:,} measured lines changed since {self.commit} "
            f"({self.share:.1%}, budget {BUDGET:.0%})"
        )


def _git(*args: str, root: Path = REPO_ROOT) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def staleness(commit: str, root: Path = REPO_ROOT) -> Staleness:
    _git("cat-file", "-e", f"{commit}^{{commit}}", root=root)  # a shallow clone lacks it: said, not guessed
    # Colours named so each kind of line is known by its code: red/green changed, blue/yellow moved.
    colours = ["color.diff.old=red", "color.diff.new=green", "color.diff.oldMoved=blue", "color.diff.newMoved=yellow"]
    config = [arg for c in colours for arg in ("-c", c)]
    diff = _git(*config, "diff", "-U0", "--color=always", "--color-moved=plain", "--color-moved-ws=ignore-all-space",
                commit, "--", *MEASURED, root=root)  # fmt: skip
    changed = len(_CHANGED.findall(diff))
    files = [f for f in _git("ls-files", "--", *MEASURED, root=root).splitlines() if f]
    total = sum(len((root / f).read_bytes().splitlines()) for f in files if (root / f).exists())
    return Staleness(commit, changed, total)
