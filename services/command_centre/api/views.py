"""The console's other pages: map, person programmes, statistics and the monthly report (统计报告).

County staff see every office; a justice officer only their own (filtered here, before anything
leaves the command centre).
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from pydantic import BaseModel, Field

from services.command_centre.adapters import queries
from services.command_centre.deps import CommandCentreParts, Parts, User
from services.command_centre.domain.indicators import CATALOGUE, COUNTS, RATES, Indicator
from services.command_centre.persons import audit_read, for_person, person_visible
from services.command_centre.statistics import month_figures
from shared import audit
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Refused

router = APIRouter(tags=["staff"])
MONTH = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"  # a month of this era: 0001-01 has no month before it
Month = Annotated[str | None, Query(pattern=MONTH)]
# L1: what goes into an internal URL is checked first (a `..` would reach other internal routes).
MonthPath = Annotated[str, Path(pattern=MONTH, description="YYYY-MM")]


def known_office(parts: CommandCentreParts, office: str) -> str:
    """One of the county's justice offices, or a 422 naming `office`."""
    if office not in parts.geography.offices:
        raise Refused("office", f"{office[:60]!r} is not a justice office of the county")
    return office


# One place for the indicators: key, zh label, en label (the statistics page and the report share it).
SENTENCE_KINDS = {"probation": "缓刑", "parole": "假释", "control": "管制", "medical_parole": "暂予监外执行"}
COLOURS = [("red", "红色"), ("orange", "橙色"), ("yellow", "黄色"), ("blue", "蓝色")]


@router.get("/api/v1/offices")
async def offices(parts: Parts, user: User) -> list[str]:
    """The justice offices this user sees (all 17 for county staff)."""
    return [o for o in parts.geography.offices if user.sees(o)]


# --- map ----------------------------------------------------------------------------------------


@router.get("/api/v1/map/geometry")
async def geometry(parts: Parts, user: User):
    """The county polygon and offices (policy) and the visible cases' exclusion zones and areas."""
    geo = parts.geography
    params = {} if user.county_wide else {"jurisdiction": user.office}
    zones = await parts.supervision.call("GET", "/internal/v1/zones", params=params)
    await audit_read(parts, user, f"map:geometry:{user.office}")  # victims' exclusion zones among them
    offices = {k: v for k, v in geo.offices.items() if user.sees(k)}
    return {
        "county": {"name_zh": geo.county.name_zh, "polygon": geo.county.polygon, "centre": geo.county.centre},
        "offices": offices,
        **zones,
    }


@router.get("/api/v1/map/positions")
async def positions(parts: Parts, user: User, office: str | None = None):
    if office:
        user.must_see(office)
    jurisdiction = office or (None if user.county_wide else user.office)
    await audit_read(parts, user, f"map:positions:{jurisdiction or 'county'}")
    return await parts.supervision.call(
        "GET", "/internal/v1/positions", params={"jurisdiction": jurisdiction} if jurisdiction else {}
    )


@router.get("/api/v1/persons/{person_id}/track")
async def track(person_id: uuid.UUID, parts: Parts, user: User, day: date | None = None):
    return await for_person(
        parts,
        user,
        person_id,
        "supervision",
        "GET",
        f"/internal/v1/persons/{person_id}/track",
        params={"day": day.isoformat()} if day else {},
        resource="track",
    )


# --- the person page ---------------------------------------------------------------------------------


@router.get("/api/v1/persons/{person_id}/leaves")
async def person_leaves(person_id: uuid.UUID, parts: Parts, user: User):
    return (await person_visible(parts, user, person_id, resource="leaves"))["leaves"]


@router.get("/api/v1/persons/{person_id}/programmes")
async def person_programmes(person_id: uuid.UUID, parts: Parts, user: User):
    """Level, electronic positioning, follow-ups, trips and the correction team."""
    return await for_person(
        parts,
        user,
        person_id,
        "supervision",
        "GET",
        f"/internal/v1/persons/{person_id}/programmes",
        resource="programmes",
    )


@router.get("/api/v1/persons/{person_id}/handovers")
async def person_handovers(person_id: uuid.UUID, parts: Parts, user: User):
    """The person's handovers (安置帮教衔接): notices, receipts, pick-up, arrival, each step's state."""
    return await for_person(
        parts,
        user,
        person_id,
        "handover",
        "GET",
        "/internal/v1/handovers",
        params={"person_id": str(person_id)},
        resource="handovers",
    )


@router.get("/api/v1/persons/{person_id}/alerts")
async def person_alerts(person_id: uuid.UUID, parts: Parts, user: User):
    await person_visible(parts, user, person_id, resource="alerts")
    async with parts.runtime.engine.connect() as conn:
        return await queries.alerts_of_person(conn, person_id)


@router.post("/api/v1/persons/{person_id}/intake", status_code=201)
async def record_intake(person_id: uuid.UUID, body: steps.IntakeReport, parts: Parts, user: User, response: Response):
    """报到, recorded by an officer of the person's office or county staff (contract §7.5): 201, or
    200 with the first record when the same is sent again; 409 for another."""
    user.require("intake.record")
    await person_visible(parts, user, person_id, action="create", resource="intake")
    status, record = await parts.supervision.exchange(
        "POST", f"/internal/v1/persons/{person_id}/intake", json=body.model_dump(mode="json"), actor=user
    )
    response.status_code = status
    return record


# --- the monthly key-person determination (一月一认定) -------------------------------------------------


@router.get("/api/v1/key-persons/{office}/{month}")
async def key_persons(office: str, month: MonthPath, parts: Parts, user: User):
    known_office(parts, office)
    user.must_see(office)
    await audit_read(parts, user, f"key-persons:{office}:{month}")
    return await parts.supervision.call("GET", f"/internal/v1/key-persons/{office}/{month}")


@router.get("/api/v1/conversions")
async def conversion_list(
    parts: Parts,
    user: User,
    office: str | None = None,
    level: Literal["office", "county"] | None = None,
    closed: bool = False,
):
    """挂牌转化 with their progress: an office's (an officer sees their own), or with `level=county`
    the county's list (市级挂牌) across the offices."""
    if office is None and not user.county_wide:
        office = user.office
    if office is not None:
        known_office(parts, office)
        user.must_see(office)
    await audit_read(parts, user, f"conversions:{office or 'county'}:{level or 'all'}")
    params: dict[str, Any] = {"closed": closed}
    if office is not None:
        params["office"] = office
    if level is not None:
        params["level"] = level
    return await parts.supervision.call("GET", "/internal/v1/conversions", params=params)


class KeyPersonEdits(BaseModel):
    """Whom the office takes off the proposal and whom it puts on, each with the reason."""

    removed: dict[uuid.UUID, Annotated[str, Field(min_length=2, max_length=500)]] = Field(default_factory=dict)
    added: dict[uuid.UUID, Annotated[str, Field(min_length=2, max_length=500)]] = Field(default_factory=dict)


@router.post("/api/v1/key-persons/{office}/{month}/confirm", status_code=201)
async def confirm_key_persons(
    office: str, month: MonthPath, parts: Parts, user: User, body: KeyPersonEdits | None = None
):
    """一月一认定: the month's list confirmed as proposed, or as the office edited it."""
    known_office(parts, office)
    user.require("key_persons.confirm", office)
    edits = (body or KeyPersonEdits()).model_dump(mode="json")
    async with parts.runtime.uow() as uow:
        for person in [*edits["removed"], *edits["added"]]:  # each person the office decides on, audited
            audit.record(
                uow, user, action="update", resource="key-persons", person_id=uuid.UUID(person), purpose="一月一认定"
            )
    return await parts.supervision.call(
        "POST", f"/internal/v1/key-persons/{office}/{month}/confirm", json=edits, actor=user
    )


# --- statistics (the seed plan's indicators) and the monthly report ------------------------------------


async def statistics_for(parts: CommandCentreParts, user: Actor, month: str | None) -> dict:
    """The month's figures this user sees: the offices they see, and 全市 for county staff."""
    month = month or parts.runtime.county.month_of(datetime.now(UTC))
    whole = await month_figures(parts, month)
    return {
        **whole,
        "offices": [o for o in whole["offices"] if user.sees(o["office"])],
        "total": whole["total"] if user.county_wide else None,
        # Every figure with its definition, shown beside it (docs/indicators.md)
        "indicators": [_described(i) for i in RATES],
        "counts": [_described(i) for i in COUNTS],
    }


def _described(i: Indicator) -> dict[str, str]:
    return {
        "key": i.key,
        "kind": i.kind,
        "period": i.period,
        "zh": i.zh,
        "en": i.en,
        "definition_zh": i.definition_zh,
        "definition_en": i.definition_en,
    }


@router.get("/api/v1/statistics")
async def statistics(parts: Parts, user: User, month: Month = None) -> dict:
    """Per justice office and month: the seed plan's indicators with their targets, and alert counts."""
    return await statistics_for(parts, user, month)


@router.get("/api/v1/reports/monthly.xlsx", response_class=Response)
async def monthly_report(parts: Parts, user: User, month: Month = None) -> Response:
    """The monthly statistics report (统计报告) as an Excel workbook."""
    stats = await statistics_for(parts, user, month)
    body = render_report(stats)
    filename = f"sps-monthly-{stats['month']}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def safe(value: Any) -> Any:
    """A text cell never starts a formula in a spreadsheet (=, +, -, @, tab, return): an office
    name or a note could otherwise run in the reader's Excel (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cell(value: Any, indicator: Indicator) -> Any:
    """A count, or for a count by sentence kind the kinds spelled out (缓刑 2、假释 1); an average
    with nothing to average is left empty, not 0."""
    if indicator.kind == "average":
        return value
    if indicator.kind != "by_kind":
        return value or 0
    return "、".join(f"{SENTENCE_KINDS.get(k, k)} {n}" for k, n in sorted((value or {}).items())) or 0


def render_report(stats: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "统计报告"
    ws.append([f"江阴市特殊人群监管统计报告（{stats['month']}）"])
    ws["A1"].font = Font(bold=True, size=14)
    header = ["司法所", *(i.zh for i in COUNTS), *(i.zh for i in RATES)]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
    for office in stats["offices"]:
        ws.append(
            [
                safe(office["office"]),
                *(safe(_cell(office.get(i.key), i)) for i in COUNTS),
                *(office.get(i.key) for i in RATES),
            ]
        )
    for office in [stats["total"]] if stats.get("total") else []:  # 全市, county staff's report
        ws.append(
            [
                office["office"],
                *(safe(_cell(office.get(i.key), i)) for i in COUNTS),
                *(office.get(i.key) for i in RATES),
            ]
        )
    ws.append(["目标", *([None] * len(COUNTS)), *(stats["targets"].get(i.key) for i in RATES)])
    first_rate = 2 + len(COUNTS)
    for row in ws.iter_rows(min_row=3, min_col=first_rate, max_col=first_rate + len(RATES) - 1):
        for cell in row:
            cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = 12
    defs = wb.create_sheet("指标定义")
    defs.append(["指标", "定义", "周期"])
    for i in CATALOGUE:
        defs.append([i.zh, i.definition_zh, "本年累计" if i.period == "year" else "本月"])
    defs.column_dimensions["A"].width = 20
    defs.column_dimensions["B"].width = 90
    alerts = wb.create_sheet("预警统计")
    alerts.append(["司法所", *(zh for _, zh in COLOURS), "合计"])
    for office in [*stats["offices"], *([stats["total"]] if stats.get("total") else [])]:
        counts = [office.get("alerts", {}).get(c, 0) for c, _ in COLOURS]
        alerts.append([safe(office["office"]), *counts, sum(counts)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
