"""A prison's monthly list of 5,000 rows with 50 bad ones, through the real import command: the 4,950
good rows land in the handover service, and the report names each bad row and its field."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from shared.paths import REPO_ROOT
from tests.factories import random_id_number
from tests.internal_calls import service_headers
from tools.handover_import import COLUMNS

BAD_KINDS = [
    (
        "id_number",
        lambda r: r.update(id_number=r["id_number"][:17] + ("0" if r["id_number"][17] != "0" else "1")),
        "person.id_number",
    ),
    ("notice_no", lambda r: r.update(notice_no=""), "notice_no"),
    ("release_date", lambda r: r.update(release_date="2027-02-30"), "release_date"),
    ("offence_category", lambda r: r.update(offence_category="murderish"), "offence_category"),
    ("three_false", lambda r: r.update(three_false="maybe"), "three_false"),
]


def row(prefix: str, i: int) -> dict[str, str]:
    return {
        "notice_no": f"{prefix}{i:05d}",
        "prison": "江苏省苏州监狱",
        "name": "周八",
        "id_number": random_id_number(),
        "sex": "M",
        "phone": "",
        "residence_town": "青阳镇",
        "residence_address": "",
        "offence": "盗窃罪",
        "offence_category": "property",
        "release_date": "2027-03-01",
        "sentence_months": "24",
        "deprived_political_rights": "否",
        "three_false": "否",
        "household_residence_separated": "否",
        "serious_illness": "否",
        "reform_performance": "good",
        "prison_risk_rating": "low",
        "destination_town": "青阳镇",
        "destination_address": "",
    }


def import_file(platform, path: Path, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.handover_import",
            str(path),
            "--gateway",
            platform.url("exchange"),
            "--client-id",
            "prison-demo",
            "--client-secret",
            "prison-demo-secret",
            "--report",
            str(report),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def landed(platform, prefix: str) -> int:
    r = httpx.get(
        f"{platform.url('handover')}/internal/v1/handovers",
        headers=service_headers("handover"),
        params={"notice_prefix": prefix, "limit": 10000},
        timeout=30,
    )
    return len(r.json())


def test_5000_rows_with_50_bad(platform, tmp_path: Path):
    prefix = f"IMP-{uuid.uuid4().hex[:6]}-"
    rows = [row(prefix, i) for i in range(5000)]
    expected_bad = {}
    for n, i in enumerate(range(7, 5000, 100)):  # 50 rows spread through the file
        column, spoil, field = BAD_KINDS[n % len(BAD_KINDS)]
        spoil(rows[i])
        expected_bad[i + 2] = field  # +1 for the header, +1 for counting from 1
    path = tmp_path / "monthly.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    started = time.monotonic()
    result = import_file(platform, path, tmp_path / "report.csv")
    print(f"\nimport of 5,000 rows: {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted 4950 of 5000 rows; 50 rows refused" in " ".join(result.stdout.split())
    with (tmp_path / "report.csv").open(encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert {int(r["row"]): r["field"] for r in report} == expected_bad
    assert all(r["message"] for r in report)

    deadline = time.monotonic() + 180
    while (count := landed(platform, prefix)) < 4950 and time.monotonic() < deadline:
        time.sleep(1)
    assert count == 4950


def test_an_xlsx_list_is_read_the_same_way(platform, tmp_path: Path):
    from openpyxl import Workbook

    prefix = f"XLS-{uuid.uuid4().hex[:6]}-"
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for i in range(10):
        r = row(prefix, i)
        if i == 4:
            r["release_date"] = "soon"
        sheet.append([r[c] for c in COLUMNS])
    path = tmp_path / "monthly.xlsx"
    book.save(path)
    result = import_file(platform, path, tmp_path / "report.csv")
    assert result.returncode == 0 and "accepted 9 of 10 rows; 1 rows refused" in " ".join(result.stdout.split())
    deadline = time.monotonic() + 60
    while landed(platform, prefix) < 9 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert landed(platform, prefix) == 9
