"""The live position state (services/supervision/positions.py) on a fake store and unit of work,
with a hand-moved clock: what a fix writes at once and what waits for the checkpoint, the
offsets written with it, and the watchdogs reading the owner's last fix. The crash and rebalance
cases run on the real Kafka and PostgreSQL in tests/faults/test_stream_state.py."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from aiokafka import TopicPartition

from services.supervision import fixes as sv_fixes
from services.supervision import handlers as sv_handlers
from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.leaves import Leave
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.positions import LivePositions
from shared import topics
from shared.envelope import IncomingEvent, decode, encode, new_event
from shared.events import CourtOrderIngested, LocationFix, MaskedPerson
from shared.geography import load_geography
from shared.kafka.consumer import RejectedRecord
from shared.kafka.partitions import partition_of
from shared.paths import POLICY_DIR
from shared.timers import Postpone, Timer
from tests.fakes.supervision_store import FakeSupervisionStore
from tests.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)
POLICY = load_supervision_policy(POLICY_DIR)
INSIDE, ELSEWHERE_INSIDE, OUTSIDE = (120.28, 31.91), (120.30, 31.90), (121.47, 31.23)
PARTITIONS = 12
EVERY = POLICY.map.checkpoint_every.total_seconds()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def world() -> tuple[SupervisionContext, FakeUnitOfWork, FakeSupervisionStore, Clock]:
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    directory = CaseDirectory(county_area(geography, projection), projection)
    uow = FakeUnitOfWork("supervision")
    store = FakeSupervisionStore(uow)
    clock = Clock()
    positions = LivePositions(
        directory, POLICY, store=lambda _uow: cast(SupervisionStore, store), monotonic=clock, group_id="g"
    )
    positions.partitions = PARTITIONS
    positions.take(set(range(PARTITIONS)), {p: 0 for p in range(PARTITIONS)}, {})
    positions.unit_of_work = lambda: uow  # type: ignore[method-assign]  # its checkpoints on the fake
    handlers = SupervisionContext(
        directory,
        POLICY,
        clock=lambda: NOW + timedelta(hours=1),
        store=lambda _uow: cast(SupervisionStore, store),
        positions=positions,
    )
    return handlers, uow, store, clock


def incoming(data: Any, type_: str) -> IncomingEvent:
    """As the gateway makes it: a record dated when it is sent arrives then."""
    at = getattr(data, "recorded_at", NOW)
    return decode(encode(new_event(type_, "/sps/test", data, subject=str(data.person_id), time=at)))


async def open_case(handlers: SupervisionContext, uow: FakeUnitOfWork, person: uuid.UUID) -> None:
    order = CourtOrderIngested(
        order_no=f"T-{uuid.uuid4().hex[:8]}",
        court="江阴市人民法院",
        person_id=person,
        person=MaskedPerson(
            name_masked="王*", id_number_masked="3202**********1234", sex="M", residence_town="澄江街道"
        ),
        sentence_kind="probation",
        offence="盗窃罪",
        offence_category="property",
        term_start=date(2026, 12, 1),
        term_end=date(2027, 12, 1),
        judgment_effective=date(2026, 12, 1),
    )
    async with uow:
        await sv_handlers.on_court_order(handlers, incoming(order, "sps.ingest.court-order"), order, cast(Any, uow))


offset = iter(range(1, 10_000))


async def poll(handlers: SupervisionContext, uow: FakeUnitOfWork, person: uuid.UUID, at: datetime, where) -> int:
    """One fix in one poll's transaction, as the consumer runner handles it; its offset back."""
    fix = LocationFix(person_id=person, device_id="d-1", recorded_at=at, lon=where[0], lat=where[1], accuracy_m=10)
    n = next(offset)
    tp = TopicPartition(topics.LOCATIONS, partition_of(person, PARTITIONS))
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
        await handlers.positions.in_poll(cast(Any, uow), {tp: n})
    await handlers.positions.tick()  # as the runner does after each poll
    await handlers.positions.settled()
    return n


async def test_a_fix_that_changes_no_verdict_waits_for_the_checkpoint_and_goes_with_its_offset(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    await poll(handlers, uow, person, NOW, INSIDE)
    assert person not in store.positions  # not due yet: in memory only
    clock.t += EVERY  # the next poll's tick starts the checkpoint (with the watchdogs)
    await poll(handlers, uow, person, NOW + timedelta(seconds=1), INSIDE)
    assert store.positions[person]["last_fix_at"] == NOW + timedelta(seconds=1)
    clock.t += EVERY - 0.5  # not due yet: the next fix stays in memory
    n = await poll(handlers, uow, person, NOW + timedelta(seconds=30), ELSEWHERE_INSIDE)
    assert store.positions[person]["last_fix_at"] == NOW + timedelta(seconds=1)
    assert handlers.positions.last_fix(person) == NOW + timedelta(seconds=30)
    clock.t += 0.5  # due: an idle consumer's tick writes it, with the offset that covers it
    await handlers.positions.tick()
    await handlers.positions.settled()
    row = store.positions[person]
    assert (row["last_fix_at"], row["lon"], row["lat"]) == (NOW + timedelta(seconds=30), *ELSEWHERE_INSIDE)
    assert store.checkpoints[("g", topics.LOCATIONS, partition_of(person, PARTITIONS))] == n


async def test_what_waits_for_the_checkpoint_is_out_of_the_cyclic_collectors_reach(world):
    """At 100k persons most persons' states wait seconds for the checkpoint; as tracked objects
    they set collections off and every collection walked them (docs/performance.md)."""
    handlers, uow, _store, _clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    await poll(handlers, uow, person, NOW, INSIDE)
    held = handlers.positions._dirty[person.int]
    assert (held.lon, held.lat, held.state.last_fix_at) == (*INSIDE, NOW)
    assert not gc.is_tracked(held)
    assert not gc.is_tracked(held.state)


async def test_a_failed_checkpoint_keeps_its_state_for_the_next_one_behind_anything_newer(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    positions = handlers.positions
    await poll(handlers, uow, person, NOW, INSIDE)

    class Away:
        async def __aenter__(self):
            raise OSError("the database went away")

        async def __aexit__(self, *exc):
            return False

    positions.unit_of_work = lambda: Away()  # type: ignore[method-assign]
    clock.t += EVERY
    await positions.tick()
    await positions.settled()
    assert person not in store.positions and positions.last_fix(person) == NOW
    positions.unit_of_work = lambda: uow  # type: ignore[method-assign]
    clock.t += EVERY  # no fix since: the next checkpoint writes what the failed one held
    await positions.tick()
    await positions.settled()
    assert store.positions[person]["last_fix_at"] == NOW
    n = await poll(handlers, uow, person, NOW + timedelta(seconds=2), ELSEWHERE_INSIDE)
    clock.t += EVERY
    await positions.tick()
    await positions.settled()
    assert store.positions[person]["last_fix_at"] == NOW + timedelta(seconds=2)
    assert store.checkpoints[("g", topics.LOCATIONS, partition_of(person, PARTITIONS))] == n


async def test_a_verdict_change_is_written_and_published_at_once_between_checkpoints(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    await poll(handlers, uow, person, NOW, INSIDE)
    clock.t += EVERY
    await handlers.positions.tick()
    await handlers.positions.settled()
    checkpoints = dict(store.checkpoints)
    await poll(handlers, uow, person, NOW + timedelta(seconds=10), OUTSIDE)
    assert uow.types()[-1] == "sps.supervision.zone-exited"
    assert store.positions[person]["outside_episode"] is not None
    assert store.positions[person]["last_fix_at"] == NOW + timedelta(seconds=10)
    assert store.checkpoints == checkpoints  # no checkpoint was due: the offsets did not move
    # The same fix again (a replay after a crash) and an older one change nothing.
    published = len(uow.published)
    await poll(handlers, uow, person, NOW + timedelta(seconds=10), OUTSIDE)
    await poll(handlers, uow, person, NOW + timedelta(seconds=5), OUTSIDE)
    assert len(uow.published) == published


async def test_the_offline_watchdog_reads_the_owners_last_fix_not_the_older_persisted_one(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    await poll(handlers, uow, person, NOW, INSIDE)
    clock.t += EVERY
    await handlers.positions.tick()  # written, and the watchdogs armed from it
    await handlers.positions.settled()
    later = NOW + timedelta(minutes=2)
    await poll(handlers, uow, person, later, INSIDE)  # in memory only
    assert store.positions[person]["last_fix_at"] == NOW
    key, (kind, due, payload) = next((k, v) for k, v in store.timers.items() if k.startswith("offline:"))
    assert payload["shard"] == partition_of(person, PARTITIONS)
    async with uow:
        outcome = await sv_fixes.on_device_offline(handlers, Timer(key, kind, due, payload), cast(Any, uow))
    assert outcome == Postpone(later + POLICY.devices.offline_after)
    assert "sps.supervision.device-offline" not in uow.types()


async def test_a_partition_is_live_only_once_its_replay_has_passed_the_end_it_had_when_taken(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    shard = partition_of(person, PARTITIONS)
    positions = handlers.positions
    positions.take({shard}, {shard: 50}, {shard: 40})
    assert not positions.owns(person) and positions.live_shards() == set()
    await open_case(handlers, uow, person)
    tp = TopicPartition(topics.LOCATIONS, shard)
    fix = LocationFix(person_id=person, device_id="d-1", recorded_at=NOW, lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10)
    async with uow:
        await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
        await positions.in_poll(cast(Any, uow), {tp: 49})
    assert not positions.owns(person)
    positions.skipped({tp: 50})  # the last record was dead-lettered: the replay is through
    assert positions.owns(person) and positions.live_shards() == {shard}


async def test_a_failed_transaction_changes_nothing_in_memory(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    fix = LocationFix(person_id=person, device_id="d-1", recorded_at=NOW, lon=OUTSIDE[0], lat=OUTSIDE[1], accuracy_m=10)
    tp = TopicPartition(topics.LOCATIONS, partition_of(person, PARTITIONS))
    with pytest.raises(RuntimeError):
        async with uow:
            await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))
            await handlers.positions.in_poll(cast(Any, uow), {tp: 7})
            raise RuntimeError("the database went away")
    assert handlers.positions.last_fix(person) is None
    assert person not in store.positions
    await poll(handlers, uow, person, NOW, OUTSIDE)  # retried: judged as if for the first time
    assert uow.types()[-1] == "sps.supervision.zone-exited"


async def test_a_fix_on_a_partition_its_person_is_not_on_is_refused_with_the_reason(world):
    """A producer that partitions by another hash (librdkafka's CRC32) puts a person's fixes where
    another replica holds the person's case: refused at once, naming the partition it belongs on."""
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    shard = partition_of(person, PARTITIONS)
    handlers.positions.take({(shard + 1) % PARTITIONS}, {}, {})
    fix = LocationFix(person_id=person, device_id="d-1", recorded_at=NOW, lon=INSIDE[0], lat=INSIDE[1], accuracy_m=10)
    with pytest.raises(RejectedRecord, match=f"belongs on partition {shard}"):
        async with uow:
            await sv_fixes.on_location(handlers, incoming(fix, "sps.ingest.location"), fix, cast(Any, uow))


async def test_a_leave_that_ends_reads_the_owners_state_not_the_older_persisted_one(world):
    """Fixes outside during a leave make no transition, so they are in memory only until the next
    checkpoint; the leave's end must still see the person outside (leave_overdue)."""
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    leave_id = uuid.uuid4()
    handlers.directory.add_leave(person, Leave(leave_id, NOW - timedelta(hours=1), NOW + timedelta(minutes=1)))
    await poll(handlers, uow, person, NOW, OUTSIDE)
    assert person not in store.positions and "sps.supervision.zone-exited" not in uow.types()
    payload = {"leave_id": str(leave_id), "person_id": str(person), "case_id": str(store.cases[0]["case_id"])}
    async with uow:
        await sv_handlers.on_leave_end(
            handlers, Timer(f"leave-end:{leave_id}", "leave.end", NOW + timedelta(minutes=1), payload), cast(Any, uow)
        )
    assert uow.types()[-1] == "sps.supervision.leave-overdue"


async def test_a_checkpoint_starts_early_by_the_time_writing_took_so_the_map_is_never_older_than_the_interval(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    positions = handlers.positions
    slow = EVERY * 0.3  # each write takes this long

    async def save_checkpoint(*args, real=store.save_checkpoint):
        clock.t += slow
        return await real(*args)

    store.save_checkpoint = save_checkpoint  # type: ignore[method-assign]
    await poll(handlers, uow, person, NOW, INSIDE)
    clock.t += EVERY  # the first checkpoint: on the interval, as before any write was timed
    await positions.tick()
    await positions.settled()
    assert store.positions[person]["last_fix_at"] == NOW
    written = clock.t
    await poll(handlers, uow, person, NOW + timedelta(seconds=1), ELSEWHERE_INSIDE)  # just after that snapshot
    clock.t = written - slow + EVERY - slow - 0.01  # not yet: one write's time before the interval is up
    await positions.tick()
    await positions.settled()
    assert store.positions[person]["last_fix_at"] == NOW
    clock.t += 0.01  # now: started early, so the fix is in the database within one interval of its snapshot
    await positions.tick()
    await positions.settled()
    assert store.positions[person]["last_fix_at"] == NOW + timedelta(seconds=1)
    assert clock.t - (written - slow) <= EVERY + 1e-9


async def test_a_run_of_fixes_in_one_call_is_judged_as_fix_by_fix_and_a_future_one_is_refused(world):
    handlers, uow, store, clock = world
    person = uuid.uuid4()
    await open_case(handlers, uow, person)
    where = [INSIDE, OUTSIDE, OUTSIDE, INSIDE, OUTSIDE]
    fixes = [
        LocationFix(
            person_id=person, device_id="d-1", recorded_at=NOW + timedelta(minutes=k), lon=w[0], lat=w[1], accuracy_m=10
        )
        for k, w in enumerate(where)
    ]
    run = [(incoming(f, "sps.ingest.location"), f) for f in fixes]
    async with uow:
        await sv_fixes.on_locations(handlers, run, cast(Any, uow))
    kinds = [t for t in uow.types() if t.startswith("sps.supervision.zone")]
    assert kinds == ["sps.supervision.zone-exited", "sps.supervision.zone-returned", "sps.supervision.zone-exited"]
    assert handlers.positions.last_fix(person) == NOW + timedelta(minutes=4)
    ahead = LocationFix(
        person_id=person,
        device_id="d-1",
        recorded_at=NOW + timedelta(days=2),
        lon=INSIDE[0],
        lat=INSIDE[1],
        accuracy_m=10,
    )
    with pytest.raises(RejectedRecord, match="future-record"):
        async with uow:
            await sv_fixes.on_locations(handlers, [(incoming(ahead, "sps.ingest.location"), ahead)], cast(Any, uow))
