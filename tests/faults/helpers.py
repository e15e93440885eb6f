"""What the fault tests share: opening cases, counting alerts and opened handovers by their natural ids."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import load
from bench.raw import produce
from shared import topics
from shared.kafka.connection import client_options
from tests.factories import random_id_number
from tests.faults.conftest import Figure
from tests.kafka_helpers import decoded, read_topic


async def scalar(url: str, sql: str, *, row: bool = False, **params):
    """The first column of the first row (with `row`, the whole first row, or None)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if row:
                return (await conn.execute(sa.text(sql), params)).first()
            return await conn.scalar(sa.text(sql), params)
    finally:
        await engine.dispose()


async def execute(url: str, sql: str, **params) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return (await conn.execute(sa.text(sql), params)).rowcount
    finally:
        await engine.dispose()


def db_url(platform, service: str) -> str:
    """A service's database (`sps_<service>`) as the superuser, on one host or several."""
    return make_url(platform.database_url).set(database=f"sps_{service}").render_as_string(hide_password=False)


async def open_cases(platform, p, first: int, n: int, timeout_s: float = 120, *, inside: bool = False) -> list[str]:
    """Court orders for bench persons first…first+n straight onto Kafka; wait for their cases.
    With `inside`, then one fix each inside the county, so a later fix outside is an exit."""
    await produce(p, topics.COURT_ORDERS, [load.court_order(first + i) for i in range(n)])
    ids = [str(load.person_id(first + i)) for i in range(n)]
    deadline = time.monotonic() + timeout_s
    while (
        got := await scalar(
            db_url(platform, "supervision"),
            "select count(*) from cases where person_id = any(cast(:ids as uuid[]))",
            ids=ids,
        )
    ) < n:
        assert time.monotonic() < deadline, f"only {got} of {n} cases opened"
        await asyncio.sleep(0.5)
    if inside:
        await produce(p, topics.LOCATIONS, [load.fix(first + i, *load.INSIDE) for i in range(n)])
    return ids


async def wait_alerts(platform, rule: str, person_ids: list[str], timeout_s: float = 180) -> float:
    """Wait until each person has a `rule` alert in alerting's database; return the seconds waited."""
    started = time.monotonic()
    while (
        n := await scalar(
            db_url(platform, "alerting"),
            "select count(distinct person_id) from alerts "
            "where rule_id = :rule and person_id = any(cast(:ids as uuid[]))",
            rule=rule,
            ids=person_ids,
        )
    ) < len(person_ids):
        assert time.monotonic() - started < timeout_s, f"only {n} of {len(person_ids)} {rule} alerts"
        await asyncio.sleep(0.5)
    return time.monotonic() - started


async def alerts_once(platform, rule: str, person_ids: list[str]) -> tuple[int, Counter, int]:
    """Alert rows in the database, raised records on alerts.v1 per alert_id (distinct event ids),
    and how many raised records were the same event delivered again."""
    rows = await scalar(
        db_url(platform, "alerting"),
        "select count(*) from alerts where rule_id = :rule and person_id = any(cast(:ids as uuid[]))",
        rule=rule,
        ids=person_ids,
    )
    wanted, raised, seen, again = set(person_ids), Counter(), set(), 0
    for _, event in decoded(await read_topic(platform.bootstrap, topics.ALERTS, timeout_s=30)):
        data = event.get("data", {})
        if event.get("type") == "sps.alert.raised" and data.get("person_id") in wanted and data.get("rule_id") == rule:
            if event["id"] in seen:
                again += 1
                continue
            seen.add(event["id"])
            raised[data["alert_id"]] += 1
    return rows, raised, again


async def opened_once(platform, notice_prefix: str) -> Counter:
    """Handovers opened on handover.events.v1 per notice number (distinct event ids): what handover's
    outbox publishes for every notice without a staff step (a receipt waits for the office's 核查)."""
    opened, seen = Counter(), set()
    for _, event in decoded(await read_topic(platform.bootstrap, topics.HANDOVER_EVENTS, timeout_s=30)):
        no = event.get("data", {}).get("notice_no", "")
        if event.get("type") == "sps.handover.opened" and no.startswith(notice_prefix) and event["id"] not in seen:
            seen.add(event["id"])
            opened[no] += 1
    return opened


def gateway_notice(notice_no: str, town: str) -> dict:
    """A pre-release notice as a prison sends it to the gateway (real identity, sealed there)."""
    return {
        "notice_no": notice_no,
        "prison": "江苏省苏州监狱",
        "person": {
            "name": "钱八",
            "id_number": random_id_number(),
            "sex": "M",
            "residence": {"town": town, "address": "某村"},
        },
        "offence": "盗窃罪",
        "offence_category": "property",
        "release_date": (date.today() + timedelta(days=40)).isoformat(),
        "sentence_months": 24,
        "reform_performance": "good",
        "prison_risk_rating": "low",
        "destination": {"town": town},
    }


def run_id() -> str:
    return uuid.uuid4().hex[:6]


@dataclass
class Settled:
    """What a fault left behind, counted by natural ids once everything expected arrived."""

    rows: int  # zone_exit alert rows in alerting's database
    raised: Counter  # alert_id → distinct raised records on alerts.v1
    again: int  # raised records delivered again with the same event id
    opened: Counter  # notice number → distinct sps.handover.opened on handover.events.v1
    alert_s: float  # how long the alerts took to all arrive, from the call
    recovery_s: float  # from `since` until alerts and opened handovers were all there
    lost: int
    doubled: int
    expected: int  # one alert per person and one opened handover per notice

    def figure(self, fault: str, how: str, events_sent: int, notes: list[str]) -> Figure:
        """The fault suite's row for one fault whose alerts and opened handovers were counted here."""
        return Figure(
            fault=fault,
            how=how,
            events_sent=events_sent,
            faults_injected=1,
            expected=self.expected,
            delivered_once=len(self.raised) + len(self.opened),
            lost=self.lost,
            doubled=self.doubled,
            recovery_s=round(self.recovery_s, 1),
            notes=notes,
        )


async def settle(platform, ids: list[str], notice_prefix: str, notices: int, since: float) -> Settled:
    """Wait for one zone_exit alert per person and one opened handover per notice, then count both
    again after a pause (a double would show by then) and assert each is there exactly once."""
    alert_s = await wait_alerts(platform, "zone_exit", ids)
    deadline = time.monotonic() + 120
    while len(opened := await opened_once(platform, notice_prefix)) < notices:
        assert time.monotonic() < deadline, f"only {len(opened)} of {notices} handovers opened"
        await asyncio.sleep(1.0)
    recovery = time.monotonic() - since
    await asyncio.sleep(3.0)
    rows, raised, again = await alerts_once(platform, "zone_exit", ids)
    opened = await opened_once(platform, notice_prefix)
    doubled = (rows - len(ids)) + sum(n - 1 for n in raised.values()) + sum(n - 1 for n in opened.values())
    lost = (len(ids) - len(raised)) + (notices - len(opened))
    assert rows == len(ids) and len(raised) == len(ids) and set(raised.values()) == {1}, (rows, raised.most_common(2))
    assert len(opened) == notices and set(opened.values()) == {1}, opened.most_common(2)
    return Settled(rows, raised, again, opened, alert_s, recovery, lost, doubled, len(ids) + notices)


async def post_until_accepted(http: httpx.AsyncClient, path: str, body: dict, auth: dict) -> int:
    """POST as a well-behaved client does: on 503, wait Retry-After and try again. Returns the 503s seen."""
    refused = 0
    while True:
        r = await http.post(path, json=body, headers=auth)
        if r.status_code == 202:
            return refused
        assert r.status_code == 503, r.text
        refused += 1
        await asyncio.sleep(float(r.headers.get("Retry-After", "1")))


class Load:
    """Fixes of filler persons inside the county at a steady rate, in the background."""

    def __init__(self, p, first: int, persons: int, per_s: int) -> None:
        self.p, self.first, self.persons, self.per_s = p, first, persons, per_s
        self.sent = 0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        i = 0
        while True:
            batch = [load.fix(self.first + (i + k) % self.persons, *load.INSIDE) for k in range(self.per_s // 10)]
            await produce(self.p, topics.LOCATIONS, batch)
            self.sent += len(batch)
            i += len(batch)
            await asyncio.sleep(0.1)

    def __enter__(self) -> Load:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()


async def replica_counts(bootstrap: str, topic: str, field: str = "replicas") -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return {len(p[field]) for p in described["partitions"]}
    finally:
        await admin.close()
