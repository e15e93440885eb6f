"""Alerting in process against the real broker and database, on a policy copy with deadlines in
seconds: a restart inside an escalation window escalates exactly once; two timer loops racing
fire each timer once; a signed webhook sees each alert change once; bad records go to the DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.alerting.adapters.channels import verify
from services.alerting.adapters.tables import alert_log, alerts
from services.alerting.main import AlertingSettings, create_app
from shared import topics
from shared.db.uow import UnitOfWork
from shared.envelope import new_event
from shared.events import ZoneExited
from shared.kafka.producer import EventProducer
from shared.paths import POLICY_DIR
from shared.timers import TimerLoop, schedule, timers
from tests.kafka_helpers import header, read_topic, start_groups_at_end
from tests.waiting import eventually, until

SECRET = "webhook-test-secret"


@pytest.fixture(scope="module")
def fast_policy(tmp_path_factory) -> Path:
    """The shipped policy with zone_exit's acknowledgement deadline at 3 seconds."""
    d = tmp_path_factory.mktemp("policy")
    shutil.copytree(POLICY_DIR, d, dirs_exist_ok=True)
    text = (d / "alerts.yaml").read_text(encoding="utf-8")
    (d / "alerts.yaml").write_text(
        text.replace("    colour: orange\n    ack: PT30M", "    colour: orange\n    ack: PT3S", 1), encoding="utf-8"
    )
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A webhook receiver that checks signatures, and fails the first calls on purpose."""

    def __init__(self, fail_first: int = 0) -> None:
        self.port = free_port()
        self.seen: list[tuple[str, int, str]] = []
        self.people: list[str] = []
        self.bad_signatures = 0
        self.fail_left = fail_first
        self.server: uvicorn.Server | None = None

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        if not verify(SECRET, request.headers.get("X-SPS-Signature", ""), body):
            self.bad_signatures += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.fail_left > 0:
            self.fail_left -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        payload = orjson.loads(body)
        self.seen.append((payload["alert"]["alert_id"], payload["alert"]["version"], payload["step"]))
        self.people.append(payload["alert"]["person_id"])
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def running(self):
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.05)
        try:
            yield self
        finally:
            self.server.should_exit = True
            await task


def settings_for(stack, name: str, policy_dir: Path, **extra) -> AlertingSettings:
    return AlertingSettings(
        service_name=name,
        demo_mode=True,
        kafka_bootstrap_servers=stack.bootstrap,
        database_url=stack.database_url,
        policy_dir=policy_dir,
        timer_poll_interval_s=0.2,
        outbox_poll_interval_s=0.2,
        **extra,
    )


@contextlib.asynccontextmanager
async def alerting_app(settings: AlertingSettings):
    app = create_app(settings)
    await start_groups_at_end(settings.kafka_bootstrap_servers, app.state.parts.runtime.consumer_groups())
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.parts.runtime.started.wait(), timeout=60)
        yield app


def zone_exit(person: uuid.UUID, at: datetime, town: str = "澄江街道") -> bytes:
    cause = f"zone-episode:{uuid.uuid4()}"
    data = ZoneExited(
        person_id=person,
        jurisdiction=town,
        cause=cause,
        observed_at=at,
        evidence=[str(uuid.uuid4())],
        lat=31.2,
        lon=121.4,
        accuracy_m=10,
        distance_m=900,
    )
    from shared.envelope import encode

    return encode(new_event("sps.supervision.zone-exited", "/sps/supervision", data, subject=str(person)))


async def produce(stack, values: list[tuple[str, bytes]], topic: str = topics.SUPERVISION_EVENTS) -> None:
    producer = EventProducer(stack.bootstrap, "test")
    await producer.start()
    try:
        await producer.publish_raw([(topic, key, v, []) for key, v in values])
    finally:
        await producer.stop()


async def alert_events(stack, engine, alert_id: str) -> list[dict]:
    """This instance's events for the alert (another alerting service may share the test broker)."""
    from shared.db.plumbing import outbox

    async with engine.connect() as conn:
        ours = {str(i) for i in (await conn.execute(sa.select(outbox.c.event_id))).scalars()}
    records = await read_topic(stack.bootstrap, topics.ALERTS, min_count=0, timeout_s=5)
    return [e for r in records if (e := orjson.loads(r.value))["data"]["alert_id"] == alert_id and e["id"] in ours]


async def test_restart_inside_the_escalation_window_escalates_exactly_once(stack, fast_policy):
    settings = settings_for(stack, "alerting_restart", fast_policy)
    person = uuid.uuid4()
    async with alerting_app(settings) as app:
        engine = app.state.parts.runtime.engine
        await produce(stack, [(str(person), zone_exit(person, datetime.now(UTC)))])

        async def raised():
            async with engine.connect() as conn:
                return (
                    await conn.execute(
                        sa.select(alerts.c.alert_id, alerts.c.ack_due_at).where(alerts.c.person_id == person)
                    )
                ).first()

        alert_id, ack_due = await eventually(raised)
    # Down across the 3-second deadline; the timer must still fire, once, after the restart.
    await until(ack_due)
    async with alerting_app(settings) as app:
        engine = app.state.parts.runtime.engine

        async def escalated(of_this: bool = True):
            async with engine.connect() as conn:
                return await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(alert_log.join(alerts, alerts.c.alert_id == alert_log.c.alert_id))
                    .where(
                        alerts.c.person_id == person,
                        (alert_log.c.alert_id == alert_id) if of_this else (alert_log.c.alert_id != alert_id),
                        alert_log.c.step == "escalated",
                    )
                )

        await eventually(escalated)
        # The canary: another alert of the person, raised with its deadline already past, so the
        # timer loop escalates it at its next poll; by then a second firing of the first would show.
        await produce(stack, [(str(person), zone_exit(person, datetime.now(UTC) - timedelta(seconds=10)))])
        await eventually(lambda: escalated(of_this=False))
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(alerts.c.colour, alerts.c.status, alerts.c.version).where(alerts.c.alert_id == alert_id)
                )
            ).one()
            steps = (
                (
                    await conn.execute(
                        sa.select(alert_log.c.step).where(alert_log.c.alert_id == alert_id).order_by(alert_log.c.id)
                    )
                )
                .scalars()
                .all()
            )
        events = await alert_events(stack, engine, str(alert_id))
    assert steps == ["raised", "escalated"]
    assert (row.colour, row.status, row.version) == ("red", "escalated", 2)
    assert [e["type"] for e in events] == ["sps.alert.raised", "sps.alert.escalated"]
    assert events[1]["data"]["level"] == "county_command_centre"
    assert "county_command_centre" in events[1]["data"]["notify"]


async def test_two_timer_loops_racing_fire_each_timer_once(stack):
    """Two replicas' timer loops on one database: every timer fires once, and both do some."""
    from sqlalchemy.engine import make_url

    from shared.db import plumbing
    from shared.db.engine import ensure_database, make_engine
    from shared.timers import metadata as timer_md

    await ensure_database(stack.database_url, "sps_test_timers")
    engine = make_engine(
        make_url(stack.database_url).set(database="sps_test_timers").render_as_string(hide_password=False)
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(plumbing.metadata.create_all)
            await conn.run_sync(timer_md.create_all)
        fired: list[str] = []

        async def record(timer, uow):
            fired.append(timer.key)
            await asyncio.sleep(0.01)

        keys = [f"race:{uuid.uuid4()}" for _ in range(200)]
        async with UnitOfWork(engine, "race") as uow:
            for key in keys:
                await schedule(uow, key, "race", datetime.now(UTC) - timedelta(seconds=1))
            assert not await schedule(uow, keys[0], "race", datetime.now(UTC))  # once per key
        loops = [TimerLoop(engine, "race", {"race": record}, batch=50) for _ in range(2)]

        async def drain(loop):
            while await loop.fire_due():
                pass

        await asyncio.gather(*(drain(loop) for loop in loops))
        async with engine.connect() as conn:
            unfired = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(timers)
                .where(timers.c.key.in_(keys), timers.c.fired_at.is_(None))
            )
    finally:
        await engine.dispose()
    assert sorted(fired) == sorted(keys) and unfired == 0
    assert all(loop.fired > 0 for loop in loops), "both replicas did some of the work"


async def test_a_signed_webhook_sees_each_alert_change_once_even_after_failures(stack, fast_policy):
    receiver = Receiver(fail_first=2)
    hooks = orjson.dumps(
        [{"name": "county-hook", "url": f"http://127.0.0.1:{receiver.port}/hook", "secret": SECRET}]
    ).decode()
    settings = settings_for(stack, "alerting_hook", fast_policy, alert_webhooks=hooks)
    people = [uuid.uuid4() for _ in range(3)]
    async with receiver.running(), alerting_app(settings):
        now = datetime.now(UTC) + timedelta(hours=1)  # deadlines far away: no escalation in this test
        await produce(stack, [(str(p), zone_exit(p, now)) for p in people])
        # zone_exit is orange: the office and the county are told → two deliveries per alert change
        await eventually(lambda: _at_least(receiver, people, 2 * len(people)), timeout_s=60)
        # The canary: one more alert after those; once the notifier has delivered it, a delivery of
        # the first ones again would have come before it.
        canary = uuid.uuid4()
        await produce(stack, [(str(canary), zone_exit(canary, now))])
        await eventually(lambda: _at_least(receiver, [canary], 2), timeout_s=60)
    mine = [seen for seen, who in zip(receiver.seen, receiver.people) if who in {str(p) for p in people}]
    assert receiver.bad_signatures == 0
    assert len(mine) == 2 * len(people)
    assert len(set(mine)) == len(people)  # one (alert, version, step) each, told to two targets
    assert {step for *_, step in mine} == {"raised"}


async def _at_least(receiver: Receiver, people, n: int) -> bool:
    return sum(who in {str(p) for p in people} for who in receiver.people) >= n


async def test_bad_records_on_an_input_topic_go_to_the_dlq_and_alerting_goes_on(stack, fast_policy):
    settings = settings_for(stack, "alerting_dlq", fast_policy)
    person = uuid.uuid4()
    marker = uuid.uuid4().hex
    async with alerting_app(settings) as app:
        engine = app.state.parts.runtime.engine
        bad = orjson.dumps(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "/sps/supervision",
                "type": "sps.supervision.zone-exited",
                "time": datetime.now(UTC).isoformat(),
                "data": {"person_id": "not-a-uuid", "marker": marker},
            }
        )
        await produce(
            stack,
            [
                (str(person), b"garbage " + marker.encode()),
                (str(person), bad),
                (str(person), zone_exit(person, datetime.now(UTC) + timedelta(hours=1))),
            ],
        )

        async def raised():
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(alerts.c.alert_id).where(alerts.c.person_id == person))

        await eventually(raised)
    dead = await read_topic(stack.bootstrap, topics.dlq(topics.SUPERVISION_EVENTS), min_count=2)
    mine = [
        r for r in dead if marker.encode() in r.value and header(r, "sps-consumer-group") == "sps-alerting_dlq-main"
    ]
    reasons = sorted(header(r, "sps-error") for r in mine)
    assert len(mine) == 2, reasons
    assert reasons[0].startswith("invalid data for sps.supervision.zone-exited") and "person_id" in reasons[0]
    assert reasons[1].startswith("not JSON")


@pytest.fixture(scope="module")
def fragile_policy(tmp_path_factory) -> Path:
    """Notifications give up after 2 attempts; 2 seconds of waiting counts as a silent pipeline."""
    d = tmp_path_factory.mktemp("policy-fragile")
    shutil.copytree(POLICY_DIR, d, dirs_exist_ok=True)
    text = (d / "alerts.yaml").read_text(encoding="utf-8")
    text = text.replace("  max_attempts: 8", "  max_attempts: 2").replace(
        "  silent_after: PT5M", "  silent_after: PT2S"
    )
    (d / "alerts.yaml").write_text(text, encoding="utf-8")
    return d


async def test_undeliverable_notifications_go_to_their_dlq_and_a_silent_pipeline_raises_an_alert(stack, fragile_policy):
    from services.alerting.adapters.notifier import SYSTEM_PERSON
    from services.alerting.adapters.tables import notifications

    dead_port = free_port()  # nothing listens here
    hooks = orjson.dumps([{"name": "broken", "url": f"http://127.0.0.1:{dead_port}/hook", "secret": SECRET}]).decode()
    settings = settings_for(stack, "alerting_broken", fragile_policy, alert_webhooks=hooks, watchdog_interval_s=0.5)
    person = uuid.uuid4()
    async with alerting_app(settings) as app:
        engine = app.state.parts.runtime.engine
        await produce(stack, [(str(person), zone_exit(person, datetime.now(UTC) + timedelta(hours=1)))])

        async def silent_alert():
            async with engine.connect() as conn:
                return await conn.scalar(
                    sa.select(alerts.c.alert_id).where(
                        alerts.c.rule_id == "notification_silent", alerts.c.person_id == SYSTEM_PERSON
                    )
                )

        silent_id = await eventually(silent_alert, timeout_s=30)

        async def all_dead():
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        sa.select(notifications.c.status, notifications.c.attempts).where(
                            notifications.c.channel == "broken"
                        )
                    )
                ).all()
            return rows if rows and all(r.status == "dead" for r in rows) else None

        dead_rows = await eventually(all_dead, timeout_s=30)
        assert all(r.attempts == 2 for r in dead_rows)
        events = await alert_events(stack, engine, str(silent_id))
    assert [e["type"] for e in events] == ["sps.alert.raised"]
    assert events[0]["data"]["jurisdiction"] == "county" and events[0]["data"]["colour"] == "orange"
    given_up = await read_topic(stack.bootstrap, topics.NOTIFICATIONS_DEAD, min_count=len(dead_rows))
    mine = [orjson.loads(r.value)["data"] for r in given_up]
    mine = [d for d in mine if d["channel"] == "broken"]
    assert len(mine) >= len(dead_rows) and all("broken" in d["error"] for d in mine)
