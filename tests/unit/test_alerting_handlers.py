"""Alerting's handlers and commands on a fake unit of work and store, with a fixed clock: a signal
raises one alert with its deadlines as timers and its notifications; the same signal again adds
evidence only; a silence keeps the alert but tells nobody; a missed acknowledgement escalates and
re-arms; acknowledging, disposing and closing cancel what no longer applies; the office and the
role are asked. No Kafka, no PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from services.alerting.adapters.store import AlertStore
from services.alerting.commands import AlertCommands
from services.alerting.domain.alerts import alert_id
from services.alerting.domain.policy import load_alert_policy
from services.alerting.handlers import Alerting
from shared.authority import Actor, default_authority
from shared.envelope import decode, encode, new_event
from shared.errors import Conflict, Forbidden, NotFound, Refused
from shared.events import DeviceOffline
from shared.paths import POLICY_DIR
from shared.timers import Timer
from tests.fakes import missing_methods
from tests.fakes.alert_store import FakeAlertStore
from tests.fakes.uow import FakeUnitOfWork

POLICY = load_alert_policy(POLICY_DIR)
NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)
P = uuid.uuid4()
OFFICE = "澄江街道"


@pytest.fixture
def world() -> tuple[Alerting, AlertCommands, FakeUnitOfWork, FakeAlertStore]:
    uow = FakeUnitOfWork("alerting")
    store = FakeAlertStore(uow)
    alerting = Alerting(POLICY, {"sms": None}, clock=lambda: NOW, store=lambda _uow: cast(AlertStore, store))
    return alerting, AlertCommands(alerting, POLICY, clock=lambda: NOW), uow, store


def offline(cause: str = "episode-1", evidence: str = "fix-1", at: datetime = NOW) -> Any:
    data = DeviceOffline(person_id=P, jurisdiction=OFFICE, cause=cause, observed_at=at, evidence=[evidence])
    event = decode(encode(new_event("sps.supervision.device-offline", "/sps/test", data, subject=str(P))))
    return event, data


def officer(office: str = OFFICE, role: str = "justice_officer") -> Actor:
    return Actor(name="李警官", role=role, office=office, policy=default_authority())


async def raise_one(alerting: Alerting, uow: FakeUnitOfWork, **kw: Any) -> uuid.UUID:
    event, data = offline(**kw)
    async with uow:
        await alerting.on_signal(event, data, uow)
    return alert_id("device_offline", P, data.cause)


def test_the_fake_store_keeps_to_the_real_one(world: Any) -> None:
    assert missing_methods(AlertStore, world[3]) == []


async def test_a_signal_raises_one_alert_with_its_deadlines_and_notifications(world: Any) -> None:
    alerting, _, uow, store = world
    aid = await raise_one(alerting, uow)
    alert, _cause = store.alerts[aid]
    rule = POLICY.rules["device_offline"]
    assert (alert.colour, alert.status, alert.ack_due_at) == ("yellow", "open", NOW + rule.ack)
    assert uow.types() == ["sps.alert.raised"] and uow.published[0][0] == "alerts.v1"
    assert store.timers[f"ack:{aid}:1"][:2] == ("alert.ack", NOW + rule.ack)
    assert store.timers[f"dispose:{aid}"][1] == NOW + rule.dispose * POLICY.dispose_escalation_factor
    assert f"upgrade:{aid}" not in store.timers  # device_offline has no upgrade rule
    assert [(c, t) for c, t, _v in store.notifications] == [("sms", f"office:{OFFICE}")]
    assert store.log == [(aid, "raised", "system", uow.published[0][1].id)]


async def test_the_same_signal_again_adds_evidence_and_publishes_nothing(world: Any) -> None:
    alerting, _, uow, store = world
    aid = await raise_one(alerting, uow, evidence="fix-1")
    first = len(uow.published)
    await raise_one(alerting, uow, evidence="fix-2")
    assert len(store.alerts) == 1 and len(uow.published) == first
    assert store.alerts[aid][0].evidence == ["fix-1", "fix-2"]


async def test_a_repeat_within_the_window_is_a_new_alert_in_the_repeat_colour(world: Any) -> None:
    alerting, _, uow, store = world
    first = await raise_one(alerting, uow, cause="episode-1")
    second = await raise_one(alerting, uow, cause="episode-2", at=NOW + timedelta(days=2))
    assert store.alerts[first][0].colour == "yellow"
    assert store.alerts[second][0].colour == POLICY.rules["device_offline"].repeat.colour  # type: ignore[union-attr]


async def test_a_silenced_rule_records_the_alert_but_tells_nobody(world: Any) -> None:
    alerting, commands, uow, store = world
    async with uow:
        await commands.silence(
            uow,
            officer(role="supervisor"),
            person_id=P,
            rule_id="device_offline",
            ends_at=None,
            duration=timedelta(hours=6),
            reason="设备返厂维修",
        )
    aid = await raise_one(alerting, uow)
    alert = store.alerts[aid][0]
    assert alert.notify == [] and alert.silenced_until == NOW + timedelta(hours=6)
    assert store.notifications == [] and alert.reason == "silenced: 设备返厂维修"


async def test_silence_is_for_a_supervisor_a_known_rule_and_a_future_end(world: Any) -> None:
    _, commands, uow, _ = world
    base: dict[str, Any] = dict(person_id=P, rule_id="device_offline", ends_at=None, reason="r")
    with pytest.raises(Forbidden):
        await commands.silence(uow, officer(), duration=timedelta(hours=1), **base)
    with pytest.raises(Refused) as unknown:
        await commands.silence(uow, officer(role="supervisor"), duration=timedelta(hours=1), **{**base, "rule_id": "x"})
    assert unknown.value.field == "rule_id"
    with pytest.raises(Refused) as past:
        await commands.silence(uow, officer(role="supervisor"), duration=timedelta(0), **base)
    assert past.value.field == "ends_at"


async def test_a_missed_acknowledgement_escalates_and_arms_the_next_deadline(world: Any) -> None:
    alerting, _, uow, store = world
    aid = await raise_one(alerting, uow)
    kind, due, payload = store.timers[f"ack:{aid}:1"]
    async with uow:
        await alerting.timer_handlers()[kind](Timer(f"ack:{aid}:1", kind, due, payload), uow)
    alert = store.alerts[aid][0]
    assert (alert.status, alert.colour, alert.level) == ("escalated", "orange", "county_command_centre")
    assert store.timers[f"ack:{aid}:{alert.version}"][1] == due + POLICY.ack_by_colour["orange"]
    assert uow.types()[-1] == "sps.alert.escalated"


async def test_acknowledging_cancels_the_ack_deadlines_and_disposing_cancels_the_rest(world: Any) -> None:
    alerting, commands, uow, store = world
    aid = await raise_one(alerting, uow)
    async with uow:
        acked = await commands.acknowledge(uow, officer(), aid, note="已电话联系")
    assert acked.status == "acknowledged" and acked.acknowledged_at == NOW
    assert set(store.timers) == {f"dispose:{aid}"}
    async with uow:
        await commands.dispose(uow, officer(), aid, reason_code="device_fault", note="设备电量耗尽")
    assert store.timers == {} and store.alerts[aid][0].status == "disposed"
    assert [step for a, step, _actor, _id in store.log if a == aid] == ["raised", "acknowledged", "disposed"]


async def test_a_late_timer_does_nothing_to_a_disposed_alert(world: Any) -> None:
    alerting, commands, uow, store = world
    aid = await raise_one(alerting, uow)
    due = store.timers[f"dispose:{aid}"][1]
    async with uow:
        await commands.dispose(uow, officer(), aid, reason_code="returned", note="已联系上")
    published = len(uow.published)
    async with uow:
        await alerting.timer_handlers()["alert.dispose"](Timer("k", "alert.dispose", due, {"alert_id": str(aid)}), uow)
        await alerting.timer_handlers()["alert.ack"](Timer("k", "alert.ack", due, {"alert_id": str(uuid.uuid4())}), uow)
    assert store.alerts[aid][0].status == "disposed" and len(uow.published) == published


async def test_steps_ask_the_alerts_own_office_and_the_lifecycle(world: Any) -> None:
    alerting, commands, uow, _ = world
    aid = await raise_one(alerting, uow)
    with pytest.raises(Forbidden):
        await commands.acknowledge(uow, officer(office="周庄镇"), aid, note=None)
    with pytest.raises(NotFound):
        await commands.acknowledge(uow, officer(), uuid.uuid4(), note=None)
    with pytest.raises(Refused) as bad:
        await commands.dispose(uow, officer(), aid, reason_code="not-a-code", note="x")
    assert bad.value.field == "reason_code"
    with pytest.raises(Conflict):  # only a disposed alert is closed
        await commands.close(uow, officer(), aid, note=None)


async def test_a_red_contact_lost_asks_the_police_to_search_and_their_answer_goes_on_the_alert(world: Any) -> None:
    from shared.events import ContactLost, SearchResult
    from shared.kafka.consumer import RejectedRecord

    alerting, _, uow, store = world
    lost = ContactLost(person_id=P, jurisdiction=OFFICE, cause="contact:1", observed_at=NOW, reason="unreachable")
    event = decode(encode(new_event("sps.supervision.contact-lost", "/sps/test", lost, subject=str(P))))
    async with uow:
        await alerting.on_signal(event, lost, uow)
    requests = [e for topic, e in uow.published if e.type == "sps.exchange.search-request"]
    aid = alert_id("contact_lost", P, "contact:1")
    assert len(requests) == 1 and requests[0].data["alert_id"] == str(aid) and requests[0].data["office"] == OFFICE
    _, device = offline()
    assert "device_offline" not in POLICY.search_request_on  # a yellow rule opens no search

    result = SearchResult(
        request_id=uuid.UUID(requests[0].data["request_id"]),
        alert_id=aid,
        person_id=P,
        outcome="found",
        found_at=NOW,
        note="在无锡火车站找到",
        police_unit="江阴市公安局",
        answered_at=NOW,
    )
    incoming = decode(encode(new_event("sps.ingest.search-result", "/sps/test", result, subject=str(P))))
    for _ in range(2):  # delivered twice: one answer on the alert
        async with uow:
            await alerting.on_search_result(incoming, result, uow)
    answered = [e for _, e in uow.published if e.type == "sps.alert.search-answered"]
    assert len(answered) == 1 and answered[0].data["search"]["outcome"] == "found"
    assert store.alerts[aid][0].search is not None and store.alerts[aid][0].version == 2
    stray = result.model_copy(update={"alert_id": uuid.uuid4()})
    with pytest.raises(RejectedRecord):
        async with uow:
            await alerting.on_search_result(incoming, stray, uow)


async def test_a_case_moved_to_another_office_takes_its_open_alerts_with_it(world: Any) -> None:
    from shared.events import CaseTransferred, ContactLost

    alerting, _, uow, store = world
    lost = ContactLost(person_id=P, jurisdiction=OFFICE, cause="contact:2", observed_at=NOW, reason="unreachable")
    async with uow:
        await alerting.on_signal(
            decode(encode(new_event("sps.supervision.contact-lost", "/sps/t", lost, subject=str(P)))), lost, uow
        )
    moved = CaseTransferred(
        person_id=P,
        case_id=uuid.uuid4(),
        from_office=OFFICE,
        to_office="南闸街道",
        reason="迁居",
        transferred_by="supervisor-demo",
    )
    event = decode(encode(new_event("sps.supervision.case-transferred", "/sps/t", moved, subject=str(P))))
    for _ in range(2):  # delivered twice: moved once
        async with uow:
            await alerting.on_case_transferred(event, moved, uow)
    transferred = [e for _, e in uow.published if e.type == "sps.alert.transferred"]
    assert len(transferred) == 1 and transferred[0].data["jurisdiction"] == "南闸街道"
    aid = alert_id("contact_lost", P, "contact:2")
    assert (await store.lock(aid)).jurisdiction == "南闸街道"  # its deadlines and colour unchanged
    assert transferred[0].data["colour"] == "red" and transferred[0].data["reason"].startswith("transferred")


async def test_a_withdrawn_signal_closes_its_alert_by_itself_and_only_its_own(world: Any) -> None:
    """D7: a month judged short and lifted by time confirmed later withdraws its signal: the alert
    of that cause closes, saying why (its history kept); another month's stays; again, nothing."""
    from shared.events import HoursShort, HoursShortWithdrawn

    alerting, _, uow, store = world
    case = uuid.uuid4()

    def envelope(type_: str, data: Any) -> Any:
        return decode(encode(new_event(type_, "/sps/test", data, subject=str(P))))

    for month in ("2026-10", "2026-11"):
        short = HoursShort(
            person_id=P,
            jurisdiction=OFFICE,
            case_id=case,
            cause=f"hours:{case}:{month}",
            observed_at=NOW,
            month=month,
            level="strict",
            short={"study": 60},
        )
        async with uow:
            await alerting.on_signal(envelope("sps.supervision.hours-short", short), short, uow)
    lifted = HoursShortWithdrawn(
        person_id=P,
        jurisdiction=OFFICE,
        case_id=case,
        cause=f"hours:{case}:2026-11",
        observed_at=NOW + timedelta(days=3),
        evidence=["2026-11: met with time confirmed since"],
        month="2026-11",
        level="strict",
    )
    assert "sps.supervision.hours-short-withdrawn" in alerting.table()
    for _ in range(2):
        async with uow:
            await alerting.on_withdrawal(envelope("sps.supervision.hours-short-withdrawn", lifted), lifted, uow)
    november, october = (
        store.alerts[alert_id("hours_short", P, f"hours:{case}:{m}")][0] for m in ("2026-11", "2026-10")
    )
    assert (november.status, november.closed_at, november.actor) == ("closed", NOW + timedelta(days=3), "system")
    assert november.reason.startswith("withdrawn") and "confirmed since" in november.reason
    assert october.status == "open"
    assert uow.types().count("sps.alert.closed") == 1
    assert not any(k.startswith(f"ack:{november.alert_id}") for k in store.timers)
