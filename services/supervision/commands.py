"""Supervision's staff commands: leave, sanctions, electronic positioning, follow-ups, trips,
人机分离 reports, the team, closing a case and the monthly key-person list.

Each command is a function `(ctx, uow, actor, …)` over the service's context (context.py): it asks
the authority model, lets `domain/` decide, persists through `adapters/store.py` and publishes onto
the case file through `ctx.publish`. Refusals are
typed errors (`shared.errors`); the API turns them into problem+json (docs/architecture.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.supervision import conversions, handlers, programmes
from services.supervision.adapters.store import SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.aftercare import Followup, Trip, abstinent, serious_breaches, trip_needs_report
from services.supervision.domain.keypersons import (
    KeyPersonsRefused,
    determine,
    edited,
    judged_month,
    newly_determined,
    previous_month,
)
from services.supervision.domain.positioning import PositioningRefused, first_term, renewal
from services.supervision.domain.sanctions import suggest
from services.supervision.domain.team import Member, TeamRefused, check_team
from services.supervision.revocation import court_and_number, send_to_court
from shared import staff_steps as steps
from shared.authority import Actor
from shared.county import County
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Refused
from shared.events import (
    CaseClosed,
    CaseTransferred,
    ContactChecked,
    ContactLost,
    FollowupRecorded,
    IntakeReported,
    KeyPersonEntry,
    KeyPersonNewlyDetermined,
    KeyPersonRemoval,
    KeyPersonsDetermined,
    PositioningStarted,
    RehabSeriousBreach,
    SanctionRecorded,
    SeparationReported,
)


async def schedule_positioning(
    store: SupervisionStore, county: County, positioning_id: uuid.UUID, notice_on: date, ends_on: date
) -> None:
    """The term's notice and end; a renewal schedules new keys, so the old term's find nothing."""
    pid = str(positioning_id)
    payload = {"positioning_id": pid, "ends_on": ends_on.isoformat()}
    notice, end = county.start_of(notice_on), county.start_of(ends_on)
    await store.schedule(f"positioning-ending:{pid}:{ends_on}", "positioning.ending", notice, payload)
    await store.schedule(f"positioning-end:{pid}:{ends_on}", "positioning.end", end, payload)


async def record_sanction(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, kind: str, reason: str
) -> tuple[SanctionRecorded, uuid.UUID]:
    """A sanction (训诫 / 警告 / 提请撤销), counted per case; alerting and risk act on the count."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, f"sanction.{kind}")
    if kind == "revocation_proposal":
        court_and_number(case)  # only a court's corrections case: refused before anything is kept
    sanction_id, now = uuid.uuid4(), ctx.clock()
    count = await store.add_sanction(
        sanction_id=sanction_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=kind,
        reason=reason,
        recorded_by=actor.name,
        recorded_at=now,
    )
    data = SanctionRecorded(
        person_id=person_id,
        jurisdiction=case["jurisdiction"],
        case_id=case["case_id"],
        cause=f"sanction:{sanction_id}",
        observed_at=now,
        evidence=[str(sanction_id)],
        kind=kind,
        count=count,
        reason=reason,
    )  # type: ignore[arg-type]
    await ctx.publish_on_file(store, data, person_id, now)
    if kind == "revocation_proposal":  # decided by the county bureau: to the court
        await send_to_court(store, ctx.policy, ctx.county, case, sanction_id, reason, actor.name, now)
    await programmes.refresh_level(ctx, uow, case["case_id"], None, reason=f"sanction:{kind}")
    return data, sanction_id


async def sanction_suggestion(ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID) -> dict[str, Any]:
    """What the rules point to for the person's open case, with its evidence; staff decide."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id)
    evidence = await store.sanction_evidence(case["case_id"], person_id, case["opened_at"])
    found = suggest(evidence, ctx.policy.sanction_suggestions, ctx.clock())
    if found is None:
        return {"case_id": str(case["case_id"]), "suggestion": None}
    reasons = [{"code": r.code, "count": r.count, "at": r.at.isoformat() if r.at else None} for r in found.reasons]
    return {"case_id": str(case["case_id"]), "suggestion": {"kind": found.kind, "reasons": reasons}}


async def start_positioning(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Positioning
) -> tuple[PositioningStarted, date]:
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "positioning.approve")
    if case["kind"] != "community_correction":
        raise Conflict("electronic positioning applies to community corrections only")
    active = await store.active_positioning(case["case_id"])
    if active:
        raise Conflict(f"positioning {active} is active: renew it instead")
    now = ctx.clock()
    try:
        term = first_term(
            ground=step.ground, starts_on=step.starts_on or ctx.county.day_of(now), policy=ctx.policy.positioning
        )
    except PositioningRefused as exc:
        raise Refused(exc.field, str(exc)) from None
    positioning_id = uuid.uuid4()
    data = PositioningStarted(
        positioning_id=positioning_id,
        person_id=person_id,
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        ground=step.ground,
        approved_by=actor.name,
        device_id=step.device_id,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
    )
    await store.add_positioning(data)
    await store.set_electronic_monitoring(case["case_id"])
    await schedule_positioning(store, ctx.county, positioning_id, term.notice_on, term.ends_on)
    await ctx.publish_on_file(store, data, person_id, now)
    return data, term.notice_on


async def renew_positioning(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, positioning_id: uuid.UUID, step: steps.Renewal
) -> tuple[PositioningStarted, date]:
    store = ctx.store(uow)
    row = await store.positioning(positioning_id, for_update=True)
    if row is None:
        raise NotFound(f"no positioning {positioning_id}")
    actor.require("positioning.approve", row["jurisdiction"])
    if row["status"] != "active":
        raise Conflict("this positioning has ended: start a new one on a legal ground")
    try:
        term = renewal(
            current_end=row["ends_on"], reviewed=True, review_note=step.review_note, policy=ctx.policy.positioning
        )
    except PositioningRefused as exc:
        raise Refused(exc.field, str(exc)) from None
    renewals = [
        *row["renewals"],
        {
            "from": row["ends_on"].isoformat(),
            "to": term.ends_on.isoformat(),
            "review_note": step.review_note,
            "approved_by": actor.name,
        },
    ]
    await store.extend_positioning(positioning_id, term.ends_on, renewals)
    await schedule_positioning(store, ctx.county, positioning_id, term.notice_on, term.ends_on)
    data = PositioningStarted(
        positioning_id=positioning_id,
        person_id=row["person_id"],
        case_id=row["case_id"],
        jurisdiction=row["jurisdiction"],
        ground=row["ground"],
        approved_by=actor.name,
        device_id=row["device_id"],
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        renewal=len(renewals),
    )
    await ctx.publish_on_file(store, data, row["person_id"], ctx.clock())
    return data, term.notice_on


async def record_followup(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Followup
) -> FollowupRecorded:
    """A phone call or visit; it moves that kind's next due date on."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "followup.record")
    ctx.not_ahead("at", step.at)
    if case["kind"] != "aftercare":
        raise Conflict("follow-ups are for aftercare cases (后续照管)")
    followup_id = uuid.uuid4()
    await store.add_followup(
        followup_id=followup_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=step.kind,
        at=step.at,
        drug_test=step.drug_test,
        police_record=step.police_record,
        note=step.note,
        recorded_by=actor.name,
    )
    history = await store.followups(case["case_id"])  # its period is judged at its end (programmes.py)
    data = FollowupRecorded(
        followup_id=followup_id,
        person_id=person_id,
        case_id=case["case_id"],
        kind=step.kind,
        at=step.at,
        drug_test=step.drug_test,
        police_record=step.police_record,
        abstinent=abstinent(history),
    )
    await ctx.publish_on_file(store, data, person_id, step.at)
    this = Followup(step.kind, step.at, step.drug_test, step.police_record)
    await _rehab_breaches(ctx, store, case, await store.trips(case["case_id"]), history, this, step.at)
    return data


async def record_trip(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Trip
) -> dict[str, Any]:
    """A trip out of the county in community rehabilitation; long trips need a written report."""
    if step.returns_on < step.leaves_on:
        raise Refused("returns_on", "returns_on is before leaves_on")
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "trip.record")
    days = (step.returns_on - step.leaves_on).days + 1
    needs_report = trip_needs_report(days, ctx.policy.aftercare)
    reported = await store.add_trip(
        trip_id=uuid.uuid4(),
        person_id=person_id,
        case_id=case["case_id"],
        leaves_on=step.leaves_on,
        returns_on=step.returns_on,
        destination=step.destination,
        reported=step.reported or not needs_report,
        recorded_by=actor.name,
    )
    unreported = sum(1 for t in reported if not t.reported)
    this = Trip(days, step.reported or not needs_report)
    followups = await store.followups(case["case_id"])
    at = ctx.county.start_of(step.returns_on)
    breaches = await _rehab_breaches(ctx, store, case, reported, followups, this, at)
    return {
        "days": days,
        "needs_report": needs_report,
        "unreported_trips": unreported,
        "serious_breach": bool(breaches),
    }


async def _rehab_breaches(
    ctx: SupervisionContext,
    store: SupervisionStore,
    case: Mapping[str, Any],
    trips: list[Trip],
    followups: list[Followup],
    step: Trip | Followup,
    at: datetime,
) -> dict[str, int]:
    """社区康复's serious breaches after this step (one of `trips` or `followups`); a reason the
    step crossed is published once, as `rehab_serious_breach` (docs/domain.md §3)."""
    if not case.get("community_rehabilitation"):
        return {}
    after = serious_breaches(trips, followups, ctx.policy.aftercare)
    before = serious_breaches(_without(trips, step), _without(followups, step), ctx.policy.aftercare)
    for reason, count in after.items():
        if reason in before:
            continue
        data = RehabSeriousBreach(
            person_id=case["person_id"],
            case_id=case["case_id"],
            jurisdiction=case["jurisdiction"],
            cause=f"rehab-breach:{case['case_id']}:{reason}",
            observed_at=at,
            evidence=[f"{reason}:{count}"],
            reason=reason,  # type: ignore[arg-type]
            count=count,
        )
        await ctx.publish_on_file(store, data, case["person_id"], at)
    return after


async def record_contact(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.ContactResult
) -> ContactChecked:
    """The office tried to reach the person after the contact window: reached is a sign of life
    (the window starts again), unreachable is contact lost (red)."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "contact.record")
    ctx.not_ahead("at", step.at)
    check = await store.open_check_of(person_id, for_update=True)
    if check is None:
        raise Conflict("no contact check is open for this person (one opens when the contact window passes)")
    if step.at < check["opened_at"]:
        raise Refused("at", "the attempt is earlier than the check it answers")
    await store.close_contact_check(check["check_id"], step.outcome, step.at, actor.name, step.note)
    await store.cancel_prefix(f"contact-check:{check['check_id']}")
    data = ContactChecked(
        person_id=person_id,
        case_id=check["case_id"],
        check_id=check["check_id"],
        outcome=step.outcome,
        at=step.at,
        recorded_by=actor.name,
        note=step.note,
    )
    await ctx.publish_on_file(store, data, person_id, step.at)
    if step.outcome == "unreachable":
        lost = ContactLost(
            person_id=person_id,
            jurisdiction=case["jurisdiction"],
            case_id=check["case_id"],
            cause=check["cause"],
            observed_at=step.at,
            evidence=[str(check["check_id"]), step.note[:200]],
            reason="unreachable",
        )
        await ctx.publish_on_file(store, lost, person_id, step.at)
    elif case["electronic_monitoring"]:  # reached: the window starts again from the contact
        await handlers.rearm_contact(ctx, uow, person_id, step.at)
    return data


async def record_intake(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.IntakeReport
) -> tuple[IntakeReported, bool]:
    """报到, recorded by an officer of the person's office or county staff (contract §7.5): the
    case leaves awaiting-intake, once. The same record again is answered with the first (False:
    nothing new); another record for a case already reported is a conflict."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "intake.record")
    ctx.not_ahead("reported_at", step.reported_at)
    if case["status"] != "awaiting_intake":
        first = IntakeReported(
            person_id=person_id,
            case_id=case["case_id"],
            reported_at=case.get("intake_reported_at") or case["opened_at"],
            channel="office",
            recorded_by=case.get("intake_recorded_by"),
            note=case.get("intake_note"),
        )
        if case.get("intake_reported_at") == step.reported_at and case.get("intake_note") == step.note:
            return first, False
        earlier = case.get("intake_reported_at")
        when = f" at {earlier.isoformat()}" if earlier else ""
        raise Conflict(f"the person's 报到 is recorded already{when}; a different record is refused")
    reported = await handlers.intake_reported(ctx, uow, person_id, step.reported_at, actor.name, step.note)
    return next(r for r in reported if r.case_id == case["case_id"]), True


async def close_case(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Close
) -> CaseClosed | None:
    """收监 (revoked by the court) or transferred to another county; the term's end closes by itself."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "case.close")
    return await programmes.close_case(
        ctx, uow, case["case_id"], step.outcome, step.reason, actor.name, to_county=step.to_county
    )


async def transfer_case(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Transfer
) -> CaseTransferred:
    """To another justice office in the county: the case keeps its history, and every replica
    and the open alerts follow it (`sps.supervision.case-transferred`)."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "case.transfer")
    if ctx.offices and step.to_office not in ctx.offices:
        raise Refused("to_office", f"{step.to_office!r} is not one of the county's justice offices")
    from_office = case["jurisdiction"]
    if step.to_office == from_office:
        raise Refused("to_office", f"the case is with {step.to_office} already")
    await store.set_jurisdiction(case["case_id"], step.to_office)
    data = CaseTransferred(
        person_id=person_id,
        case_id=case["case_id"],
        from_office=from_office,
        to_office=step.to_office,
        reason=step.reason,
        transferred_by=actor.name,
    )
    await ctx.publish_on_file(store, data, person_id, ctx.clock())
    return data


async def report_separation(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Separation
) -> SeparationReported:
    """人机分离 found on a check: counted per case; at the policy's count a warning is due."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "separation.report")
    ctx.not_ahead("observed_at", step.observed_at)
    count = 1 + await store.count_recorded(person_id, "sps.supervision.separation-reported", case["opened_at"])
    data = SeparationReported(
        person_id=person_id,
        case_id=case["case_id"],
        jurisdiction=case["jurisdiction"],
        cause=f"separation:{case['case_id']}:{count}",
        observed_at=step.observed_at,
        evidence=[step.note[:200]],
        count=count,
        warning_due=count >= ctx.policy.devices.separations_before_warning,
    )
    await ctx.publish_on_file(store, data, person_id, step.observed_at)
    return data


async def set_team(
    ctx: SupervisionContext, uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, step: steps.Team
) -> uuid.UUID:
    """The correction team (矫正小组); its rules are domain/team.py's."""
    store = ctx.store(uow)
    case = await ctx.case(store, person_id, actor, "team.set")
    try:
        access = actor.policy.team_access
        check_team(
            case["person_masked"].get("sex", ""),
            [Member(m.name, m.role, m.sex, m.account) for m in step.members],
            access.members if access is not None else (),
        )
    except TeamRefused as exc:
        raise Refused("members", str(exc)) from None
    await store.replace_team(case["case_id"], [m.model_dump() for m in step.members])
    await store.record(
        person_id,
        uuid.uuid4(),
        "sps.supervision.team-set",
        ctx.clock(),
        {"members": len(step.members), "by": actor.name},
    )
    return uuid.UUID(str(case["case_id"]))


async def confirm_key_persons(
    ctx: SupervisionContext,
    uow: UnitOfWork,
    actor: Actor,
    office: str,
    month: str,
    *,
    removed: Mapping[uuid.UUID, str] | None = None,
    added: Mapping[uuid.UUID, str] | None = None,
) -> KeyPersonsDetermined:
    """The office confirms the month's list (who confirmed it is kept), as proposed or edited:
    persons taken off or put on, each with the office's reason. Published for risk and alerting."""
    actor.require("key_persons.confirm", office)
    store = ctx.store(uow)
    start, end = judged_month(ctx.county, month)
    proposed = determine(await store.candidates(office, start, end), ctx.policy.key_persons)
    removed, added = dict(removed or {}), dict(added or {})
    in_office = set()
    for person in added:
        case = await store.active_case(person)
        if case is not None and case["jurisdiction"] == office:
            in_office.add(person)
    try:
        listed = edited(proposed, removed=removed, added=added, in_office=in_office)
    except KeyPersonsRefused as exc:
        raise Refused(exc.field, str(exc)) from None
    persons = [KeyPersonEntry(person_id=k.person_id, reasons=k.reasons, target_zh=k.target_zh) for k in listed]
    now = ctx.clock()
    taken_off = [KeyPersonRemoval(person_id=p, reason=r.strip()) for p, r in removed.items()]
    rows = [p.model_dump(mode="json") for p in persons]
    if not await store.add_list(office, month, actor.name, now, rows, [r.model_dump(mode="json") for r in taken_off]):
        raise Conflict(f"the {month} list of {office} is already confirmed")
    data = KeyPersonsDetermined(office=office, month=month, confirmed_by=actor.name, persons=persons, removed=taken_off)
    out_id = uuid.uuid5(uuid.NAMESPACE_URL, f"key-persons:{office}:{month}")
    uow.publish(data, subject=office)
    before = await store.confirmed_list(office, previous_month(month))
    earlier = {uuid.UUID(p["person_id"]) for p in (before["persons"] if before else [])}
    for k in newly_determined(listed, earlier):
        uow.publish(
            KeyPersonNewlyDetermined(
                person_id=k.person_id,
                jurisdiction=office,
                cause=f"key-person:{office}:{month}",
                observed_at=now,
                evidence=[str(out_id)],
                office=office,
                month=month,
                reasons=k.reasons,
            ),
            subject=k.person_id,
        )
    for p in persons:
        await store.record(
            p.person_id,
            out_id,
            "sps.supervision.key-person-listed",
            now,
            {"month": month, "reasons": p.reasons, "target_zh": p.target_zh, "confirmed_by": actor.name},
        )
    await conversions.open_for_list(store, office, month, persons, now)  # 挂牌转化
    return data


def _without(items: list[Any], one: Any) -> list[Any]:
    """`items` less one occurrence of `one` (the step just recorded), to see what held before it."""
    rest = list(items)
    if one in rest:
        rest.remove(one)
    return rest
