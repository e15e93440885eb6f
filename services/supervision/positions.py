"""Supervision's live position state, kept per owned partition of the location topic.

Kafka is the log; each person's zone state and last position is a view of it, held in memory by
the replica that owns the person's partition (docs/performance.md, "Supervision as a stream
processor"):

- A fix that makes a transition (out of the area, back, into an exclusion zone, a strap cut) is
  written at once with its state, its transition through the outbox, in the poll's transaction.
- Any other fix only moves the person's state and position in memory. Every
  `map.checkpoint_every` (policy) a snapshot of every person they moved is taken between two
  polls and written, with the location partitions' next offsets it covers, in one transaction
  of its own in the background, while the polls go on: the map is about that old. A zone-state
  row never goes back in time, so a snapshot that commits after a newer transition's row
  leaves that row alone.
- A replica that takes a partition over loads its persons' state from `zone_state` and replays
  the topic from the checkpointed offset. Replaying is safe: a fix no later than the person's
  persisted last fix changes nothing (domain/zones.on_fix), and a transition was persisted with
  its fix, so it is never judged twice; any other change is judged again to the same state.
- Until a partition's replay has passed the end it had when assigned, it is not live: the
  watchdogs of its persons (sharded timers) wait, so a restart never fires one early.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from aiokafka import TopicPartition
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from services.supervision.adapters.cases import CaseDirectory, CaseView
from services.supervision.adapters.store import SupervisionStore
from services.supervision.adapters.tables import stream_checkpoints
from services.supervision.domain.policy import SupervisionPolicy
from services.supervision.domain.zones import ZoneState
from shared import topics
from shared.db.uow import UnitOfWork
from shared.kafka.partitions import partition_of
from shared.logging import get_logger

log = get_logger(__name__)

# The fix path's write amplification: what a fix costs grows with these per fix.
POSITION_ROWS = Counter(
    "sps_supervision_position_rows_total",
    "Rows the fix path wrote, by table (a watchdog move writes two timers)",
    ["table"],
)
CHECKPOINTS = Counter("sps_supervision_checkpoints_total", "Checkpoints of the live position state", ["why"])
CHECKPOINT_FAILURES = Counter(
    "sps_supervision_checkpoint_failures_total", "Checkpoints that failed (their state kept for the next one)", ["why"]
)
OWNED = Gauge("sps_supervision_partitions", "Location partitions this replica owns, by state", ["state"])

# Timers only the owner of the person's partition fires: they read the person's zone state, which
# the owner holds in memory and the database may hold up to a checkpoint older.
SHARDED_KINDS = frozenset({"device.offline", "contact.lost", "contact.check", "leave.end"})


T = TypeVar("T")
CHUNK = 5000  # rows per statement of a checkpoint: its JSON document stays small (shared/db/bulk.py)


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    """CHUNK at a time, built as it is taken: no list of every pair at once (docs/performance.md)."""
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


class Held(msgspec.Struct, frozen=True, gc=False):
    """A person's state not yet written and where the fix that left it was: one value, untracked
    by the cyclic collector. At 100k persons most of them are held for seconds, until the next
    checkpoint; as tracked objects (a tuple, the fix with the person's id) every collection
    walked them, and they set collections off (docs/performance.md, the collector's share)."""

    lon: float
    lat: float
    accuracy_m: float
    state: ZoneState


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What a checkpoint writes, taken in O(1): the held persons' last fixes and states as they
    were (immutable values), the day-track points, and the offsets they cover. Its rows are built
    while it is written, a chunk at a time, so taking it never holds the polls up (docs/performance.md)."""

    dirty: dict[int, Held]  # person → its state and where its last fix was
    track: list[tuple[Any, ...]]
    offsets: dict[int, int]  # what the rows cover: the owned partitions' next offsets
    taken: float  # when (monotonic)


@dataclass
class LivePositions:
    """The state of the persons on the location partitions this replica owns (the
    `PartitionState` of shared/kafka/state.py). Without a consumer (unit tests, a timer's
    transaction) there is no checkpoint to wait for: what changed is written at once."""

    directory: CaseDirectory
    policy: SupervisionPolicy
    engine: AsyncEngine | None = None
    group_id: str = "sps-supervision-main"
    notify_channel: str = "outbox_supervision"
    monotonic: Callable[[], float] = time.monotonic
    store: Callable[[UnitOfWork], SupervisionStore] = SupervisionStore
    topic: str = topics.LOCATIONS
    partitions: int = 0  # the topic's partition count, once assigned
    owned: set[int] = field(default_factory=set)
    live: set[int] = field(default_factory=set)  # owned, and replayed past the end they had when assigned
    _ends: dict[int, int] = field(default_factory=dict)
    _offsets: dict[int, int] = field(default_factory=dict)  # next offsets the state covers
    _checkpointed: dict[int, int] = field(default_factory=dict)
    # person → where the last fix not yet written was, and the state it left
    _dirty: dict[int, Held] = field(default_factory=dict)
    _track: list[tuple[Any, ...]] = field(default_factory=list)  # day-track points not yet written
    _last_checkpoint: float = field(default=0.0)
    # How long the last few checkpoints took to write: the next one starts that much earlier, so
    # what the database (and the map) holds is never older than `map.checkpoint_every`.
    _write_s: deque[float] = field(default_factory=lambda: deque(maxlen=5))
    # Fault injection for the fault suite only (SPS_FAULT_CHECKPOINT_STALL_S): a checkpoint holds its
    # transaction open this long after writing, so a test can kill the process during one.
    stall_s: float = 0.0
    _writing: asyncio.Task[None] | None = field(default=None, repr=False)

    # --- ownership -------------------------------------------------------------------------------

    def shard_of(self, person_id: uuid.UUID) -> int | None:
        """The location partition a person's records are on (None before the first assignment)."""
        return partition_of(person_id, self.partitions) if self.partitions else None

    def shard_tag(self, person_id: uuid.UUID) -> dict[str, int]:
        """A sharded timer's payload entry naming the person's partition (shared/timers.Shards);
        none before the first assignment (then any replica fires it)."""
        shard = self.shard_of(person_id)
        return {} if shard is None else {"shard": shard}

    def owns(self, person_id: uuid.UUID) -> bool:
        """This replica holds the person's live state, replayed up to date."""
        shard = self.shard_of(person_id)
        return shard is not None and shard in self.live

    def zone(self, person_id: uuid.UUID) -> ZoneState | None:
        """The person's zone state as this replica holds it (owners only: see `owns`)."""
        view = self.directory.get(person_id)
        return None if view is None else view.zone

    def last_fix(self, person_id: uuid.UUID) -> datetime | None:
        """The person's last fix as this replica knows it (owners only: see `owns`)."""
        zone = self.zone(person_id)
        return None if zone is None else zone.last_fix_at

    def live_shards(self) -> set[int]:
        return set(self.live)

    # --- the consumer's hooks (shared/kafka/state.py) -----------------------------------------------

    async def restore(
        self, assigned: set[TopicPartition], ends: dict[TopicPartition, int], partitions: int
    ) -> dict[TopicPartition, int]:
        assert self.engine is not None, "restoring needs the database"
        self.partitions = partitions
        owned = {tp.partition for tp in assigned}
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(stream_checkpoints.c.partition, stream_checkpoints.c.next_offset).where(
                    stream_checkpoints.c.group_id == self.group_id,
                    stream_checkpoints.c.topic == self.topic,
                    stream_checkpoints.c.partition.in_(sorted(owned)),
                )
            )
            checkpoints = {int(r.partition): int(r.next_offset) for r in rows}
        count = partitions

        def keep(person: uuid.UUID) -> bool:
            return partition_of(person, count) in owned

        loaded = await self.directory.load(self.engine, keep=keep)
        gc.collect()  # the views live until the next assignment: out of the cyclic collector's reach
        gc.freeze()  # (docs/performance.md, section 3)
        self.take(owned, {tp.partition: end for tp, end in ends.items()}, checkpoints)
        log.info(
            "live positions restored",
            partitions=sorted(owned),
            cases=loaded,
            replaying={p: self._ends.get(p, 0) - o for p, o in checkpoints.items() if p not in self.live},
        )
        return {TopicPartition(self.topic, p): o for p, o in checkpoints.items()}

    def take(self, owned: set[int], ends: dict[int, int], checkpoints: dict[int, int]) -> None:
        """Own these partitions from their checkpoints (their cases are loaded)."""
        self.owned, self._dirty, self._track = set(owned), {}, []
        self._ends = dict(ends)
        self._offsets = dict(checkpoints)
        self._checkpointed = dict(checkpoints)
        # A partition with no checkpoint yet resumes from the group's committed offset, whose state
        # was written fix by fix before checkpoints existed: live at once.
        self.live = {p for p in owned if p not in checkpoints or checkpoints[p] >= ends.get(p, 0)}
        self._last_checkpoint = self.monotonic()
        self._gauge()

    async def release(self, revoked: set[TopicPartition]) -> None:
        if self.engine is not None and self.owned:
            await self.checkpoint("release")
        gone = {tp.partition for tp in revoked}
        self.owned -= gone
        self.live -= gone
        self._gauge()

    def skipped(self, offsets: dict[TopicPartition, int]) -> None:
        self._advance({tp.partition: o for tp, o in offsets.items()})

    async def in_poll(self, uow: UnitOfWork, offsets: dict[TopicPartition, int]) -> None:
        uow.scratch["stream_offsets"] = {tp.partition: o for tp, o in offsets.items()}
        uow.before_commit("zone-state", lambda: self.flush(uow))

    async def tick(self) -> None:
        """After each poll (and when one brought nothing): a checkpoint that is due starts, in the
        background. Its snapshot is taken now, so the polls after it go on while it is written."""
        if self._writing is not None and self._writing.done():
            if not self._writing.cancelled():
                self._writing.exception()  # logged and counted where it failed
            self._writing = None
        if self._writing is None and self._due() and self._pending():
            snapshot = self._snapshot()
            self._writing = asyncio.create_task(self._write(snapshot, "interval"), name="checkpoint")

    async def checkpoint(self, why: str) -> None:
        """Write what the state holds now and wait for it (after any checkpoint under way)."""
        await self.settled()
        await self._write(self._snapshot(), why)

    async def settled(self) -> None:
        """Wait for a checkpoint under way (its failure is logged, and its state kept to retry)."""
        if self._writing is not None:
            with contextlib.suppress(Exception):
                await self._writing
            self._writing = None

    def _snapshot(self) -> _Snapshot:
        offsets = {p: o for p, o in self._offsets.items() if p in self.owned}
        snapshot = _Snapshot(self._dirty, self._track, offsets, self.monotonic())
        self._dirty, self._track = {}, []
        self._last_checkpoint = snapshot.taken
        return snapshot

    def _rows(
        self, held: Iterable[tuple[int, CaseView | None, ZoneState | None, Any]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[CaseView, datetime]]]:
        """Zone_state rows (ZONE_COLUMNS) for (person, view, state, last fix), and the watchdogs
        due to move on: a checkpoint's chunk, or a poll's transitions."""
        rows: list[tuple[Any, ...]] = []
        moved: list[tuple[CaseView, datetime]] = []
        every = self._rearm_every()
        for person, view, state, fix in held:
            last = None if state is None else state.last_fix_at
            if view is None or state is None or last is None:
                continue  # the case closed meanwhile
            rows.append(
                # 32 hex digits, which PostgreSQL takes as a uuid: no uuid.UUID built per row
                (f"{person:032x}", state.outside_episode, last, state.last_outside)
                + (state.tampered, state.in_zones, fix.lon, fix.lat, fix.accuracy_m)
            )
            armed = view.watchdogs_armed_at
            if armed is None or last - armed >= every:
                moved.append((view, last))
        return rows, moved

    async def _write(self, snapshot: _Snapshot, why: str) -> None:
        """One transaction, its statements in chunks (a bounded document each however many persons
        moved, and the polls run between them). A failure puts what it held back, behind anything
        newer, for the next one."""
        written, every_moved = 0, []
        try:
            async with self.unit_of_work() as uow:
                store = self.store(uow)
                for chunk in _chunks(snapshot.dirty.items()):
                    rows, moved = self._rows((p, self.directory.by_int(p), held.state, held) for p, held in chunk)
                    await store.save_positions(rows)
                    await self._push_watchdogs(store, moved)
                    written += len(rows)
                    every_moved += moved
                for points in _chunks(snapshot.track):
                    await store.add_track_points(points)
                await store.save_checkpoint(self.group_id, self.topic, snapshot.offsets)
                if self.stall_s > 0:
                    log.warning("checkpoint stalled (fault injection)", seconds=self.stall_s, rows=written)
                    await asyncio.sleep(self.stall_s)
        except Exception as exc:
            for person, kept in snapshot.dirty.items():
                self._dirty.setdefault(person, kept)
            self._track[:0] = snapshot.track
            log.warning("checkpoint failed; its state is kept for the next one", error=repr(exc), why=why)
            CHECKPOINT_FAILURES.labels(why).inc()
            raise
        for view, last in every_moved:
            if view.watchdogs_armed_at is None or view.watchdogs_armed_at < last:
                view.watchdogs_armed_at = last
        self._write_s.append(self.monotonic() - snapshot.taken)
        self._checkpointed = {**self._checkpointed, **snapshot.offsets}
        CHECKPOINTS.labels(why).inc()
        POSITION_ROWS.labels("zone_state").inc(written)
        POSITION_ROWS.labels("track_points").inc(len(snapshot.track))
        POSITION_ROWS.labels("timers").inc(2 * len(every_moved))

    def unit_of_work(self) -> Any:
        assert self.engine is not None, "a checkpoint needs the database"
        return UnitOfWork(self.engine, self.notify_channel, service="supervision")

    def _rearm_every(self) -> Any:
        devices, contact = self.policy.devices, self.policy.contact
        return min(devices.watchdog_rearm_every, devices.offline_after, contact.lost_after)

    # --- the fix path's writes -------------------------------------------------------------------------

    async def flush(self, uow: UnitOfWork) -> None:
        """Before a transaction commits: write the persons whose fixes made a transition now, and
        everything held when a checkpoint is due (or when no consumer checkpoints: a timer's or a
        test's transaction). Kept to a dictionary update per person otherwise: it runs every poll."""
        staged: dict[uuid.UUID, tuple[CaseView, ZoneState]] = uow.scratch.get("zone", {})
        positions: dict[uuid.UUID, Any] = uow.scratch.get("position", {})  # the fixes: lon, lat, accuracy_m
        track: list[tuple[Any, ...]] = uow.scratch.get("track", [])
        offsets: dict[int, int] | None = uow.scratch.get("stream_offsets")
        streaming = offsets is not None
        whole = not streaming  # a timer's or a test's transaction: everything at once
        # person → (view, state, where): what to write now
        write: dict[int, tuple[CaseView | None, ZoneState | None, Any]] = {}
        if whole:
            for person, held in self._dirty.items():
                write[person] = (self.directory.by_int(person), held.state, held)
            points = [*self._track, *track]
        else:  # a transition is written with its state at once (replaying never judges it twice)
            points = []
        urgent = staged.keys() if whole else uow.scratch.get("urgent", ())
        for pid in urgent:
            if pid in staged:
                view, state = staged[pid]
                write[pid.int] = (view, state, positions[pid])
        if written_now := (set(write) if not whole else None):
            points = [p for p in [*self._track, *track] if p[0].int in written_now]
        rows, moved = self._rows((p, view, state, fix) for p, (view, state, fix) in write.items())
        store = self.store(uow)
        if rows:
            await store.save_positions(rows)
        if points:
            await store.add_track_points(points)
        await self._push_watchdogs(store, moved)
        poll_offsets = offsets or {}

        def applied() -> None:
            dirty = self._dirty
            if whole:
                for view, state in staged.values():
                    view.zone = state
                self._dirty, self._track = {}, []
            else:
                for pid, (view, state) in staged.items():
                    view.zone = state
                    fix = positions[pid]
                    dirty[pid.int] = Held(fix.lon, fix.lat, fix.accuracy_m, state)
                if written_now:
                    for person in written_now:
                        dirty.pop(person, None)
                    self._track = [p for p in self._track if p[0].int not in written_now]
                    self._track.extend(p for p in track if p[0].int not in written_now)
                else:
                    self._track.extend(track)
            for view, last in moved:
                view.watchdogs_armed_at = last
            self._advance(poll_offsets)
            if rows:
                POSITION_ROWS.labels("zone_state").inc(len(rows))
                POSITION_ROWS.labels("track_points").inc(len(points))
                POSITION_ROWS.labels("timers").inc(2 * len(moved))

        uow.after_commit(applied)

    async def _push_watchdogs(self, store: SupervisionStore, moved: list[tuple[CaseView, datetime]]) -> None:
        """The offline and contact-lost deadlines move on lazily (policy: at most every
        watchdog_rearm_every); one that comes due first reads the owner's last fix, so it never
        fires early (handlers.on_device_offline)."""
        if not moved:
            return
        offline_after, lost_after = self.policy.devices.offline_after, self.policy.contact.lost_after
        offline, contact = [], []
        for view, last in moved:
            tag = self.shard_tag(view.person_id)
            pid = str(view.person_id)
            offline.append(
                {
                    "key": f"offline:{pid}",
                    "kind": "device.offline",
                    "due_at": last + offline_after,
                    "payload": {"person_id": pid, "case_id": str(view.case_id), **tag},
                }
            )
            contact.append(
                {
                    "key": f"contact:{pid}",
                    "kind": "contact.lost",
                    "due_at": last + lost_after,
                    "payload": {"person_id": pid, "last_seen": last.isoformat(), **tag},
                }
            )
        await store.push_back(offline + contact)

    # --- bookkeeping -----------------------------------------------------------------------------------

    def _due(self) -> bool:
        """A fix applied just after a snapshot reaches the database with the next one's commit: one
        interval and one write later. Starting each snapshot the recent writes' longest time before
        the interval is up keeps that within the interval (docs/performance.md, map freshness); the
        lead is at most half the interval, so writing never becomes continuous."""
        every = self.policy.map.checkpoint_every.total_seconds()
        lead = min(max(self._write_s, default=0.0), every / 2)
        return self.monotonic() - self._last_checkpoint >= every - lead

    def _pending(self) -> bool:
        moved = any(self._offsets.get(p) != self._checkpointed.get(p) for p in self._offsets)
        return bool(self._dirty or self._track or moved)

    def _advance(self, offsets: dict[int, int]) -> None:
        for p, o in offsets.items():
            if o > self._offsets.get(p, -1):
                self._offsets[p] = o
            if p in self.owned and p not in self.live and o >= self._ends.get(p, 0):
                self.live.add(p)
                log.info("partition replayed, live", partition=p, offset=o)
                self._gauge()

    def _gauge(self) -> None:
        OWNED.labels("owned").set(len(self.owned))
        OWNED.labels("live").set(len(self.live))
