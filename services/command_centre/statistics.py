"""The monthly statistics (docs/indicators.md): every office's figures and the county's total,
worked out from the services' indicators and the command centre's alerts, provisional until the
month is final, then kept and answered as kept (policy/console.yaml `statistics`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from services.command_centre.adapters import figures, queries
from services.command_centre.deps import CommandCentreParts
from services.command_centre.domain.board import StatisticsPolicy
from services.command_centre.domain.indicators import with_aftercare_not_arrived
from shared.calendar import add_months
from shared.county import County
from shared.errors import CommandError
from shared.logging import get_logger
from shared.periods import after_month

log = get_logger(__name__)


def final_from(county: County, month: str, policy: StatisticsPolicy) -> datetime:
    """When a month's figures become final: `final_after_days` whole days after its last day (the
    one period rule, docs/rules.md)."""
    return after_month(county, month, policy.final_after_days).due


async def month_figures(parts: CommandCentreParts, month: str) -> dict:
    """Every office's figures of the month and the county's total, for nobody in particular: kept
    once final and answered as kept from then on (docs/indicators.md), worked out now before."""
    county, policy = parts.runtime.county, parts.console.statistics
    final = final_from(county, month, policy)
    if datetime.now(UTC) >= final:
        found = await figures.kept(parts.runtime.engine, month)
        if found is None:
            found = await figures.keep(parts.runtime.engine, month, await _worked_out(parts, month), datetime.now(UTC))
        return {**found, "final": True, "final_from": final.isoformat()}
    return {**await _worked_out(parts, month), "final": False, "final_from": final.isoformat()}


async def _worked_out(parts: CommandCentreParts, month: str) -> dict:
    county = parts.runtime.county
    handover = await parts.handover.call("GET", "/internal/v1/indicators", params={"month": month})
    supervision = await parts.supervision.call("GET", "/internal/v1/indicators", params={"month": month})
    visits = await parts.handover.call("GET", "/internal/v1/visit-figures", params={"month": month})
    start, end = county.month_bounds(month)
    async with parts.runtime.engine.connect() as conn:
        alerts = await queries.alert_counts(conn, start, end)
    offices: dict[str, dict] = {o: {"office": o} for o in parts.geography.offices}
    for row in [*handover["offices"], *supervision["offices"], *visits["offices"]]:
        offices.setdefault(row["office"], {"office": row["office"]}).update(row)
    for jurisdiction, colour, n in alerts:
        offices.setdefault(jurisdiction, {"office": jurisdiction}).setdefault("alerts", {})[colour] = n
    for row in offices.values():
        with_aftercare_not_arrived(row)
    # 全市: each service's figures of the whole county (sums, then the rates of the sums:
    # docs/indicators.md), and the month's alerts added up.
    colours: dict[str, int] = {}
    for _, colour, n in alerts:
        colours[colour] = colours.get(colour, 0) + n
    total = {**handover.get("total", {}), **supervision.get("total", {}), "office": "全市", "alerts": colours}
    with_aftercare_not_arrived(total)
    return {
        "month": month,
        "targets": {**handover["targets"], **supervision["targets"]},
        "offices": list(offices.values()),
        "total": total,
    }


async def keep_final_months(parts: CommandCentreParts) -> None:
    """In the background: the months that became final since the last look are kept at once, so
    their figures are those of the moment they became final, not of the first request after. A
    look that fails (a service not up yet) is tried again within the minute."""
    county, policy = parts.runtime.county, parts.console.statistics
    while True:
        first = county.day_of(county.month_bounds(county.month_of(datetime.now(UTC)))[0])
        wait = policy.keep_check_every.total_seconds()
        for back in (1, 2):  # the month just ended and the one before (final_after_days may pass a month)
            before = add_months(first, -back)
            month = f"{before.year:04d}-{before.month:02d}"
            try:
                if datetime.now(UTC) >= final_from(county, month, policy):
                    if await figures.kept(parts.runtime.engine, month) is None:
                        await month_figures(parts, month)
                        log.info("statistics kept", month=month)
            except (CommandError, SQLAlchemyError, OSError) as exc:
                log.warning("statistics not kept yet; trying again", month=month, error=str(exc))
                wait = min(wait, 60.0)
        await asyncio.sleep(wait)
