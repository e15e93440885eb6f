"""The runtime every service is built from: database, producer, outbox relay, consumers, probes.

A service declares what is its own (migrations, consumers, routes, background tasks); this
module starts and stops the rest the same way everywhere. Startup runs in the background so
`/healthz` answers at once and `/readyz` tells when Kafka and the database are reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.county import County, load_county
from shared.db.engine import make_engine, ping
from shared.db.migrate import prepare_database
from shared.db.uow import UnitOfWork
from shared.events import topics_of
from shared.http import install_probes, install_problem_handlers, problem_response
from shared.kafka.admin import ensure_topics
from shared.kafka.consumer import BatchHandler, ConsumerRunner, Handler
from shared.kafka.producer import EventProducer
from shared.kafka.retention import load_retention
from shared.kafka.state import PartitionState
from shared.logging import configure_logging, get_logger
from shared.outbox import OutboxRelay
from shared.service_tokens import ServiceTokens
from shared.settings import ServiceSettings, service_tokens
from shared.timers import Shards, TimerHandler, TimerLoop
from shared.tracing import setup_tracing

log = get_logger(__name__)


@dataclass
class ConsumerSpec:
    handlers: dict[str, Handler]
    group_suffix: str = "main"
    on_assigned: Callable[..., Awaitable[None]] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Event types whose handlers are idempotent by their own state (a redelivery changes nothing),
    # so they skip the inbox row: the one database write per event that a fix would otherwise cost.
    idempotent_types: frozenset[str] = frozenset()
    # A stateful consumer's state per owned partition, checkpointed with its offsets (shared/kafka/state.py).
    state: PartitionState | None = None
    # Types whose poll's run goes to one call (shared/kafka/consumer.BatchHandler); each also
    # has its one-record handler in `handlers`.
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)

    @property
    def topics(self) -> list[str]:
        """The topics that carry the handled types (the registry says which): a service
        subscribes to exactly what it handles."""
        return topics_of(self.handlers)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, *, migrations: Path) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.migrations = migrations
        self.engine: AsyncEngine = make_engine(settings.service_database_url)
        # The county's time zone and working days (policy/calendar.yaml): every day and month.
        self.county: County = load_county(settings.policy_dir)
        self.retention = load_retention(settings.policy_dir)  # read at start: a bad file stops the service
        # Missing Kafka credentials stop the start here, naming the variable (contract §6.1).
        self.kafka_auth = settings.kafka_auth()
        self.kafka_auth.check()
        # Missing service keys outside demo mode stop the start here, naming the variables.
        self._service_tokens = service_tokens(settings)
        self.producer = EventProducer(
            settings.kafka_bootstrap_servers, self.name, auth=self.kafka_auth, linger_ms=settings.kafka_linger_ms
        )
        self.notify_channel = f"outbox_{self.name}"
        self.relay = OutboxRelay(
            self.name,
            settings.service_database_url,
            self.producer,
            channel=self.notify_channel,
            poll_interval_s=settings.outbox_poll_interval_s,
        )
        self.consumers: list[ConsumerRunner] = []
        self._specs: list[ConsumerSpec] = []
        self._startup_hooks: list[Callable[[ServiceRuntime], Awaitable[None]]] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []  # consumers and relay: asked to stop, then awaited
        self._loops: list[asyncio.Task[None]] = []  # background loops: cancelled
        self.started: asyncio.Event | None = None  # created inside the running loop
        self.startup_error: str | None = None
        self.phase = "not started"  # the start's current step, told by /readyz until it is done

    # --- declaration ---------------------------------------------------------------

    def consume(self, spec: ConsumerSpec) -> None:
        self._specs.append(spec)

    def consumer_groups(self) -> dict[str, list[str]]:
        """Each consumer group this service will run, with the topics it reads."""
        return {self.group_id(spec): spec.topics for spec in self._specs}

    def group_id(self, spec: ConsumerSpec) -> str:
        return f"sps-{self.name}-{spec.group_suffix}"

    def on_startup(self, hook: Callable[[ServiceRuntime], Awaitable[None]]) -> None:
        """Runs after migrations and before consumers start (load caches here)."""
        self._startup_hooks.append(hook)

    def background(self, task: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._background.append(task)

    def timers(
        self, handlers: dict[str, TimerHandler], *, poll_interval_s: float = 1.0, shards: Shards | None = None
    ) -> TimerLoop:
        """The service's durable deadlines (shared/timers.py), run in the background. `shards`: the
        kinds only the replica owning their partition fires, and the partitions it owns now."""
        loop = TimerLoop(
            self.engine,
            self.notify_channel,
            handlers,
            poll_interval_s=poll_interval_s,
            service=self.name,
            shards=shards,
        )
        self.background(loop.run)
        return loop

    @property
    def source(self) -> str:
        """The CloudEvents `source` of what this service publishes."""
        return f"/sps/{self.name}"

    @property
    def service_tokens(self) -> ServiceTokens:
        """Signs this service's internal calls and verifies those made to it."""
        return self._service_tokens

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.notify_channel, service=self.name)

    # --- lifecycle -----------------------------------------------------------------

    async def _start(self) -> None:
        s = self.settings
        self.phase = "database: migrations"
        attempt = 0
        while True:
            try:
                await prepare_database(s, self.migrations, self.engine)
                break
            except (OSError, ConnectionError, TimeoutError) as exc:
                self.startup_error = f"database not reachable: {exc}"
                log.warning("waiting for the database", error=str(exc))
                await asyncio.sleep(1.0)
            except Exception as exc:  # logged and retried: never a silent stall
                # A server that refuses mid-start (a standby not yet promoted, a lock, a failover)
                # may answer differently next time; a broken migration keeps failing, said so.
                attempt += 1
                self.startup_error = f"preparing the database failed: {exc!r}"
                log.error("preparing the database failed; retrying", error=repr(exc), attempt=attempt)
                await asyncio.sleep(min(10.0, 0.5 * 2 ** min(attempt, 5)))
        self.phase = "kafka: topics and producer"
        while True:
            try:
                await ensure_topics(
                    s.kafka_bootstrap_servers,
                    partitions=s.topic_partitions,
                    replication_factor=s.topic_replication_factor,
                    per_topic=self.retention.topic_configs(),
                    auth=self.kafka_auth,
                )
                await self.producer.start()
                break
            except Exception as exc:
                self.startup_error = f"Kafka not reachable: {exc}"
                log.warning("waiting for Kafka", error=str(exc))
                await self.producer.stop()
                await asyncio.sleep(1.0)
        self.phase = "startup hooks"
        self.startup_error = None
        for hook in self._startup_hooks:
            await hook(self)
        self.phase = "consumers"
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for spec in self._specs:
            runner = ConsumerRunner(
                service=self.name,
                group_id=self.group_id(spec),
                topics=spec.topics,
                handlers=spec.handlers,
                engine=self.engine,
                producer=self.producer,
                bootstrap_servers=s.kafka_bootstrap_servers,
                notify_channel=self.notify_channel,
                max_records=s.consumer_max_records,
                max_attempts=s.consumer_retry_max_attempts,
                backoff_s=s.consumer_retry_backoff_s,
                on_assigned=spec.on_assigned,
                consumer_options={"max_partition_fetch_bytes": s.consumer_max_partition_fetch_bytes, **spec.options},
                offset_reset=s.consumer_offset_reset,
                idempotent_types=spec.idempotent_types,
                max_record_bytes=s.consumer_max_record_bytes,
                auth=self.kafka_auth,
                join_timeout_s=s.consumer_join_timeout_s,
                state=spec.state,
                batch_handlers=spec.batch_handlers,
            )
            self.consumers.append(runner)
            self._tasks.append(asyncio.create_task(runner.run(), name=f"consumer-{spec.group_suffix}"))
        for task in self._background:
            self._loops.append(asyncio.create_task(task(), name=getattr(task, "__name__", "background")))
        self.startup_error = None
        self.phase = "started"
        assert self.started is not None, "the lifespan creates it before starting"
        self.started.set()
        log.info("service started", consumers=len(self.consumers))

    async def stop(self) -> None:
        self.relay.stop()
        for runner in self.consumers:
            runner.stop()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.producer.stop()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, bool]:
        db, kafka = await asyncio.gather(ping(self.engine), self.producer.ping())
        started = self.started is not None and self.started.is_set()
        consumers = all(c.running for c in self.consumers)
        return {"database": db, "kafka": kafka, "started": started, "consumers": consumers}

    def readiness_detail(self) -> dict[str, str]:
        """Where the start is, for an operator reading /readyz (and the test stack). The error
        itself stays in the log: the probe of a public service names no address or driver."""
        detail = {"phase": self.phase}
        waiting = [c.group_id for c in self.consumers if not c.running]
        if waiting:
            detail["consumers_waiting"] = ", ".join(waiting) + (
                " (joining the group)" if self.phase == "started" else ""
            )
        return detail

    def _start_ended(self, task: asyncio.Task[None]) -> None:
        """A start that raised (a startup hook, a consumer that cannot be made) is logged as an error
        with its phase (which /readyz shows), instead of leaving the service unready with no word
        of why."""
        if task.cancelled() or (exc := task.exception()) is None:
            return
        self.startup_error = f"start failed in phase {self.phase!r}: {exc!r}"
        log.error("start failed; the service stays unready until restarted", phase=self.phase, error=repr(exc))

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        self.started = asyncio.Event()
        starter = asyncio.create_task(self._start(), name="startup")
        starter.add_done_callback(self._start_ended)
        try:
            yield
        finally:
            starter.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starter
            await self.stop()


@dataclass
class ServiceParts:
    """What a service wires once in its `main` and its routes receive (each service's `deps.py`
    subclasses this with its own policy, handlers and clients)."""

    runtime: ServiceRuntime


def build_app(runtime: ServiceRuntime, *routers: APIRouter, title: str, parts: ServiceParts) -> FastAPI:
    """The service's FastAPI app. `parts` is the service's wired parts (its `deps.Parts`), which
    routes receive through the typed dependencies of the service's `deps.py`."""
    configure_logging(runtime.name)
    setup_tracing(runtime.name)  # FastAPI traces requests itself once a provider is installed
    app = FastAPI(title=title, lifespan=runtime.lifespan, version="1")
    app.state.parts = parts  # the one use of app.state: read back only by shared.deps
    install_problem_handlers(app)
    install_probes(app, runtime.readiness, runtime.readiness_detail)
    app.add_middleware(NoNulInUrl)
    if runtime.settings.internal_port:
        app.add_middleware(ListenerSplit, internal_port=runtime.settings.internal_port)
    for router in routers:
        app.include_router(router)
    return app


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class NoNulInUrl:
    """A NUL character in the path or the query is a 422: PostgreSQL cannot store or compare it,
    and a query on it would be a 500 (found by fuzzing the console)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            where = "path" if "\x00" in scope["path"] else "query"
            errors = [{"field": where, "message": "may not contain the NUL character"}]
            response = problem_response(422, "Unprocessable Entity", f"the {where} contains NUL", errors=errors)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ListenerSplit:
    """Contract §7.3: `/internal/` only on the internal listener, and only it (and the probes)
    there. The listener is told by the port the connection came in on (the ASGI `server`)."""

    def __init__(self, app: ASGIApp, internal_port: int) -> None:
        self.app = app
        self.internal_port = internal_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            server = scope.get("server")
            on_internal = server is not None and server[1] == self.internal_port
            path: str = scope["path"]
            if path.startswith("/internal/") != on_internal and path not in PROBES:
                where = "the internal listener" if on_internal else "this port"
                response = problem_response(404, "Not Found", f"{path} is not served on {where}")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


S = TypeVar("S", bound=ServiceSettings)


def run_service(create_app: Callable[[S], FastAPI], settings_type: type[S]) -> None:
    """The entry point of every service process (`python -m services.<name>.main`)."""
    settings = settings_type()
    serve(create_app(settings), settings)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run one service process (uvicorn), logging through structlog only."""
    import gc

    import uvicorn

    from shared.metrics import watch_gc

    gc.set_threshold(*settings.gc_thresholds)
    watch_gc()
    config = uvicorn.Config(app, log_config=None, access_log=False, **server_options(settings))
    sockets = [config.bind_socket()]
    if settings.internal_port:  # the internal listener (contract §7.3): the same app, its own port
        internal = uvicorn.Config(app, host=settings.http_host, port=settings.internal_port)
        sockets.append(internal.bind_socket())
    uvicorn.Server(config).run(sockets=sockets)


def server_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's address and proxy settings: X-Forwarded-For only from `SPS_TRUSTED_PROXIES`
    (uvicorn alone would believe it from 127.0.0.1, or from whatever FORWARDED_ALLOW_IPS says)."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {
        "host": settings.http_host,
        "port": settings.http_port,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or "",
    }
