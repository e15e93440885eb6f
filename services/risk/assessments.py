"""Assessing a person: the score under the instrument, kept with every item, published, and what
follows a level (the `risk_high` signal, the next reassessment). Used by the event handlers and the
staff steps alike, over the service's context (context.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.risk.adapters.store import RiskStore
from services.risk.context import RiskContext
from services.risk.domain.instrument import Instrument, Result, score
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import RiskAssessed, RiskHigh, RiskItem


async def assess(
    ctx: RiskContext,
    uow: UnitOfWork,
    person_id: uuid.UUID,
    trigger: str,
    cause: IncomingEvent | None,
    instrument: Instrument | None = None,
) -> RiskAssessed | None:
    instrument = instrument or ctx.instrument
    store = ctx.store(uow)
    profile = await store.profile(person_id)
    if profile is None:
        return None  # nothing known of this person yet
    known, jurisdiction = profile
    latest = await store.latest_for_update(person_id, instrument.version)
    result = score(instrument, known)
    carried = _carried(ctx.instrument, latest, result.level, trigger)
    assessment_id = uuid.uuid4()
    await store.add_assessment(
        **carried,
        assessment_id=assessment_id,
        person_id=person_id,
        instrument_version=result.instrument_version,
        trigger=trigger,
        items=[_item(s) for s in result.items],
        total=result.total,
        level_by_points=result.level_by_points,
        computed_level=result.level,
        overrides_applied=list(result.overrides),
        jurisdiction=jurisdiction,
        offence_category=known.get("offence_category"),
    )
    assessed = published(assessment_id, person_id, trigger, result, jurisdiction, instrument, carried)
    if instrument.version == ctx.instrument.version:  # re-scoring under another version stays internal
        uow.publish(assessed, subject=person_id, cause=cause)
        previous = (latest["override_level"] or latest["computed_level"]) if latest else None
        await after_level(
            ctx, uow, assessment_id, person_id, previous, assessed.level, result.total, jurisdiction, cause
        )
    return assessed


async def after_level(
    ctx: RiskContext,
    uow: UnitOfWork,
    assessment_id: uuid.UUID,
    person_id: uuid.UUID,
    previous: str | None,
    level: str,
    total: float | None,
    jurisdiction: str | None,
    cause: IncomingEvent | None,
) -> None:
    """A rise to high is the `risk_high` signal; the next reassessment is due by the level."""
    now = ctx.clock()
    if level == "high" and previous != "high":
        signal = RiskHigh(
            person_id=person_id,
            jurisdiction=jurisdiction or "",
            cause=f"risk-high:{assessment_id}",
            observed_at=now,
            evidence=[str(assessment_id)],
            level=level,
            score=total,
        )
        uow.publish(signal, subject=person_id, cause=cause)
    await ctx.store(uow).set_reassessment(
        person_id,
        reassessment_due(ctx, now, level),
        {"person_id": str(person_id), "assessment_id": str(assessment_id), "level": level},
    )


def reassessment_due(ctx: RiskContext, assessed_at: datetime, level: str) -> datetime:
    """The level's interval after the assessment, but never before the next monthly cycle has
    had its grace to run: the cycle is the reassessment (a high risk's 30 days end on the 31st
    of a 31-day month, before the cycle on the 1st)."""
    interval = ctx.instrument.reassessment[level]  # type: ignore[index]
    cycle = ctx.county.next_month_start(assessed_at) + ctx.instrument.monthly_cycle_grace
    return max(assessed_at + interval, cycle)


def published(
    assessment_id: uuid.UUID,
    person_id: uuid.UUID,
    trigger: str,
    result: Result,
    jurisdiction: str | None,
    instrument: Instrument,
    carried: dict[str, Any] | None = None,
) -> RiskAssessed:
    items = [_item(s) for s in result.items]
    why = instrument.explain(items, result.overrides)  # the instrument that scored it, not the default
    override = (carried or {}).get("override_level")
    return RiskAssessed(
        assessment_id=assessment_id,
        person_id=person_id,
        instrument_version=result.instrument_version,
        trigger=trigger,
        items=[RiskItem(**i) for i in items],
        total=result.total,
        level_by_points=result.level_by_points,
        level=override or result.level,
        override_level=override,
        override_reason=(carried or {}).get("override_reason"),
        explanation_zh=why["zh"],
        explanation_en=why["en"],
        jurisdiction=jurisdiction,
    )


def _item(s) -> dict:
    return {"item": s.item, "value": s.value, "points": s.points}


MONTHLY = "monthly:"  # the monthly cycle's trigger, then the county's month


def is_monthly(trigger: str) -> bool:
    return trigger.startswith(MONTHLY)


def _carried(instrument: Instrument, latest: Any, computed: str, trigger: str) -> dict[str, Any]:
    """The override columns a new assessment takes from the latest one, when its override stands."""
    if latest is None or not latest["override_level"]:
        return {}
    if not instrument.carries_override(latest["override_level"], computed, monthly=is_monthly(trigger)):
        return {}
    return {
        "override_level": latest["override_level"],
        "override_reason": latest["override_reason"],
        "overridden_by": latest["overridden_by"],
        "overridden_at": latest["overridden_at"],
        "override_carried_from": latest["override_carried_from"] or latest["assessment_id"],
    }


def overridden(row: Any, by: str, level: str, reason: str) -> RiskAssessed:
    """An assessment as published once an override stands on it."""
    return RiskAssessed(
        assessment_id=row["assessment_id"],
        person_id=row["person_id"],
        instrument_version=row["instrument_version"],
        trigger=f"override by {by}",
        items=[RiskItem(**i) for i in row["items"]],
        total=row["total"],
        level_by_points=row["level_by_points"],
        level=level,
        override_level=level,
        override_reason=reason,
        jurisdiction=row["jurisdiction"],
    )  # type: ignore[arg-type]


async def schedule_monthly(store: RiskStore, county: County, after: datetime | None = None) -> None:
    """The next monthly cycle, at the start of the county's next month, once per month key:
    replicas and restarts add nothing."""
    due = county.next_month_start(after or datetime.now(UTC))
    await store.schedule(f"monthly:{county.month_of(due)}", "risk.monthly", due, {})
