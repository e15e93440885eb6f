"""docs/reliability.md is the fault suite's own output (`make reliability`): it names every fault
test in tests/faults, its committed figures say nothing was lost or doubled, and they were made
at a commit whose measured code is still close enough to today's (tests/static/freshness.py)."""

import re

from shared.paths import REPO_ROOT
from tests.faults.conftest import render
from tests.static.freshness import BUDGET, staleness

DOC = REPO_ROOT / "docs" / "reliability.md"


def test_the_page_has_a_row_per_fault_and_no_losses():
    text = DOC.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| fault", "| ---"))]
    fault_tests = sorted(p.name for p in (REPO_ROOT / "tests" / "faults").glob("test_*.py"))
    assert len(rows) >= len(fault_tests), (len(rows), fault_tests)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[5] == "0" and cells[6] == "0", row  # lost, doubled
    assert re.search(r"commit `[0-9a-f]{7,}`", text)


def test_the_page_was_made_on_the_code_as_it_is_now():
    text = DOC.read_text(encoding="utf-8")
    made = re.search(r"commit `([0-9a-f]{7,})`( with uncommitted changes)?", text)
    assert made, "the page names no commit"
    assert not made.group(2), "made with uncommitted changes: it stands for no commit"
    stale = staleness(made.group(1))
    assert stale.share <= BUDGET, f"{stale}: run `make reliability` again"


def test_the_page_renders_from_figures():
    report = {
        "generated_at": "2026-11-26T00:00:00+00:00",
        "suite_seconds": 1.0,
        "machine": {"commit": "abc1234", "cpus": 2, "memory_gb": 23.5, "python": "3.11.7"},
        "faults": [
            {
                "fault": "f",
                "how": "h",
                "events_sent": 1000,
                "faults_injected": 1,
                "expected": 10,
                "delivered_once": 9,
                "lost": 1,
                "doubled": 0,
                "recovery_s": None,
                "notes": ["n"],
            }
        ],
    }
    page = render(report)
    assert "| f | 1,000 | 1 | 10 | 9 | 1 | 0 | — |" in page and "- n" in page
