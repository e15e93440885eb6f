"""The fix path: each location fix judged against the person's areas, zones and leaves, in memory.

Only transitions are published. What a fix moves is written by the live position state
(positions.py): at once when a verdict changed, otherwise at the next checkpoint.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import Counter

from services.supervision.adapters.cases import CaseView
from services.supervision.context import SupervisionContext
from services.supervision.domain.cases import ACTIVE
from services.supervision.domain.geo import judge_position
from services.supervision.domain.leaves import on_leave
from services.supervision.domain.zones import EnteredZone, Exited, Returned, Tampered, ZoneState, on_fix
from shared import topics
from shared.ahead import is_ahead, latest_allowed
from shared.db.uow import UnitOfWork
from shared.envelope import IncomingEvent
from shared.events import (
    BatteryLow,
    DeviceOffline,
    DeviceTampered,
    EventData,
    ExclusionZoneEntered,
    LocationFix,
    ZoneExited,
    ZoneReturned,
)
from shared.kafka.consumer import RejectedRecord
from shared.timers import Postpone, Timer

if TYPE_CHECKING:
    pass

# outcome: parked (no open case yet), judged (when the case opened), dead_lettered (no-open-case)
FIXES_BEFORE_CASE = Counter(
    "sps_supervision_fixes_before_case_total", "Fixes that came before their case was open", ["outcome"]
)
NO_OPEN_CASE = "no-open-case"
FIXES_UNBOUND = Counter(
    "sps_supervision_fixes_unbound_total", "Fixes from a device no positioning order binds (flagged)"
)


async def on_location(ctx: SupervisionContext, event: IncomingEvent, fix: LocationFix, uow: UnitOfWork) -> None:
    """Judge one fix against the person's areas and leaves; publish only transitions. A fix
    whose case is not open yet (its order travels on another topic) is parked until it opens."""
    _not_ahead(ctx, fix.recorded_at, "fix")
    _trusted_device(ctx, fix)
    case = ctx.directory.get(fix.person_id) or uow.scratch.get("opening", {}).get(fix.person_id)
    if case is None:
        _on_its_partition(ctx, fix)  # a case held here is on this partition: checked only when none is
        await _park(ctx, uow, event, fix)
        return
    await _judge(ctx, uow, event, fix, case)


async def on_locations(
    ctx: SupervisionContext, fixes: list[tuple[IncomingEvent, LocationFix]], uow: UnitOfWork
) -> None:
    """A poll's run of fixes, each as `on_location` judges it, in one call (the consumer's
    BatchHandler): the clock is read once for the run, not once a fix."""
    limit = latest_allowed(ctx.clock(), ctx.future_tolerance)
    held = ctx.directory.get
    opening = uow.scratch.get("opening", {})
    for event, fix in fixes:
        if fix.recorded_at > limit:
            _not_ahead(ctx, fix.recorded_at, "fix")
        _trusted_device(ctx, fix)
        case = held(fix.person_id) or opening.get(fix.person_id)
        if case is None:
            _on_its_partition(ctx, fix)
            await _park(ctx, uow, event, fix)
            continue
        await _judge(ctx, uow, event, fix, case)


def _on_its_partition(ctx: SupervisionContext, fix: LocationFix) -> None:
    """This replica holds the cases of the persons on its partitions only: a fix whose key puts
    it on another partition came from a producer that partitions by another hash (librdkafka's
    default is CRC32; the platform's, murmur2). Refused with the reason, rather than parked
    for a case that is held elsewhere."""
    shard = ctx.positions.shard_of(fix.person_id)
    if shard is not None and ctx.positions.owned and shard not in ctx.positions.owned:
        raise RejectedRecord(
            f"misrouted: the fix for {fix.person_id} came on a partition whose persons are not its own; "
            f"keyed by the person id with Kafka's default partitioner (murmur2) it belongs on partition {shard}"
        )


def _trusted_device(ctx: SupervisionContext, fix: LocationFix) -> None:
    """A device bound to someone else, or another device than the ones bound to this person,
    is not trusted: the fix is refused (a dead letter with the reason). A person with no bound
    device yet (no positioning order names one) is judged, and the fix counted as unbound."""
    owner = ctx.directory.owner(fix.device_id)
    if owner is not None and owner != fix.person_id.int:
        raise RejectedRecord(f"device-bound-elsewhere: {fix.device_id} is bound to another person")
    if owner is None:
        if ctx.directory.bound(fix.person_id):
            raise RejectedRecord(f"device-not-bound: {fix.device_id} is not a device bound to this person")
        FIXES_UNBOUND.inc()


def _not_ahead(ctx: SupervisionContext, recorded_at: datetime, what: str) -> None:
    """A device's record too far ahead (shared/ahead.py) goes to the dead-letter topic."""
    if is_ahead(recorded_at, ctx.clock(), ctx.future_tolerance):
        raise RejectedRecord(
            f"future-record: the {what} is dated {recorded_at.isoformat()}, more than {ctx.future_tolerance} ahead"
        )


async def _park(ctx: SupervisionContext, uow: UnitOfWork, event: IncomingEvent, fix: LocationFix) -> None:
    FIXES_BEFORE_CASE.labels("parked").inc()
    now = ctx.clock()
    store = ctx.store(uow)
    await store.park_fix(event.id, fix.person_id, fix.recorded_at, now, event.model_dump(mode="json"))
    due = now + ctx.policy.devices.park_without_case
    await store.arm(f"parked:{fix.person_id}", "fix.parked", due, {"person_id": str(fix.person_id)})


async def on_parked_fixes_due(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> Postpone | None:
    """The park window passed: fixes whose case never opened go to the dead-letter topic with
    the reason `no-open-case`; later ones wait for their own window."""
    person_id = uuid.UUID(timer.payload["person_id"])
    store = ctx.store(uow)
    window = ctx.policy.devices.park_without_case
    case = ctx.directory.get(person_id)
    for envelope in await store.unpark_fixes(person_id, None if case else timer.due_at - window):
        event = IncomingEvent.model_validate(envelope)
        if case is not None:  # opened on another replica meanwhile: judged here after all
            FIXES_BEFORE_CASE.labels("judged").inc()
            await _judge(ctx, uow, event, LocationFix.model_validate(event.data), case)
        else:
            FIXES_BEFORE_CASE.labels("dead_lettered").inc()
            uow.dead_letter(topics.LOCATIONS, event, NO_OPEN_CASE)
    first = await store.first_parked_at(person_id)
    return None if first is None else Postpone(first + window)


async def _judge(
    ctx: SupervisionContext, uow: UnitOfWork, event: IncomingEvent, fix: LocationFix, case: CaseView
) -> None:
    staged: dict[uuid.UUID, tuple[CaseView, ZoneState]] = uow.scratch.setdefault("zone", {})
    state = staged[fix.person_id][1] if fix.person_id in staged else case.zone
    x, y = ctx.directory.projection.xy(fix.lon, fix.lat)
    verdict = judge_position(x, y, fix.accuracy_m, case.permitted, case.exclusions)
    new_state, transitions = on_fix(
        state,
        fix.person_id,
        event.id,
        fix.recorded_at,
        verdict,
        leave_active=on_leave(case.leaves, fix.recorded_at),
        strap_intact=fix.strap_intact,
        arrived_at=event.arrived_at,  # the broker's stamp, or the gateway's time (L7)
    )
    if fix.battery_pct is not None:
        await _battery(ctx, uow, event, fix, case)
    if new_state == state:
        return
    staged[fix.person_id] = (case, new_state)
    positions: dict[uuid.UUID, LocationFix] = uow.scratch.setdefault("position", {})
    positions[fix.person_id] = fix
    if transitions or case.track_at is None or fix.recorded_at - case.track_at >= ctx.policy.map.track_every:
        uow.scratch.setdefault("track", []).append(
            (fix.person_id, fix.recorded_at, fix.lon, fix.lat, fix.accuracy_m, new_state.last_outside)
        )
        case.track_at = fix.recorded_at  # in memory only: a rollback costs at most one extra track point
    uow.before_commit("zone-state", lambda: ctx.positions.flush(uow))
    if transitions:  # written with its state in this transaction (positions.py)
        uow.scratch.setdefault("urgent", set()).add(fix.person_id)
    for t in transitions:
        await _publish_transition(ctx, uow, event, fix, case, t)


async def _battery(
    ctx: SupervisionContext, uow: UnitOfWork, event: IncomingEvent, fix: LocationFix, case: CaseView
) -> None:
    """Low once, until a fix reports it charged again."""
    low = fix.battery_pct < ctx.policy.devices.battery_low_pct  # type: ignore[operator]
    staged: dict[uuid.UUID, bool] = uow.scratch.setdefault("battery", {})  # this batch's changes first
    if low == staged.get(fix.person_id, case.battery_low):
        return
    staged[fix.person_id] = low
    uow.after_commit(lambda: setattr(case, "battery_low", low))
    if low:
        data = BatteryLow(
            person_id=fix.person_id,
            case_id=case.case_id,
            jurisdiction=case.jurisdiction,
            cause=f"battery:{event.id}",
            observed_at=fix.recorded_at,
            evidence=[str(event.id)],
            battery_pct=fix.battery_pct,
        )
        await ctx.publish(uow, data, fix.person_id, event, fix.recorded_at)


async def _publish_transition(
    ctx: SupervisionContext, uow: UnitOfWork, event: IncomingEvent, fix: LocationFix, case: CaseView, t
) -> None:
    common = dict(
        person_id=fix.person_id,
        case_id=case.case_id,
        jurisdiction=case.jurisdiction,
        observed_at=fix.recorded_at,
        evidence=[str(event.id)],
    )
    if isinstance(t, Exited):
        data: EventData = ZoneExited(
            **common,
            cause=f"zone-episode:{t.episode_id}",
            lat=fix.lat,
            lon=fix.lon,
            accuracy_m=fix.accuracy_m,
            distance_m=round(t.distance_m, 1),
        )
    elif isinstance(t, Returned):
        data = ZoneReturned(**common, cause=f"zone-episode:{t.episode_id}")
    elif isinstance(t, EnteredZone):
        data = ExclusionZoneEntered(
            **common,
            cause=f"exclusion:{t.episode_id}",
            zone=t.zone,
            lat=fix.lat,
            lon=fix.lon,
            accuracy_m=fix.accuracy_m,
        )
    else:
        assert isinstance(t, Tampered)
        data = DeviceTampered(**common, cause=f"tamper:{t.episode_id}", device_id=fix.device_id)
    await ctx.publish(uow, data, fix.person_id, event, fix.recorded_at)


async def _zone(ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID) -> tuple[datetime | None, bool] | None:
    """The person's last fix and whether it was outside: the owner's, in memory (the persisted
    ones may be up to a checkpoint interval older); on another replica (a deadline armed before
    sharding) from the database. None when no fix is known."""
    if ctx.positions.owns(person_id):
        zone = ctx.positions.zone(person_id)
        return None if zone is None or zone.last_fix_at is None else (zone.last_fix_at, zone.last_outside)
    position = await ctx.store(uow).position(person_id)
    return None if position is None else (position["last_fix_at"], bool(position["last_outside"]))


async def _last_fix(ctx: SupervisionContext, uow: UnitOfWork, person_id: uuid.UUID) -> datetime | None:
    zone = await _zone(ctx, uow, person_id)
    return None if zone is None else zone[0]


async def on_device_offline(ctx: SupervisionContext, timer: Timer, uow: UnitOfWork) -> Postpone | None:
    person_id = uuid.UUID(timer.payload["person_id"])
    last_fix = await _last_fix(ctx, uow, person_id)
    if last_fix is None:
        return None
    if last_fix + ctx.policy.devices.offline_after > timer.due_at:
        return Postpone(last_fix + ctx.policy.devices.offline_after)  # a later fix, not yet re-armed
    row = await ctx.store(uow).case(uuid.UUID(timer.payload["case_id"]))
    if row is None or row["status"] not in ACTIVE:
        return None
    data = DeviceOffline(
        person_id=person_id,
        jurisdiction=row["jurisdiction"],
        case_id=uuid.UUID(timer.payload["case_id"]),
        cause=f"offline:{last_fix.isoformat()}",
        observed_at=timer.due_at,
        evidence=[timer.key],
        last_fix_at=last_fix,
    )
    await ctx.publish(uow, data, person_id, None, timer.due_at)
    return None
