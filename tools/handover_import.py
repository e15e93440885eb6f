"""Bulk import of a prison's monthly pre-release list (CSV or XLSX) through the gateway.

    python -m tools.handover_import LIST.xlsx --client-id prison-demo --client-secret … [--report bad.csv]

Every row is checked with the gateway's own request model first; a bad row is reported with its
row number and field and never stops the good ones. Good rows go in batches of 500 to
`POST /v1/release-notices/batch` (identities are sealed there, never here), honouring 429/503
Retry-After; each row's answer names its index, so a row the gateway refuses (a number already
sent with other content) is reported against its own row. A progress bar shows
the work; the exit code is 0 when every row was either accepted or reported.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.exchange.domain.requests import ReleaseNoticeIn

COLUMNS = [
    "notice_no",
    "prison",
    "name",
    "id_number",
    "sex",
    "phone",
    "residence_town",
    "residence_address",
    "offence",
    "offence_category",
    "release_date",
    "sentence_months",
    "deprived_political_rights",
    "three_false",
    "household_residence_separated",
    "serious_illness",
    "reform_performance",
    "prison_risk_rating",
    "destination_town",
    "destination_address",
]
BOOLEAN = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "": False,
}
FLAGS = ("deprived_political_rights", "three_false", "household_residence_separated", "serious_illness")


@dataclass
class Outcome:
    accepted: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)  # row, field, message


def read_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() for h in next(rows)]
        return [{h: "" if v is None else str(v).strip() for h, v in zip(header, row)} for row in rows]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def to_body(row: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "notice_no": row.get("notice_no"),
        "prison": row.get("prison"),
        "offence": row.get("offence"),
        "offence_category": row.get("offence_category"),
        "release_date": row.get("release_date"),
        "sentence_months": row.get("sentence_months") or None,
        "reform_performance": row.get("reform_performance") or "average",
        "prison_risk_rating": row.get("prison_risk_rating") or "medium",
        "person": {
            "name": row.get("name"),
            "id_number": row.get("id_number"),
            "sex": row.get("sex"),
            "phone": row.get("phone") or None,
            "residence": {"town": row.get("residence_town"), "address": row.get("residence_address") or None},
        },
        "destination": {"town": row.get("destination_town"), "address": row.get("destination_address") or None},
    }
    for flag in FLAGS:
        value = row.get(flag, "").lower()
        body[flag] = BOOLEAN.get(value, value)  # an unknown word fails validation and is reported
    return body


def check(rows: list[dict[str, str]]) -> tuple[list[tuple[int, dict]], list[dict[str, Any]]]:
    good, bad = [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        body = to_body(row)
        try:
            ReleaseNoticeIn.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors():
                bad.append(
                    {
                        "row": number,
                        "field": ".".join(str(p) for p in err["loc"]),
                        "message": err["msg"].removeprefix("Value error, "),
                    }
                )
            continue
        good.append((number, body))
    return good, bad


async def submit(
    gateway: str,
    client_id: str,
    secret: str,
    good: list[tuple[int, dict]],
    outcome: Outcome,
    progress: Progress,
    task,
    batch: int = 500,
    concurrency: int = 2,
) -> None:
    """The good rows in batches to `POST /v1/release-notices/batch`; each row's answer comes back
    by its index in the batch, so a refusal is reported against its own spreadsheet row."""
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as client:
        token = (
            (
                await client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
                )
            )
            .raise_for_status()
            .json()
        )
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        queue: asyncio.Queue = asyncio.Queue()
        for start in range(0, len(good), batch):
            queue.put_nowait(good[start : start + batch])

        async def worker() -> None:
            while not queue.empty():
                chunk = queue.get_nowait()
                notices = [body for _, body in chunk]
                # A retried import sends the same key for the same rows (headers are ASCII: a hash).
                digest = hashlib.sha256(json.dumps(notices, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
                key = f"import-batch-{digest[:40]}"
                while True:
                    r = await client.post(
                        "/v1/release-notices/batch",
                        json={"notices": notices},
                        headers={**headers, "Idempotency-Key": key},
                    )
                    if r.status_code in (429, 503):
                        await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                        continue
                    break
                if r.status_code == 200:
                    for result in r.json()["results"]:
                        number = chunk[result["index"]][0]
                        if result["status"] in ("accepted", "duplicate"):
                            outcome.accepted += 1
                        else:
                            for err in result.get("errors") or []:
                                outcome.bad.append({"row": number, **err})
                else:  # the whole batch refused (the client's scope, a body too large): every row reported
                    problem = r.json() if r.headers.get("content-type", "").startswith("application/") else {}
                    detail = problem.get("detail", r.text)
                    for number, _ in chunk:
                        outcome.bad.append({"row": number, "field": "(row)", "message": detail})
                progress.advance(task, len(chunk))

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def run(
    path: Path, gateway: str, client_id: str, secret: str, report: Path | None, console: Console | None = None
) -> Outcome:
    console = console or Console()
    rows = read_rows(path)
    good, bad = check(rows)
    outcome = Outcome(bad=bad)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task(f"导入 {path.name}", total=len(rows))
        progress.advance(task, len({b["row"] for b in bad}))
        asyncio.run(submit(gateway, client_id, secret, good, outcome, progress, task))
    outcome.bad.sort(key=lambda b: b["row"])
    if report is not None:
        with report.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["row", "field", "message"])
            writer.writeheader()
            writer.writerows(outcome.bad)
    bad_rows = len({b["row"] for b in outcome.bad})
    console.print(
        f"accepted {outcome.accepted} of {len(rows)} rows; {bad_rows} rows refused"
        + (f" (report: {report})" if report else "")
    )
    return outcome


def main(
    path: Path = typer.Argument(..., exists=True, readable=True, help="CSV (UTF-8) or XLSX"),
    gateway: str = typer.Option("http://127.0.0.1:8080", help="the exchange gateway"),
    client_id: str = typer.Option(..., help="the prison's client id"),
    client_secret: str = typer.Option(..., envvar="SPS_IMPORT_CLIENT_SECRET", help="its secret"),
    report: Path = typer.Option(None, help="write the refused rows (row, field, message) here as CSV"),
) -> None:
    run(path, gateway, client_id, client_secret, report)


if __name__ == "__main__":
    typer.run(main)
