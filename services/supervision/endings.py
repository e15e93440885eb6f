"""The end of a community-correction term (解矫), docs/domain.md §1, "The end of a case".

The term's end closes the case by itself (its timer, `programmes.py`); the close sends the court,
procuratorate and police a `CaseEnding` (解除社区矫正, or 收监执行 when the court revoked). The
office then announces the end to the person (解矫宣告) and hands over the certificate
(解除社区矫正证明书), which the command centre prints from `ending_of`.

Functions over the service's context (context.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.supervision.adapters.store import Row, SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE
from shared import staff_steps as steps
from shared.authority import Actor
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused
from shared.events import CaseEnding, EndingAnnounced, MaskedPerson


def certificate_number(case_id: uuid.UUID, year: int, prefix: str) -> str:
    """解除社区矫正证明书's number: the year of the term's end and the case's own short number, so
    a case always has the same one (a redelivered end issues no second certificate)."""
    return f"({year}){prefix}第{case_id.hex[:8].upper()}号"


ENDINGS = {"ended": "term_served", "revoked": "revoked", "transferred": "transferred_out"}


def case_ending(
    row: Any,
    case_id: uuid.UUID,
    outcome: str,
    reason: str | None,
    at: datetime,
    county: County,
    prefix: str,
    to_county: str | None = None,
) -> CaseEnding | None:
    """解除社区矫正 (a served term, with its certificate's number), 收监执行 (revoked: the police take
    custody) or 变更执行地 (transferred out of the county, to `to_county`'s bureau), for the court,
    procuratorate and police."""
    if outcome not in ENDINGS:
        return None
    kind, _, rest = str(row.get("source_ref") or "").partition(":")
    court, _, order_no = rest.partition(":") if kind == "court-order" else ("", "", "")
    served = outcome == "ended"
    year = (row.get("term_end") or county.day_of(at)).year
    return CaseEnding(
        notice_id=uuid.uuid5(case_id, "case-ending"),
        person_id=row["person_id"],
        case_id=case_id,
        person=MaskedPerson.model_validate(row["person_masked"]),
        office=row["jurisdiction"],
        court=court,
        order_no=order_no,
        ending=ENDINGS[outcome],  # type: ignore[arg-type]
        term_start=row.get("term_start"),
        term_end=row.get("term_end"),
        ended_at=at,
        certificate_no=certificate_number(case_id, year, prefix) if served else None,
        custody=outcome == "revoked",
        to_county=to_county,
        reason=reason,
    )


async def _served(
    ctx: SupervisionContext, store: SupervisionStore, person_id: uuid.UUID, actor: Actor, action: str
) -> Row:
    """The person's corrections case whose term is served (ended, or in its last day), once
    `actor` may take `action` on it."""
    case = await store.last_correction_case(person_id)
    if case is None:
        raise NotFound(f"no community-correction case for person {person_id}")
    actor.require(action, case["jurisdiction"])
    today = ctx.county.day_of(ctx.clock())
    in_last_day = case["status"] in ACTIVE and case["term_end"] is not None and today >= case["term_end"]
    if case["status"] != "ended" and not in_last_day:
        end = case["term_end"].isoformat() if case["term_end"] else "no planned end"
        raise Conflict(f"the term has not been served (status {case['status']}, term end {end})")
    return case


async def announce_ending(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.EndingAnnouncement
) -> EndingAnnounced:
    """解矫宣告, once per case, on or after the term's last day and never dated ahead."""
    store = ctx.store(uow)
    case = await _served(ctx, store, person_id, actor, "case.ending_announce")
    ctx.not_ahead("announced_at", step.announced_at)
    if ctx.county.day_of(step.announced_at) < case["term_end"]:
        raise Refused("announced_at", f"the term ends on {case['term_end'].isoformat()}: announce on or after it")
    data = EndingAnnounced(
        person_id=person_id,
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        announced_at=step.announced_at,
        place=step.place,
        announced_by=actor.name,
        note=step.note,
    )
    row = data.model_dump(exclude={"jurisdiction"})
    if not await store.announce_ending(row):
        held = await store.ending_announcement(case["case_id"])
        when = held["announced_at"].isoformat() if held else "before"
        raise Conflict(f"the end of this term was already announced ({when})")
    await ctx.publish_on_file(store, data, person_id, step.announced_at)
    return data


async def ending_of(ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> dict[str, Any]:
    """What the certificate (解除社区矫正证明书) says, but the identity: the case, its term and
    number, the office and the announcement."""
    store = ctx.store(uow)
    case = await _served(ctx, store, person_id, actor, "case.ending_certificate")
    announced = await store.ending_announcement(case["case_id"])
    ending = case_ending(
        case,
        case["case_id"],
        "ended",
        None,
        case.get("closed_at") or ctx.clock(),
        ctx.county,
        ctx.policy.case_ending.certificate_prefix,
    )
    assert ending is not None
    return {
        **ending.model_dump(mode="json", exclude={"person", "reason", "custody"}),
        "sentence_kind": case["sentence_kind"],
        "issuer": ctx.policy.case_ending.issuer,
        "contact": ctx.policy.case_ending.office_contacts.get(case["jurisdiction"]),
        "status": case["status"],
        "last_day": case["term_end"].isoformat(),  # a served term (`_served`): it ran to its end
        "announcement": None if announced is None else _announcement(announced, ctx.county),
    }


def _announcement(row: Row, county: County) -> dict[str, Any]:
    return {
        "announced_at": row["announced_at"].isoformat(),
        "announced_on": county.day_of(row["announced_at"]).isoformat(),  # the county's day
        "place": row["place"],
        "announced_by": row["announced_by"],
        "note": row["note"],
    }
