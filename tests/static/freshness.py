"""When committed figures (bench/results/latest.json, docs/reliability.md) are too old for the code.

The rule: the figures were made at a recorded commit; they stand while the Python code they
measure (under services/, shared/ and bench/; tests and docs are not counted) has changed since
by at most BUDGET of its lines, counted as `git diff --numstat` counts them (lines added plus
lines removed). Why lines and not commits: a commit may be one README line or a rewrite of the
fix path; what moves a figure is how much of the measured code changed. Why 3 %: the
benchmark's run-to-run spread is several per cent on this machine (docs/performance.md), and a
change of a few hundred lines, scattered, rarely moves a figure beyond it, while any rework of
a service (thousands of lines) spends the budget at once and asks for `make bench` or `make
reliability` again. Figures made with uncommitted changes stand for no commit and never pass."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from shared.paths import REPO_ROOT

MEASURED = ("services/*.py", "shared/*.py", "bench/*.py")
BUDGET = 0.03


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


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def staleness(commit: str) -> Staleness:
    _git("cat-file", "-e", f"{commit}^{{commit}}")  # a shallow clone lacks it: said, not guessed
    changed = 0
    for line in _git("diff", "--numstat", commit, "--", *MEASURED).splitlines():
        added, removed, _ = line.split("\t", 2)
        changed += int(added) + int(removed) if added != "-" else 0
    files = [f for f in _git("ls-files", "--", *MEASURED).splitlines() if f]
    total = sum(len((REPO_ROOT / f).read_bytes().splitlines()) for f in files if (REPO_ROOT / f).exists())
    return Staleness(commit, changed, total)
