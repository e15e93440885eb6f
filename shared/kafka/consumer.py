"""The consumer runner every service uses.

Per poll (`getmany`, every assigned partition): decode and validate each record, whose type must
be registered for the topic it came on (contract §7.1: a topic carries only its own events, so
whoever may write a topic raises only its types); records that fail go to `<topic>.dlq` with
the reason in header `sps-error` (original headers kept). The rest are handled in one database
transaction together with the inbox claim, then the offsets of every partition in the poll are
committed at once. So a crash between the database commit and the offset commit redelivers
records whose ids the inbox already holds: nothing lost, nothing applied twice.

Transient failures (database or broker away) are retried with backoff, without limit: a
record is never dropped because a dependency was down. A handler that keeps failing on one
record is isolated from its batch and, after `max_attempts`, dead-lettered with the error; one the
domain refuses (`RejectedRecord`) or whose values PostgreSQL cannot store is dead-lettered at once.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import tracing
from shared.db.uow import UnitOfWork
from shared.envelope import TYPE_HEADER, EnvelopeError, IncomingEvent, decode
from shared.events import EVENT_TYPES, EventData, InvalidEventData, UnknownEventType, decode_typed, parse_data
from shared.kafka.connection import KafkaAuth, client_options
from shared.kafka.fast import FAST_DECODERS
from shared.kafka.producer import EventProducer
from shared.kafka.state import PartitionState
from shared.logging import bind_event, get_logger, unbind_event
from shared.metrics import CONSUMED, CONSUMER_LAG, CONSUMER_RESTARTS, DEAD_LETTERED, DUPLICATES, FAILED, HANDLER_SECONDS
from shared.topics import dlq

Record: TypeAlias = ConsumerRecord[bytes, bytes]
log = get_logger(__name__)

# The data is the registered model of the event's type (the runner validated it), so each handler
# names its own subclass of EventData.
Handler = Callable[[IncomingEvent, Any, UnitOfWork], Awaitable[None]]
# A poll's run of one event type in one call (a location fix costs a few µs of Python: a call,
# its logging context and its bookkeeping per record were a fifth of it; docs/performance.md).
# A record it refuses fails the run, which is then handled record by record, as any batch is.
BatchHandler = Callable[[list[tuple[IncomingEvent, Any]], UnitOfWork], Awaitable[None]]


class TransientError(Exception):
    """Raise from a handler for a failure that a retry may cure."""


class RejectedRecord(Exception):
    """Raise from a handler for a well-formed record the domain refuses (an order number another
    person's case holds): no retry, straight to the dead-letter topic with this reason."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(
        exc,
        (
            TransientError,
            OSError,
            TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.CannotConnectNowError,
            InterfaceError,
            OperationalError,
        ),
    ):
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc.orig, OSError)):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and isinstance(cause, (OSError, asyncpg.PostgresConnectionError))


def is_bad_data(exc: BaseException) -> bool:
    """PostgreSQL refused the record's values themselves (SQLSTATE class 22, data exception): the
    same record fails the same way on every attempt, so it is dead-lettered at once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, asyncpg.DataError):
            return True
        seen.add(id(current))
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


def _refusal(exc: BaseException) -> str | None:
    """The dead-letter reason of a failure no retry can cure, or None."""
    if isinstance(exc, RejectedRecord):
        return str(exc)
    if is_bad_data(exc):
        return f"the database cannot store the record: {exc!r}"
    return None


@dataclass(slots=True)
class _Item:
    record: Record
    event: IncomingEvent
    data: EventData


LOG_APPEND_TIME = 1  # a record's timestamp_type when the broker stamped it (message.timestamp.type)


def _stamp(record: Record, event: Any) -> None:
    """The broker's append time, on a topic it stamps: the record's arrival, which no producer can
    date ahead and a redelivery keeps (docs/security.md, L7)."""
    if getattr(record, "timestamp_type", None) == LOG_APPEND_TIME:
        event.appended(datetime.fromtimestamp(record.timestamp / 1000, UTC))


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no types
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Let the batch in hand finish and commit before the partitions move; a stateful consumer
        # checkpoints what it holds of them.
        async with self.runner._batch_lock:
            await self.runner._release(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # Awaited before any record of the new assignment is fetched.
        async with self.runner._batch_lock:
            await self.runner._restore(assigned)
            if self.runner.on_assigned is not None:
                result = self.runner.on_assigned(assigned)
                if inspect.isawaitable(result):
                    await result


def _fetcher_death(consumer: AIOKafkaConsumer) -> BaseException | None:
    """The error that ended aiokafka's background fetch task, if it ended. The task can die (with
    uvloop, a write to a connection the broker closed raises RuntimeError in it:
    aio-libs/aiokafka#1038, seen after a broker restart), and aiokafka never looks at it again:
    every later poll returns nothing, and the consumer reads nothing, for good, without a word."""
    task = getattr(getattr(consumer, "_fetcher", None), "error_future", None)
    if not isinstance(task, asyncio.Future) or not task.done() or task.cancelled():
        return None
    return task.exception() or KafkaError("the fetch task ended")


TYPE_NOT_ON_TOPIC = "type-not-on-topic"


class TypeNotOnTopic(ValueError):
    """A registered event type on a topic it does not belong to: whoever could write the topic
    (a device vendor, another service) would otherwise raise any type by naming it."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        topics: list[str],
        handlers: dict[str, Handler],
        engine: AsyncEngine,
        producer: EventProducer,
        bootstrap_servers: str,
        notify_channel: str,
        max_records: int = 500,
        max_attempts: int = 5,
        backoff_s: float = 0.2,
        on_assigned: Callable[[set[TopicPartition]], Awaitable[None] | None] | None = None,
        consumer_options: dict[str, Any] | None = None,
        offset_reset: str = "earliest",
        idempotent_types: frozenset[str] = frozenset(),
        max_record_bytes: int = 256 * 1024,
        auth: KafkaAuth | None = None,
        join_timeout_s: float = 60.0,
        state: PartitionState | None = None,
        batch_handlers: dict[str, BatchHandler] | None = None,
        registered_as: dict[str, str] | None = None,
    ) -> None:
        unknown = set(handlers) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"handlers for unregistered event types: {sorted(unknown)}")
        self.service = service
        self.group_id = group_id
        self.topics = topics
        self.handlers = handlers
        self.engine = engine
        self.producer = producer
        self.bootstrap_servers = bootstrap_servers
        self.notify_channel = notify_channel
        self.max_records = max_records
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.on_assigned = on_assigned
        self.consumer_options = consumer_options or {}
        self.offset_reset = offset_reset
        self.idempotent_types = idempotent_types
        self.max_record_bytes = max_record_bytes
        self.join_timeout_s = join_timeout_s
        self.state = state
        self.batch_handlers = batch_handlers or {}
        # A topic read under another name than the registry's (tests feed a copy of a contract
        # topic under a fresh name) → the registry's name, for the type-on-topic check.
        self.registered_as = registered_as or {}
        if stray := set(self.batch_handlers) - set(handlers):
            raise ValueError(f"batch handlers need a handler of one record too (isolation): {sorted(stray)}")
        self._consumer: AIOKafkaConsumer | None = None
        self.client_options = client_options(auth)
        self._batch_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.running = False
        self.handled = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                group_id=self.group_id,
                client_id=f"sps-{self.service}",
                enable_auto_commit=False,
                auto_offset_reset=self.offset_reset,
                **self.client_options,
                **self.consumer_options,
            )
            consumer.subscribe(self.topics, listener=_Listener(self))
            self._consumer = consumer
            try:
                # start() returns once the group has assigned this member its partitions.
                await asyncio.wait_for(consumer.start(), timeout=self.join_timeout_s)
            except (KafkaError, TimeoutError) as exc:
                joining = isinstance(exc, TimeoutError)
                log.warning(
                    "consumer not assigned in time, starting a new one"
                    if joining
                    else "consumer cannot reach Kafka, retrying",
                    error=repr(exc),
                    group=self.group_id,
                    after_s=self.join_timeout_s if joining else None,
                )
                if joining:
                    CONSUMER_RESTARTS.labels(self.service).inc()
                await consumer.stop()
                await self._pause(2.0)
                continue
            self.running = True
            failed = False
            try:
                await self._loop(consumer)
            except KafkaError as exc:
                # The client can die under us: aiokafka's group coordination ends on an error it
                # does not catch (with uvloop, a write to a connection the broker closed raises
                # RuntimeError: aio-libs/aiokafka#1038), and every later poll raises it again.
                # A new consumer rejoins the group; what was not committed is redelivered, and the
                # inbox drops what was already applied.
                log.warning("consumer failed, starting a new one", error=repr(exc), group=self.group_id)
                CONSUMER_RESTARTS.labels(self.service).inc()
                failed = True
            finally:
                self.running = False
                if self.state is not None and not failed:
                    async with self._batch_lock:  # leaving: what is held is checkpointed first
                        await self._release(set(consumer.assignment()))
                try:
                    await consumer.stop()
                except KafkaError as exc:
                    # A dead fetch task raises its error again from its close, before the client's
                    # connections are closed: close them here (aiokafka 0.14's stop order).
                    log.warning("consumer closed on its fetcher's error", error=repr(exc), group=self.group_id)
                    await consumer._client.close()
            if failed:
                await self._pause(1.0)

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            if (died := _fetcher_death(consumer)) is not None:
                raise KafkaError(f"aiokafka's fetcher stopped: {died!r}") from died
            batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
            if not batches:
                if self.state is not None:
                    async with self._batch_lock:
                        await self._retrying("checkpoint", self.state.tick)
                continue
            async with self._batch_lock:
                if self._stopping.is_set():
                    return  # not committed: the next owner gets these records again
                # Every partition's records of this poll in one transaction and one offset commit:
                # a poll spread over 12 partitions costs one round trip to each, not twelve.
                await self._process(batches)
                try:
                    await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
                except (CommitFailedError, IllegalStateError) as exc:
                    # Rebalanced away mid-batch: the new owner re-reads; its inbox drops what we did.
                    log.warning("offset commit refused after rebalance", partitions=len(batches), error=str(exc))
                if self.state is not None:
                    await self._retrying("checkpoint", self.state.tick)
            for tp, records in batches.items():
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(
                        max(0, highwater - records[-1].offset - 1)
                    )

    async def _process(self, batches: dict[TopicPartition, list[Record]]) -> None:
        items: list[_Item] = []
        rejected: list[tuple[Record, str]] = []
        for tp, records in batches.items():  # each partition's records stay in their order
            CONSUMED.labels(self.service, tp.topic).inc(len(records))
            for record in records:
                try:
                    if record.value is not None and len(record.value) > self.max_record_bytes:
                        raise EnvelopeError(
                            f"record of {len(record.value):,} bytes is over the limit of "
                            f"{self.max_record_bytes:,} bytes"
                        )
                    hint = _type_of(record)
                    home = self.registered_as.get(record.topic, record.topic)
                    if hint is not None and hint in self.handlers and EVENT_TYPES[hint].topic == home:
                        decoder = FAST_DECODERS.get(hint)
                        fast = decoder(record.value) if decoder else decode_typed(record.value, hint)
                        if fast is not None:  # one pass from the bytes (docs/performance.md)
                            _stamp(record, fast[0])
                            items.append(_Item(record, *fast))
                            continue
                    event = decode(record.value)
                    registered = EVENT_TYPES.get(event.type)
                    if registered is not None and registered.topic != home:
                        # Contract §7.1: a principal that may write a topic raises only its types.
                        raise TypeNotOnTopic(
                            f"{TYPE_NOT_ON_TOPIC}: {event.type} is an event of {registered.topic}, "
                            f"not of {record.topic}"
                        )
                    if event.type not in self.handlers:
                        if event.type in EVENT_TYPES:
                            continue  # a known event this service does not act on
                        raise UnknownEventType(f"unknown event type {event.type!r}")
                    _stamp(record, event)
                    items.append(_Item(record, event, parse_data(event)))
                except (EnvelopeError, UnknownEventType, InvalidEventData, TypeNotOnTopic) as exc:
                    rejected.append((record, str(exc)))
        if rejected:  # one acknowledged send for the batch's bad records, before its offset can move
            await self._dead_letter_many(rejected)
            if self.state is not None:
                self.state.skipped(_next_offsets(r for r, _ in rejected))
        if items:
            await self._handle_with_retry(items)

    async def _handle_with_retry(self, items: list[_Item]) -> None:
        topics_ = {i.record.topic for i in items}
        topic = next(iter(topics_)) if len(topics_) == 1 else "*"  # the metrics' label
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                await self._handle(items)
                HANDLER_SECONDS.labels(self.service, topic).observe(time.perf_counter() - started)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if (refusal := _refusal(exc)) is not None:
                    FAILED.labels(self.service, topic, "rejected").inc()
                    if len(items) > 1:
                        for item in items:  # isolate the refused record from the good ones
                            await self._handle_with_retry([item])
                        return
                    await self._dead_letter(items[0].record, refusal)
                    return
                if is_transient(exc):
                    FAILED.labels(self.service, topic, "transient").inc()
                    attempt += 1
                    log.warning("transient failure, retrying", error=repr(exc), attempt=attempt)
                    if await self._pause(min(5.0, self.backoff_s * 2 ** min(attempt, 5))):
                        raise
                    continue
                FAILED.labels(self.service, topic, "handler").inc()
                if len(items) > 1:
                    for item in items:  # isolate the record that fails from the good ones
                        await self._handle_with_retry([item])
                    return
                attempt += 1
                if attempt >= self.max_attempts:
                    await self._dead_letter(items[0].record, f"handler failed after {attempt} attempts: {exc!r}")
                    return
                log.warning("handler failed, retrying", error=repr(exc), attempt=attempt)
                await self._pause(self.backoff_s * attempt)

    async def _handle(self, items: list[_Item]) -> None:
        async with UnitOfWork(self.engine, self.notify_channel, service=self.service) as uow:
            by_topic: dict[str, list[uuid.UUID]] = {}
            for i in items:
                if i.event.type not in self.idempotent_types:
                    by_topic.setdefault(i.record.topic, []).append(i.event.id)
            fresh: set[tuple[str, uuid.UUID]] = set()
            for topic, ids in by_topic.items():
                fresh.update((topic, eid) for eid in await uow.claim(topic, ids))
            handled: set[uuid.UUID] = set()
            batched = self.batch_handlers if len(items) > 1 and not tracing.enabled() else {}
            run: list[tuple[IncomingEvent, Any]] = []  # consecutive records of one batched type
            for item in items:
                eid = item.event.id
                if (
                    (item.record.topic, eid) not in fresh and item.event.type not in self.idempotent_types
                ) or eid in handled:
                    DUPLICATES.labels(self.service, item.record.topic).inc()
                    continue
                handled.add(eid)
                if item.event.type in batched:
                    if run and run[0][0].type != item.event.type:
                        await self._run(run, uow)
                        run = []
                    run.append((item.event, item.data))
                    continue
                if run:
                    await self._run(run, uow)
                    run = []
                bind_event(eid, item.event.correlationid)
                try:
                    if tracing.enabled():
                        with tracing.consuming(item.record, item.event.type):
                            await self.handlers[item.event.type](item.event, item.data, uow)
                    else:
                        await self.handlers[item.event.type](item.event, item.data, uow)
                finally:
                    unbind_event()
            if run:
                await self._run(run, uow)
            if self.state is not None:
                await self.state.in_poll(uow, _next_offsets(i.record for i in items))
        self.handled += len(handled)

    async def _run(self, run: list[tuple[IncomingEvent, Any]], uow: UnitOfWork) -> None:
        """A run of one batched type; its log lines name the run's first event."""
        bind_event(run[0][0].id, run[0][0].correlationid)
        try:
            await self.batch_handlers[run[0][0].type](run, uow)
        finally:
            unbind_event()

    async def _restore(self, assigned: set[TopicPartition]) -> None:
        """A stateful consumer loads its partitions' state and resumes each from its checkpoint."""
        state, consumer = self.state, self._consumer
        if state is None or consumer is None:
            return
        mine = {tp for tp in assigned if tp.topic == state.topic}
        partitions = len(consumer.partitions_for_topic(state.topic) or ())

        async def restore() -> dict[TopicPartition, int]:
            ends = await consumer.end_offsets(list(mine)) if mine else {}
            return await state.restore(mine, ends, partitions)

        for tp, offset in (await self._retrying("restore", restore)).items():
            consumer.seek(tp, offset)

    async def _release(self, revoked: set[TopicPartition]) -> None:
        if self.state is not None:
            mine = {tp for tp in revoked if tp.topic == self.state.topic}
            try:
                await self.state.release(mine)
            except Exception as exc:  # the replay from the last checkpoint covers what is not written
                log.warning("checkpoint on release failed", error=repr(exc), group=self.group_id)

    async def _retrying(self, what: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """A step of the state's own (restore, checkpoint) until it succeeds: without its state a
        partition must not be consumed, and the database being away is no reason to drop it."""
        attempt = 0
        while True:
            try:
                return await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                log.warning(f"{what} failed, retrying", error=repr(exc), attempt=attempt, group=self.group_id)
                if await self._pause(min(5.0, self.backoff_s * 2 ** min(attempt, 5))):
                    raise

    async def _dead_letter(self, record: Record, reason: str) -> None:
        await self._dead_letter_many([(record, reason)])

    async def _dead_letter_many(self, rejected: list[tuple[Record, str]]) -> None:
        out = []
        for record, reason in rejected:
            headers = list(record.headers or []) + [
                ("sps-error", reason[:4000].encode()),
                ("sps-original-topic", record.topic.encode()),
                ("sps-original-partition", str(record.partition).encode()),
                ("sps-original-offset", str(record.offset).encode()),
                ("sps-consumer-group", self.group_id.encode()),
            ]
            log.warning("record dead-lettered", topic=record.topic, offset=record.offset, reason=reason[:300])
            out.append((dlq(record.topic), record.key, record.value or b"", headers))
        while True:
            try:
                await self.producer.publish_raw(out)
                for record, _ in rejected:
                    DEAD_LETTERED.labels(self.service, record.topic).inc()
                return
            except KafkaError as exc:  # the DLQ must not lose the record either
                log.warning("DLQ publish failed, retrying", error=str(exc))
                if await self._pause(1.0):
                    raise

    async def _pause(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass
        return self._stopping.is_set()


def _next_offsets(records: Any) -> dict[TopicPartition, int]:
    """The next offset after the records given, per partition."""
    out: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        out[tp] = max(out.get(tp, 0), r.offset + 1)
    return out


def _type_of(record: Record) -> str | None:
    """The event type the record's `sps-type` header names, if any (a hint: the envelope decides)."""
    headers: Sequence[tuple[str, bytes]] = record.headers or ()
    if len(headers) > 1 and headers[1][0] == TYPE_HEADER:  # where the platform's producers put it
        try:
            return str(headers[1][1].decode())
        except UnicodeDecodeError:
            return None
    for key, value in headers:
        if key == TYPE_HEADER:
            try:
                return str(value.decode())
            except UnicodeDecodeError:
                return None
    return None
