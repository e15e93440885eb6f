"""挂牌转化 (docs/domain.md §1), the service layer: plain functions over the store, no mixin.

A person an office's confirmed monthly list names is listed for conversion at the office's level
(`open_for_list`, from `confirm_key_persons`); the office sets measures and records progress; the
county raises a person to its own list (市级挂牌); the office, or the county for its list, ends it
as converted. Each step goes on the person's case file. Rules: services/supervision/domain/conversions.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.domain.conversions import ConversionRefused, check_close, check_progress
from shared import staff_steps as steps
from shared.authority import Actor
from shared.county import County
from shared.errors import Conflict, NotFound
from shared.events import KeyPersonEntry

FILE_TYPE = "sps.supervision.conversion"  # the case file's entry for each step


async def open_for_list(
    store: SupervisionStore, office: str, month: str, listed: Iterable[KeyPersonEntry], now: datetime
) -> int:
    """Each person on the office's confirmed list without a conversion open gets one, at the
    office's level, with the list's target; the number opened."""
    opened = 0
    for entry in listed:
        case = await store.active_case(entry.person_id)
        if case is None or case["jurisdiction"] != office:
            continue
        values = {
            "conversion_id": uuid.uuid4(),
            "person_id": entry.person_id,
            "case_id": case["case_id"],
            "office": office,
            "level": "office",
            "opened_month": month,
            "opened_at": now,
            "target_zh": entry.target_zh,
            "reasons": entry.reasons,
        }
        if await store.add_conversion(values):
            opened += 1
            await _on_file(
                store, entry.person_id, now, {"step": "opened", "month": month, "target_zh": entry.target_zh}
            )
    return opened


async def _open(store: SupervisionStore, person_id: uuid.UUID, actor: Actor, action: str) -> tuple[Row, dict[str, Any]]:
    case = await store.active_case(person_id)
    if case is None:
        raise NotFound(f"no active case for person {person_id}")
    actor.require(action, case["jurisdiction"])
    conversion = await store.open_conversion(case["case_id"])
    if conversion is None:
        raise NotFound(f"no conversion open for person {person_id}: a monthly key-person list opens one")
    return case, conversion


async def _on_file(store: SupervisionStore, person_id: uuid.UUID, now: datetime, summary: dict[str, Any]) -> None:
    await store.record(person_id, uuid.uuid4(), FILE_TYPE, now, summary)


async def set_measures(
    store: SupervisionStore, actor: Actor, person_id: uuid.UUID, step: steps.ConversionMeasures, now: datetime
) -> dict[str, Any]:
    _, conversion = await _open(store, person_id, actor, "key_persons.convert")
    await store.update_conversion(conversion["conversion_id"], measures=step.measures, responsible=step.responsible)
    await _on_file(store, person_id, now, {"step": "measures", "measures": step.measures, "by": actor.name})
    return {**conversion, "measures": step.measures, "responsible": step.responsible}


async def add_progress(
    store: SupervisionStore,
    actor: Actor,
    person_id: uuid.UUID,
    step: steps.ConversionProgress,
    now: datetime,
    *,
    county: County,
) -> dict[str, Any]:
    _, conversion = await _open(store, person_id, actor, "key_persons.convert")
    try:
        check_progress(step.on, county.day_of(now), county.day_of(conversion["opened_at"]))
    except ConversionRefused as exc:
        raise Conflict(str(exc)) from None
    entry = {"on": step.on.isoformat(), "note": step.note, "by": actor.name}
    progress = [*conversion["progress"], entry]
    await store.update_conversion(conversion["conversion_id"], progress=progress)
    await _on_file(store, person_id, now, {"step": "progress", **entry})
    return {**conversion, "progress": progress}


async def list_at_county(
    store: SupervisionStore, actor: Actor, person_id: uuid.UUID, step: steps.CountyListing, now: datetime
) -> dict[str, Any]:
    _, conversion = await _open(store, person_id, actor, "key_persons.county_list")
    if conversion["level"] == "county":
        raise Conflict("the person is on the county's list already")
    listing = {"by": actor.name, "at": now.isoformat(), "reason": step.reason}
    await store.update_conversion(conversion["conversion_id"], level="county", county_listing=listing)
    await _on_file(store, person_id, now, {"step": "county_listed", **listing})
    return {**conversion, "level": "county", "county_listing": listing}


async def end(
    store: SupervisionStore, actor: Actor, person_id: uuid.UUID, step: steps.ConversionEnd, now: datetime
) -> dict[str, Any]:
    _, conversion = await _open(store, person_id, actor, "key_persons.convert")
    try:
        check_close(conversion, step.outcome, county=actor.may("key_persons.county_list"))
    except ConversionRefused as exc:
        raise Conflict(str(exc)) from None
    closed = {"closed_at": now, "closed_by": actor.name, "outcome": step.outcome, "close_note": step.note}
    await store.update_conversion(conversion["conversion_id"], **closed)
    await _on_file(store, person_id, now, {"step": "ended", "outcome": step.outcome, "note": step.note})
    return {**conversion, **closed}
