"""`make test`'s runner: the lint and three lanes of tests at once, each phase timed.

The suite spends most of its time waiting on real processes (a deadline, a restart, a broker's
election): run one after another it kept two cores less than half busy. So four things run side
by side:
- the lint (`make lint-run`: ruff and mypy);
- the "platform" lane: unit and static tests, then the end-to-end tests on the six services, and
  last the identity scan and `down`/`up` (its output is shown as it runs);
- the "faults" lane: the fault suite on six services of its own, 30 ports up, then its identity
  scan (its output is kept in .local/test-faults.log and shown when it ends);
- the "infra" lane: the integration tests (in-process services) and the replicated platform's
  fault test, on a stack of its own 50 ports up, then its identity scan (.local/test-infra.log).
Each lane's pytest starts its stack in the background while its first tests run, one start at a
time across the lanes (tests/conftest.py, tests/session_stack.py).

Arguments go to pytest. If one of them names a file or directory, the suite runs as one process
over what it names, as plain pytest would.

At the end: each phase's time (setup's too, when `.ci/run` measured it and passed it in
`SPS_SETUP_SECONDS`), the lint's output if it failed, and the whole run's count as the last line.
The run fails if the lint or any lane failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.paths import LOCAL_DIR, REPO_ROOT

PYTEST_OPTIONS = ["--durations=30", "--durations-min=5"]
SUMMARY = re.compile(r"^=+ (.*) in [0-9.]+s.* =+$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass
class Run:
    """One child process, timed; its output to our stdout as it comes, or to a log shown at its end."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    log: Path | None = None
    started: float = 0.0
    seconds: float = 0.0
    rc: int | None = None
    closing: str = ""
    _thread: threading.Thread | None = None

    def start(self) -> Run:
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        out = open(self.log, "wb") if self.log else None
        proc = subprocess.Popen(
            self.argv, cwd=REPO_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.stdout is not None
        for raw in proc.stdout:
            if out is not None:
                out.write(raw)
                out.flush()
            else:
                sys.stdout.write(raw.decode(errors="replace"))
                sys.stdout.flush()
            line = raw.decode(errors="replace").strip()
            if SUMMARY.match(line):
                self.closing = line
        self.rc = proc.wait()
        self.seconds = time.monotonic() - self.started
        if out is not None:
            out.close()

    def wait(self) -> int:
        assert self._thread is not None
        self._thread.join()
        assert self.rc is not None
        return self.rc


def counts(closing: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for n, what in COUNT.findall(closing):
        key = "errors" if what.startswith("error") else what
        found[key] = found.get(key, 0) + int(n)
    return found


def lane(name: str) -> dict[str, str]:
    return {**os.environ, "SPS_TEST_LANE": name}


def main(args: list[str]) -> int:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    pytest = [sys.executable, "-m", "pytest", *PYTEST_OPTIONS]
    lint = Run("lint", ["make", "--no-print-directory", "-s", "lint-run"], log=LOCAL_DIR / "lint.log").start()
    if any(not a.startswith("-") and (REPO_ROOT / a.split("::")[0]).exists() for a in args):
        lanes = [Run("pytest", [*pytest, *args]).start()]
    else:
        lanes = [
            Run("platform lane", [*pytest, *args], env=lane("platform")).start(),
            *(
                Run(f"{name} lane", [*pytest, *args], env=lane(name), log=LOCAL_DIR / f"test-{name}.log").start()
                for name in ("faults", "infra")
            ),
        ]
    for run in lanes:
        run.wait()
        if run.log is not None:
            print(f"\n--- {run.name} ({run.log}) ---", flush=True)
            print(run.log.read_text(errors="replace"), flush=True)
    lint.wait()

    total: dict[str, int] = {}
    print("\n--- phases (side by side) ---")
    if setup := os.environ.get("SPS_SETUP_SECONDS"):
        print(f"{'setup (make setup browser, before)':38} {float(setup):7.1f} s")
    for run in (lint, *lanes):
        found = counts(run.closing)
        for key, n in found.items():
            total[key] = total.get(key, 0) + n
        said = run.closing.strip("= ") if run.closing else ""
        verdict = "ok" if run.rc == 0 else "nothing selected" if run.rc == 5 else "FAILED"
        print(f"{run.name:38} {run.seconds:7.1f} s  {verdict}  {said}")
    if lint.rc != 0 and lint.log is not None:
        print(f"\n--- the lint failed ({lint.log}) ---")
        print(lint.log.read_text(errors="replace"))
    failed = total.get("failed", 0) + total.get("errors", 0)
    if any(run.rc != 0 and not run.closing for run in lanes):
        failed += 1  # a lane that ended before pytest's closing line (a crash, an interrupt)
    # The whole run's count, as one plain line, last.
    print(f"total: {total.get('passed', 0)} passed, {failed} failed, {total.get('skipped', 0)} skipped")
    # pytest's 5 is "no test selected": a lane that the arguments left empty, beside one that ran
    ran = total.get("passed", 0) + failed > 0
    return 0 if lint.rc == 0 and all(run.rc == 0 or (run.rc == 5 and ran) for run in lanes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
