"""Supervision's handlers: events (orders, fixes, check-ins, leaves) and deadlines (timers).

Thin: the domain decides (geo, zones, leaves), these persist and publish. Each is a function over
the service's context (context.py); `table(ctx)` and `timer_table(ctx)` bind them, with the other
modules' handlers, for `main`. The fix path reads only the in-memory case view; what a batch of
fixes changed is written once per batch.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial

from services.supervision import fixes, help, hours, plans, procuratorate, programmes, revocation
from services.supervision.adapters.cases import CaseView
from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE, after_arrival
from services.supervision.domain.leaves import Leave
from services.supervision.domain.levels import level_for, next_checkin_due
from services.supervision.fixes import FIXES_BEFORE_CASE
from services.supervision.programmes import exit_control
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    ArrivalRegistered,
    AssistanceOutcome,
    CaseClosed,
    CaseOpened,
    CaseTransferred,
    Checkin,
    CheckinMissed,
    ContactCheckDue,
    ContactChecked,
    ContactLost,
    CourtOrderIngested,
    EventData,
    IntakeMissed,
    IntakeReported,
    LeaveApproved,
    LeaveOverdue,
    LeaveReturned,
    LocationFix,
    PositioningEnded,
    PositioningStarted,
)
from shared.ids import case_id_for, court_order_ref
from shared.kafka.consumer import Handler, RejectedRecord
from shared.periods import within_days
from shared.timers import Postpone, Timer, TimerHandler


def table(ctx: SupervisionContext) -> dict[str, Handler]:
    """The event handlers, each bound to the service's context."""
    return {
        "sps.ingest.court-order": partial(on_court_order, ctx),
        "sps.ingest.location": partial(fixes.on_location, ctx),
        "sps.ingest.checkin": partial(on_checkin, ctx),
        "sps.supervision.leave-approved": partial(on_leave_approved, ctx),
        "sps.supervision.leave-returned": partial(on_leave_returned, ctx),
        "sps.supervision.case-closed": partial(on_case_closed, ctx),
        "sps.supervision.case-transferred": partial(on_case_transferred, ctx),
        "sps.supervision.positioning-started": partial(on_positioning_started, ctx),
        "sps.supervision.positioning-ended": partial(on_positioning_ended, ctx),
        "sps.handover.arrived": partial(on_arrival, ctx),
        "sps.risk.assessed": partial(programmes.on_risk_assessed, ctx),
        "sps.ingest.revocation-ruling": partial(revocation.on_revocation_ruling, ctx),
        "sps.ingest.procuratorate-notice": partial(procuratorate.on_procuratorate_notice, ctx),
        "sps.ingest.app-report": partial(hours.on_app_report, ctx),
        # Agencies' answers kept elsewhere (the alert, the handover) are on the person's file too.
        "sps.ingest.exit-control-ack": partial(on_agency_answer, ctx),
        "sps.ingest.search-result": partial(on_agency_answer, ctx),
        "sps.ingest.assistance-outcome": partial(on_assistance_outcome, ctx),
    }


def timer_table(ctx: SupervisionContext) -> dict[str, TimerHandler]:
    """The timer handlers, each bound to the service's context."""
    return {
        "intake.due": partial(on_intake_due, ctx),
        "leave.end": partial(on_leave_end, ctx),
        "device.offline": partial(fixes.on_device_offline, ctx),
        "checkin.due": partial(on_checkin_due, ctx),
        "contact.lost": partial(on_contact_lost, ctx),
        "contact.check": partial(on_contact_check_due, ctx),
        "fix.parked": partial(fixes.on_parked_fixes_due, ctx),
        **programmes.programme_timers(ctx),
        **revocation.revocation_timers(ctx),
        **procuratorate.procuratorate_timers(ctx),
        **hours.hours_timers(ctx),
        **plans.plan_timers(ctx),
        **help.help_timers(ctx),
    }


async def on_assistance_outcome(
    ctx: SupervisionContext, event: IncomingEvent, outcome: AssistanceOutcome, uow: UnitOfWork
) -> None:
    """Civil affairs decided: on the person's file, and on the help request it answers."""
    await help.on_civil_affairs_decision(ctx, outcome, uow)
    await on_agency_answer(ctx, event, outcome, uow)


async def on_agency_answer(ctx: SupervisionContext, event: IncomingEvent, answer: EventData, uow: UnitOfWork) -> None:
    """An agency's answer about a person (the police registered a border control or found
    them, civil affairs decided an assistance request): on the person's file, once."""
    person_id = answer.person_id  # type: ignore[attr-defined]
    await ctx.store(uow).record(person_id, event.id, event.type, event.time, answer.model_dump(mode="json"))


async def on_case_transferred(
    ctx: SupervisionContext, event: IncomingEvent, moved: CaseTransferred, uow: UnitOfWork
) -> None:
    """Every replica's view of the case follows it to its new office (its signals name it)."""
    view = ctx.directory.get(moved.person_id)
    if view is not None and view.case_id == moved.case_id:

        def follow() -> None:
            view.jurisdiction = moved.to_office

        uow.after_commit(follow)


async def on_case_closed(ctx: SupervisionContext, event: IncomingEvent, closed: CaseClosed, uow: UnitOfWork) -> None:
    """A case closed by a staff step on any replica: the replica that judges this person's
    fixes (it owns the person's partition) forgets the case too."""
    view = ctx.directory.get(closed.person_id)
    if view is not None and view.case_id == closed.case_id:
        uow.after_commit(lambda: ctx.directory.remove(closed.person_id))


async def on_positioning_started(
    ctx: SupervisionContext, event: IncomingEvent, order: PositioningStarted, uow: UnitOfWork
) -> None:
    """The device registry: every replica learns that this device is this person's."""
    uow.after_commit(lambda: ctx.directory.bind(order.device_id, order.person_id))


async def on_positioning_ended(
    ctx: SupervisionContext, event: IncomingEvent, ended: PositioningEnded, uow: UnitOfWork
) -> None:
    """The device registry: the device is no longer this person's (its term ran out, or the case
    closed); a fix from it is then not trusted for them."""
    uow.after_commit(lambda: ctx.directory.unbind(ended.device_id, ended.person_id))


async def on_court_order(
    ctx: SupervisionContext, event: IncomingEvent, order: CourtOrderIngested, uow: UnitOfWork
) -> None:
    """A court's order opens a community-correction case awaiting intake (待报到)."""
    source_ref = court_order_ref(order.court, order.order_no)
    case_id = case_id_for(source_ref)
    permitted = None if order.permitted_area == "jiangyin" else order.permitted_area.model_dump(mode="json")
    zones = [z.model_dump(mode="json") for z in order.exclusion_zones]
    store = ctx.store(uow)
    inserted = await store.open_case(
        case_id=case_id,
        person_id=order.person_id,
        kind="community_correction",
        status="awaiting_intake",
        jurisdiction=order.person.residence_town,
        source_ref=source_ref,
        sentence_kind=order.sentence_kind,
        offence_category=order.offence_category,
        term_start=order.term_start,
        term_end=order.term_end,
        electronic_monitoring=order.electronic_monitoring,
        device_id=order.device_id if order.electronic_monitoring else None,
        permitted_area=permitted,
        exclusion_zones=zones,
        person_masked=order.person.model_dump(mode="json"),
    )
    if not inserted:
        held = await store.case(case_id)
        if held is not None and held["person_id"] != order.person_id:
            # The gateway refuses a taken number (409); one that reaches here some other way
            # is never dropped in silence.
            raise RejectedRecord(f"order-number-taken: {order.court} {order.order_no} is another person's case")
        return  # the same order sent again: one case
    opened = CaseOpened(
        case_id=case_id,
        person_id=order.person_id,
        kind="community_correction",
        jurisdiction=order.person.residence_town,
        order_no=order.order_no,
    )
    await ctx.publish(uow, opened, order.person_id, event, event.time)
    # 不准出境报备: the police are told at once, and told again when the case ends.
    control = exit_control(
        case_id, order.person_id, order.person, opened.jurisdiction, "imposed", event.time, order.term_end
    )
    await ctx.publish(uow, control, order.person_id, event, event.time)
    # 漏管: not reported within the intake window after the judgment took effect; the last day
    # is the person's in full (docs/rules.md).
    effective = order.judgment_effective or order.term_start
    due = within_days(ctx.county, effective, ctx.policy.intake.report_within).due
    await store.schedule(
        f"intake:{case_id}", "intake.due", due, {"case_id": str(case_id), "person_id": str(order.person_id)}
    )
    await programmes.schedule_case_end(ctx, uow, case_id, order.term_end)
    view = ctx.directory.build(case_id, order.person_id, order.person.residence_town, permitted, zones)
    await _opened(ctx, uow, view)
    if order.electronic_monitoring and order.device_id:
        # The court's own monitoring device is the person's from the order on: a fix from it
        # for anyone else, or from another device for this person, is not trusted.
        device = order.device_id
        uow.after_commit(lambda: ctx.directory.bind(device, order.person_id))


async def on_arrival(
    ctx: SupervisionContext, event: IncomingEvent, arrived: ArrivalRegistered, uow: UnitOfWork
) -> None:
    """Arrival after release opens a resettlement case (安置帮教, 5 years, non-coercive), after
    rehabilitation an aftercare case (后续照管, ≤ 3 years); the person has reported by arriving."""
    case = after_arrival(
        handover_kind=arrived.kind,
        arrived_at=ctx.county.local(arrived.arrived_at),  # its date is the county's
        case_years=arrived.case_years,
        community_rehabilitation=arrived.community_rehabilitation,
        county=ctx.county,
    )
    source_ref = f"handover:{arrived.handover_id}"
    case_id = case_id_for(source_ref)
    store = ctx.store(uow)
    inserted = await store.open_case(
        case_id=case_id,
        person_id=arrived.person_id,
        kind=case.kind,
        status=case.status,
        community_rehabilitation=case.community_rehabilitation,
        jurisdiction=arrived.justice_office,
        source_ref=source_ref,
        term_start=case.term_start,
        term_end=case.term_end,
        electronic_monitoring=False,
        person_masked=arrived.person.model_dump(mode="json"),
    )
    if not inserted:
        return
    opened = CaseOpened(
        case_id=case_id, person_id=arrived.person_id, kind=case.kind, jurisdiction=arrived.justice_office
    )
    await ctx.publish(uow, opened, arrived.person_id, event, arrived.arrived_at)
    await programmes.schedule_case_end(ctx, uow, case_id, case.term_end)
    if case.kind == "aftercare":
        await programmes.schedule_followups(ctx, uow, case_id, arrived.person_id, arrived.arrived_at)
    if case.kind == "resettlement":  # 帮教计划, due from arrival (plans.py)
        await plans.plan_due_from(ctx, uow, case_id, ctx.county.day_of(arrived.arrived_at), case.kind)
    view = ctx.directory.build(case_id, arrived.person_id, arrived.justice_office, None, [])
    await _opened(ctx, uow, view)


async def _opened(ctx: SupervisionContext, uow: UnitOfWork, view: CaseView) -> None:
    """The case is judged from now on (in this transaction too), and the fixes that came
    before it are judged now, in the order they were recorded."""
    uow.scratch.setdefault("opening", {})[view.person_id] = view
    uow.after_commit(lambda: ctx.directory.put(view))
    store = ctx.store(uow)
    parked = await store.unpark_fixes(view.person_id)
    for envelope in parked:
        FIXES_BEFORE_CASE.labels("judged").inc()
        event = IncomingEvent.model_validate(envelope)
        await fixes._judge(ctx, uow, event, LocationFix.model_validate(event.data), view)
    if parked:
        await store.cancel_prefix(f"parked:{view.person_id}")


async def on_checkin(ctx: SupervisionContext, event: IncomingEvent, checkin: Checkin, uow: UnitOfWork) -> None:
    """A check-in is a sign of life and starts the next check-in's interval. It is never 报到,
    whatever its channel: a device client may send any channel, and only the office records
    that the person came (contract §7.5; `intake_reported`)."""
    fixes._not_ahead(ctx, checkin.recorded_at, "check-in")
    store = ctx.store(uow)
    await store.record(checkin.person_id, event.id, event.type, checkin.recorded_at, {"channel": checkin.channel})
    correction = await store.active_correction(checkin.person_id)
    if correction is not None and not correction["electronic_monitoring"]:
        await store.cancel_prefix(f"contact:{checkin.person_id}")  # check-ins only: the missed one is made up
    else:
        await rearm_contact(ctx, uow, checkin.person_id, checkin.recorded_at)
    for supervised in await store.supervised_corrections(checkin.person_id):
        await _schedule_checkin(
            ctx, uow, supervised["case_id"], checkin.person_id, checkin.recorded_at, supervised["term_start"]
        )


async def intake_reported(
    ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID, at: datetime, recorded_by: str, note: str | None
) -> list[IntakeReported]:
    """The office recorded that the person reported (报到): each case awaiting intake is under
    supervision from `at`, its level set, its plan due and its check-ins scheduled."""
    reported = []
    for case_id in await ctx.store(uow).report_intake(person_id, at, recorded_by, note):
        data = IntakeReported(
            person_id=person_id, case_id=case_id, reported_at=at, channel="office", recorded_by=recorded_by, note=note
        )
        await ctx.publish(uow, data, person_id, None, at)
        await programmes.refresh_level(ctx, uow, case_id, None, reason="intake", now=at)
        await plans.plan_due_from(ctx, uow, case_id, ctx.county.day_of(at))
        await _schedule_checkin(ctx, uow, case_id, person_id, at, None)
        reported.append(data)
    return reported


async def _schedule_checkin(
    ctx: SupervisionContext, uow: UnitOfWork, case_id: uuid.UUID, person_id: uuid.UUID, last: datetime, started
) -> None:
    """The next check-in is due one interval of the case's level after the last one."""
    store = ctx.store(uow)
    case = await store.case(case_id)
    today = ctx.county.day_of(last)
    level = (case["level"] if case else None) or level_for(
        started=started or today, today=today, risk=None, admonitions=0, warnings=0, policy=ctx.policy.levels
    )
    due = next_checkin_due(last, level, ctx.policy.levels)
    await store.cancel_prefix(f"checkin:{case_id}:")
    await store.schedule(
        f"checkin:{case_id}:{due.isoformat()}",
        "checkin.due",
        due,
        {
            "case_id": str(case_id),
            "person_id": str(person_id),
            "level": level,
            "started": (started or today).isoformat(),
        },
    )


async def on_checkin_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """Nobody checked in since this was scheduled (a check-in would have moved it): missed."""
    case_id = uuid.UUID(timer.payload["case_id"])
    row = await ctx.store(uow).case(case_id)
    if row is None or row["status"] != "under_supervision":
        return
    person_id = uuid.UUID(timer.payload["person_id"])
    data = CheckinMissed(
        person_id=person_id,
        jurisdiction=row["jurisdiction"],
        case_id=case_id,
        cause=f"checkin:{case_id}:{timer.due_at.isoformat()}",
        observed_at=timer.due_at,
        evidence=[timer.key],
        due_at=timer.due_at,
    )
    await ctx.publish(uow, data, person_id, None, timer.due_at)
    if not row["electronic_monitoring"]:  # check-ins only: the contact window starts at the missed one
        await ctx.store(uow).arm(
            f"contact:{person_id}",
            "contact.lost",
            timer.due_at + ctx.policy.contact.lost_after,
            {"person_id": str(person_id), "last_seen": timer.due_at.isoformat(), "basis": "checkin"},
        )
    started = date.fromisoformat(timer.payload["started"])
    await _schedule_checkin(ctx, uow, case_id, person_id, timer.due_at, started)  # the next period


async def rearm_contact(ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID, seen_at: datetime) -> None:
    await _rearm_contacts(ctx, uow, [(person_id, seen_at)])


async def _rearm_contacts(ctx: SupervisionContext, uow: UnitOfWork, seen: list[tuple[uuid.UUID, datetime]]) -> None:
    """Contact counts as lost a window after the later of the last fix and the last check-in."""
    rows = [
        {
            "key": f"contact:{pid}",
            "kind": "contact.lost",
            "due_at": at + ctx.policy.contact.lost_after,
            "payload": {"person_id": str(pid), "last_seen": at.isoformat()} | ctx.positions.shard_tag(pid),
        }
        for pid, at in seen
    ]
    if not rows:
        return
    await ctx.store(uow).push_back(rows)


async def on_contact_lost(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> Postpone | None:
    """The contact window passed (docs/domain.md §1): with a location feed, no fix and no
    check-in for the window; check-ins only, a missed check-in not made up. The office gets a
    check to make (`contact_check_due`); contact is lost only when it records the person
    unreachable, or records nothing in time (`on_contact_check_due`)."""
    person_id = uuid.UUID(timer.payload["person_id"])
    store = ctx.store(uow)
    row = await store.active_correction(person_id)
    if row is None:
        return None
    basis = "location" if row["electronic_monitoring"] else "checkin"
    if basis == "location":
        last_fix = await fixes._last_fix(ctx, uow, person_id)
        if last_fix is not None and last_fix + ctx.policy.contact.lost_after > timer.due_at:
            return Postpone(last_fix + ctx.policy.contact.lost_after)  # a later fix, not yet re-armed
    elif timer.payload.get("basis") != "checkin":
        return None  # a check-in's window, but check-ins only count when one is missed
    cause = f"contact:{timer.payload['last_seen']}"
    check_id = uuid.uuid5(person_id, cause)
    result_due = timer.due_at + ctx.policy.contact.check_within
    opened = await store.open_contact_check(
        check_id=check_id,
        person_id=person_id,
        case_id=row["case_id"],
        cause=cause,
        basis=basis,
        opened_at=timer.due_at,
        result_due=result_due,
    )
    if not opened:
        return None  # this window's check exists already
    data = ContactCheckDue(
        person_id=person_id,
        jurisdiction=row["jurisdiction"],
        case_id=row["case_id"],
        cause=cause,
        observed_at=timer.due_at,
        evidence=[timer.key],
        basis=basis,  # type: ignore[arg-type]
        last_seen=datetime.fromisoformat(timer.payload["last_seen"]),
        result_due=result_due,
    )
    await ctx.publish(uow, data, person_id, None, timer.due_at)
    await store.schedule(
        f"contact-check:{check_id}",
        "contact.check",
        result_due,
        {"check_id": str(check_id)} | ctx.positions.shard_tag(person_id),
    )
    return None


async def on_contact_check_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    """No result recorded in time: contact is lost, unless the person showed a sign of life
    (a fix or a check-in) since the check opened."""
    store = ctx.store(uow)
    check = await store.contact_check(uuid.UUID(timer.payload["check_id"]))
    if check is None or check["outcome"] is not None:
        return
    case = await store.case(check["case_id"])
    if case is None or case["status"] not in ACTIVE:  # closed meanwhile: it left every schedule
        await store.close_contact_check(check["check_id"], "case_closed", timer.due_at, None, None)
        return
    person_id, opened = check["person_id"], check["opened_at"]
    last_fix = await fixes._last_fix(ctx, uow, person_id)
    alive = (last_fix is not None and last_fix > opened) or await store.count_recorded(
        person_id, "sps.ingest.checkin", opened
    )
    outcome = "sign_of_life" if alive else "no_result"
    await store.close_contact_check(check["check_id"], outcome, timer.due_at, None, None)
    checked = ContactChecked(
        person_id=person_id, case_id=check["case_id"], check_id=check["check_id"], outcome=outcome, at=timer.due_at
    )  # type: ignore[arg-type]
    await ctx.publish(uow, checked, person_id, None, timer.due_at)
    if alive:
        return
    lost = ContactLost(
        person_id=person_id,
        jurisdiction=case["jurisdiction"],
        case_id=check["case_id"],
        cause=check["cause"],
        observed_at=timer.due_at,
        evidence=[str(check["check_id"])],
        reason="no_result",
    )
    await ctx.publish(uow, lost, person_id, None, timer.due_at)


async def on_intake_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    row = await ctx.store(uow).case(uuid.UUID(timer.payload["case_id"]))
    if row is None or row["status"] != "awaiting_intake":
        return
    person_id = uuid.UUID(timer.payload["person_id"])
    data = IntakeMissed(
        person_id=person_id,
        jurisdiction=row["jurisdiction"],
        cause=f"intake:{timer.payload['case_id']}",
        observed_at=timer.due_at,
        case_id=uuid.UUID(timer.payload["case_id"]),
        evidence=[timer.key],
    )
    await ctx.publish(uow, data, person_id, None, timer.due_at)


async def on_leave_approved(
    ctx: SupervisionContext, event: IncomingEvent, data: LeaveApproved, uow: UnitOfWork
) -> None:
    """Every replica learns of a leave from the event: the one that owns the person's fixes applies it."""
    leave = Leave(data.leave_id, data.starts_at, data.ends_at)
    uow.after_commit(lambda: ctx.directory.add_leave(data.person_id, leave))


async def on_leave_returned(
    ctx: SupervisionContext, event: IncomingEvent, data: LeaveReturned, uow: UnitOfWork
) -> None:
    """销假: every replica ends the leave's cover at the return (the owner of the fixes applies it)."""
    uow.after_commit(lambda: ctx.directory.end_leave(data.person_id, data.leave_id, data.returned_at))


async def on_leave_end(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> None:
    person_id = uuid.UUID(timer.payload["person_id"])
    store = ctx.store(uow)
    zone = await fixes._zone(ctx, uow, person_id)
    if zone is None or not zone[1]:
        return  # back (or no position known: check-ins judge that, not this rule)
    case = await store.case(uuid.UUID(timer.payload["case_id"]))
    if case is None or case["status"] not in ACTIVE:
        return  # the case closed meanwhile: it left every schedule
    data = LeaveOverdue(
        person_id=person_id,
        jurisdiction=case["jurisdiction"],
        case_id=uuid.UUID(timer.payload["case_id"]),
        cause=f"leave:{timer.payload['leave_id']}",
        observed_at=timer.due_at,
        evidence=[timer.payload["leave_id"]],
        leave_end=timer.due_at,
    )
    await ctx.publish(uow, data, person_id, None, timer.due_at)
