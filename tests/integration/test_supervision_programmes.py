"""Supervision's programmes in process against the real broker and database: the level follows
intake and risk; electronic positioning's day-80 notice and aftercare follow-ups fire from durable
timers, catching up on deadlines already past; community rehabilitation not reported; the monthly
key-person list confirmed once, by whom."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared import topics
from shared.county import default_county
from shared.envelope import encode, new_event
from shared.events import ArrivalRegistered, MaskedPerson, RiskAssessed
from shared.paths import POLICY_DIR
from tests.integration.test_supervision import events_for, order, send, supervision
from tests.internal_calls import AsCommandCentre, report_intake
from tests.waiting import eventually

HEAD = {"actor": "head-demo", "role": "bureau_head", "jurisdiction": "county"}
OFFICER = {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"}
PERSON = MaskedPerson(name_masked="赵*", id_number_masked="3202**********5678", sex="F", residence_town="澄江街道")


@pytest.fixture(scope="module")
def policy_no_first_months(tmp_path_factory):
    """The brief's policy, except that the first-months rule is off, so risk alone sets the level."""
    d = tmp_path_factory.mktemp("policy-programmes")
    shutil.copytree(POLICY_DIR, d, dirs_exist_ok=True)
    text = (d / "supervision.yaml").read_text(encoding="utf-8")
    (d / "supervision.yaml").write_text(
        text.replace("first_months_strict: 2", "first_months_strict: 0"), encoding="utf-8"
    )
    return d


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://supervision",
        auth=AsCommandCentre(app.state.parts.runtime.name),
    )


def assessed(person_id: uuid.UUID, level: str) -> bytes:
    data = RiskAssessed(
        assessment_id=uuid.uuid4(),
        person_id=person_id,
        instrument_version="test",
        trigger="test",
        items=[],
        total=0,
        level_by_points=level,
        level=level,
        jurisdiction="澄江街道",
    )
    return encode(new_event("sps.risk.assessed", "/sps/risk", data, subject=str(person_id)))


def arrival(person_id: uuid.UUID, days_ago: int, rehab: bool) -> bytes:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    data = ArrivalRegistered(
        handover_id=uuid.uuid4(),
        person_id=person_id,
        kind="rehab",
        justice_office="澄江街道",
        arrived_at=at,
        release_date=at.date(),
        key_person=False,
        case_years=3,
        person=PERSON,
        community_rehabilitation=rehab,
    )
    return encode(new_event("sps.handover.arrived", "/sps/handover", data, subject=str(person_id)))


async def test_level_follows_intake_and_risk_and_the_key_person_list(stack, policy_no_first_months):
    person = uuid.uuid4()
    today = datetime.now(UTC).date()
    async with supervision(stack, policy_no_first_months, name="supervision_prog") as app:
        await send(stack, topics.COURT_ORDERS, person, [order(person, today - timedelta(days=3))])
        await eventually(lambda: events_for(app, stack, person, "sps.supervision.case-opened"))
        await report_intake(app, person)  # 报到, recorded by the office
        first = (await eventually(lambda: events_for(app, stack, person, "sps.supervision.level-changed")))[0]
        # No first-months rule here: without a high risk the level is ordinary (or lenient at low risk,
        # when the session's real risk service has assessed this person already).
        assert first["data"]["level"] in ("ordinary", "lenient") and first["data"]["reasons"][0] in (
            "intake",
            "risk:low",
        )

        async def strict_after_high():
            # Resent until it sticks: the session's real risk service may publish its own result for
            # this person in between (on intake), and the latest result decides.
            await send(stack, topics.RISK_EVENTS, person, [assessed(person, "high")])
            await asyncio.sleep(0.5)
            changes = await events_for(app, stack, person, "sps.supervision.level-changed")
            return changes if changes[-1]["data"]["level"] == "strict" else None

        changes = await eventually(strict_after_high)
        assert changes[-1]["data"]["reasons"] == ["risk:high"] and changes[-1]["data"]["previous"] in (
            "ordinary",
            "lenient",
        )

        month = today.strftime("%Y-%m")
        async with client(app) as http:
            proposal = (await http.get(f"/internal/v1/key-persons/澄江街道/{month}")).json()
            assert proposal["status"] == "proposed"
            assert str(person) in [p["person_id"] for p in proposal["persons"]]
            other = await http.post(
                f"/internal/v1/key-persons/澄江街道/{month}/confirm", json={**OFFICER, "jurisdiction": "南闸街道"}
            )
            assert other.status_code == 403
            confirmed = await http.post(f"/internal/v1/key-persons/澄江街道/{month}/confirm", json=OFFICER)
            assert confirmed.status_code == 201, confirmed.text
            assert confirmed.json()["confirmed_by"] == "officer-demo"
            again = await http.post(f"/internal/v1/key-persons/澄江街道/{month}/confirm", json=OFFICER)
            assert again.status_code == 409
            listed = (await http.get(f"/internal/v1/key-persons/澄江街道/{month}")).json()
            assert listed["status"] == "confirmed"
            mine = next(p for p in listed["persons"] if p["person_id"] == str(person))
            assert mine["reasons"] == ["risk:high"] and mine["target_zh"]
            # 挂牌转化 (D6): listed for conversion at the office's level; measures, progress; the
            # county's own list (市级) once the county raises the person to it.
            opened = (await http.get("/internal/v1/conversions", params={"office": "澄江街道"})).json()
            (conversion,) = [c for c in opened if c["person_id"] == str(person)]
            assert conversion["level"] == "office" and conversion["target_zh"] == mine["target_zh"]
            base = f"/internal/v1/persons/{person}/conversion"
            r = await http.post(f"{base}/measures", json={**OFFICER, "measures": ["每周谈话"], "responsible": "王"})
            assert r.status_code == 200, r.text
            county_today = default_county().day_of(datetime.now(UTC))  # the county's day, not UTC's
            r = await http.post(f"{base}/progress", json={**OFFICER, "on": county_today.isoformat(), "note": "谈话"})
            assert r.status_code == 201, r.text
            assert (await http.post(f"{base}/county-listing", json={**OFFICER, "reason": "督办"})).status_code == 403
            r = await http.post(f"{base}/county-listing", json={**HEAD, "reason": "市级挂牌督办"})
            assert r.status_code == 200, r.text
            county = (await http.get("/internal/v1/conversions", params={"level": "county"})).json()
            (listed_at_county,) = [c for c in county if c["person_id"] == str(person)]
            assert (listed_at_county["progress_count"], listed_at_county["measures_count"]) == (1, 1)
            assert listed_at_county["last_progress_on"] == county_today.isoformat()
            assert listed_at_county["person_masked"]["name_masked"]
        # The office's first list: everyone on it is newly determined, a signal for risk_high (docs/domain.md §4).
        [new] = await eventually(lambda: events_for(app, stack, person, "sps.supervision.key-person-newly-determined"))
        assert new["data"]["cause"] == f"key-person:澄江街道:{month}" and new["data"]["reasons"] == ["risk:high"]
        assert new["data"]["jurisdiction"] == "澄江街道" and new["subject"] == str(person)


async def test_positioning_is_its_own_record_and_its_day_80_notice_catches_up_once(stack, policy_no_first_months):
    person = uuid.uuid4()
    today = datetime.now(UTC).date()
    async with supervision(stack, policy_no_first_months, name="supervision_prog") as app:
        await send(stack, topics.COURT_ORDERS, person, [order(person, today - timedelta(days=100))])
        await eventually(lambda: events_for(app, stack, person, "sps.supervision.case-opened"))
        async with client(app) as http:
            refused = await http.post(
                f"/internal/v1/persons/{person}/positioning",
                json={**OFFICER, "ground": "revocation_pending", "device_id": "EM-1"},
            )
            # Who may approve is the authority model's: a 403 naming the role it needs.
            assert refused.status_code == 403 and "bureau_head" in refused.json()["detail"]
            bad = await http.post(
                f"/internal/v1/persons/{person}/positioning",
                json={**HEAD, "ground": "looks_suspicious", "device_id": "EM-1"},
            )
            assert bad.status_code == 422 and "five legal grounds" in bad.json()["detail"]
            # Approved 85 days ago: day 80 has passed, so the notice fires at once (catch-up), and only once.
            started = await http.post(
                f"/internal/v1/persons/{person}/positioning",
                json={
                    **HEAD,
                    "ground": "left_county_without_leave",
                    "device_id": "EM-1",
                    "starts_on": (today - timedelta(days=85)).isoformat(),
                },
            )
            assert started.status_code == 201, started.text
            ending = await eventually(lambda: events_for(app, stack, person, "sps.supervision.positioning-term-ending"))
            assert len(ending) == 1 and ending[0]["data"]["term_end"] == started.json()["ends_on"]
            twice = await http.post(
                f"/internal/v1/persons/{person}/positioning",
                json={**HEAD, "ground": "left_county_without_leave", "device_id": "EM-2"},
            )
            assert twice.status_code == 409
            renewed = await http.post(
                f"/internal/v1/positioning/{started.json()['positioning_id']}/renew",
                json={**HEAD, "review_note": "复查：仍有脱管风险，续期"},
            )
            assert renewed.status_code == 200, renewed.text
            assert renewed.json()["starts_on"] == started.json()["ends_on"] and renewed.json()["renewal"] == 1
            record = (await http.get(f"/internal/v1/persons/{person}/programmes")).json()
            assert record["positioning"][0]["renewals"][0]["review_note"].startswith("复查")


async def test_aftercare_followups_and_community_rehabilitation(stack, policy_no_first_months):
    aftercare, rehab = uuid.uuid4(), uuid.uuid4()
    async with supervision(stack, policy_no_first_months, name="supervision_prog") as app:
        # Arrived 70 days ago (two calendar months back at least) with no follow-up since: the first
        # whole calendar month after the arrival's has ended without a call (D8): due.
        await send(stack, topics.HANDOVER_EVENTS, aftercare, [arrival(aftercare, 70, rehab=False)])
        # Community rehabilitation ordered 20 days ago: arriving at the office is its report (D2), so
        # nothing is missed; whoever never comes is the handover's rehab_arrival_missed.
        await send(stack, topics.HANDOVER_EVENTS, rehab, [arrival(rehab, 20, rehab=True)])
        due = await eventually(lambda: events_for(app, stack, aftercare, "sps.supervision.aftercare-followup-due"))
        assert {d["data"]["kind"] for d in due} == {"phone"}  # each month's own (its cause), no visit yet
        opened = await eventually(lambda: events_for(app, stack, rehab, "sps.supervision.case-opened"))
        assert opened and not await events_for(app, stack, rehab, "sps.supervision.rehab-report-missed")
        async with client(app) as http:
            ok = await http.post(
                f"/internal/v1/persons/{aftercare}/followups",
                json={
                    **OFFICER,
                    "kind": "visit",
                    "at": datetime.now(UTC).isoformat(),
                    "drug_test": "negative",
                    "note": "上门回访，尿检阴性",
                },
            )
            assert ok.status_code == 201, ok.text
            assert ok.json()["abstinent"] is True
            positive = await http.post(
                f"/internal/v1/persons/{aftercare}/followups",
                json={
                    **OFFICER,
                    "kind": "phone",
                    "at": datetime.now(UTC).isoformat(),
                    "drug_test": "positive",
                    "note": "电话回访",
                },
            )
            assert positive.json()["abstinent"] is False
            team = await http.put(
                f"/internal/v1/persons/{aftercare}/team",
                json={**OFFICER, "members": [{"name": "张某", "role": "justice_office", "sex": "M"}]},
            )
            assert team.status_code == 422 and "woman" in team.json()["detail"]
            team = await http.put(
                f"/internal/v1/persons/{aftercare}/team",
                json={
                    **OFFICER,
                    "members": [
                        {"name": "张某", "role": "justice_office", "sex": "M"},
                        {"name": "陈某", "role": "social_worker", "sex": "F"},
                    ],
                },
            )
            assert team.status_code == 200, team.text
            trip = await http.post(
                f"/internal/v1/persons/{rehab}/trips",
                json={
                    **OFFICER,
                    "leaves_on": "2026-11-01",
                    "returns_on": "2026-11-04",
                    "destination": "上海",
                    "reported": False,
                },
            )
            assert trip.json() == {"days": 4, "needs_report": True, "unreported_trips": 1, "serious_breach": False}
            stats = (await http.get("/internal/v1/indicators")).json()
            office = next(o for o in stats["offices"] if o["office"] == "澄江街道")
            assert office["aftercare_cases"] >= 2 and office["aftercare_rate"] is not None
            assert stats["targets"]["aftercare_rate"] == 0.9


def fix_with_battery(person_id: uuid.UUID, pct: float, strap_intact: bool | None = None) -> bytes:
    from shared.events import LocationFix

    data = LocationFix(
        person_id=person_id,
        device_id="EM-B",
        lat=31.88,
        lon=120.28,
        accuracy_m=10,
        recorded_at=datetime.now(UTC),
        battery_pct=pct,
        strap_intact=strap_intact,
    )
    return encode(new_event("sps.ingest.location", "/sps/exchange", data, subject=str(person_id)))


async def test_case_end_revocation_battery_and_separation(stack, policy_no_first_months):
    served, revoked, device = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    today = datetime.now(UTC).date()
    async with supervision(stack, policy_no_first_months, name="supervision_prog") as app:
        # A term that ended a month ago (the service was "down" since): 期满 fires at once, once.
        await send(stack, topics.COURT_ORDERS, served, [order(served, today - timedelta(days=400))])
        await send(stack, topics.COURT_ORDERS, revoked, [order(revoked, today)])
        await send(stack, topics.COURT_ORDERS, device, [order(device, today)])
        ended = await eventually(lambda: events_for(app, stack, served, "sps.supervision.case-closed"))
        assert len(ended) == 1 and ended[0]["data"]["outcome"] == "ended"
        await eventually(lambda: events_for(app, stack, device, "sps.supervision.case-opened"))
        await send(stack, topics.LOCATIONS, device, [fix_with_battery(device, 15), fix_with_battery(device, 12)])
        low = await eventually(lambda: events_for(app, stack, device, "sps.supervision.battery-low"))
        # The canary: a strap cut after the charged fix, judged after it (same person, same partition).
        await send(stack, topics.LOCATIONS, device, [fix_with_battery(device, 80), fix_with_battery(device, 80, False)])
        await eventually(lambda: events_for(app, stack, device, "sps.supervision.device-tampered"))
        assert len(await events_for(app, stack, device, "sps.supervision.battery-low")) == len(low) == 1
        async with client(app) as http:
            await eventually(lambda: events_for(app, stack, revoked, "sps.supervision.case-opened"))
            refused = await http.post(
                f"/internal/v1/persons/{revoked}/close",
                json={**OFFICER, "outcome": "revoked", "reason": "法院裁定撤销缓刑"},
            )
            assert refused.status_code == 403
            closed = await http.post(
                f"/internal/v1/persons/{revoked}/close",
                json={
                    "actor": "supervisor-demo",
                    "role": "supervisor",
                    "jurisdiction": "county",
                    "outcome": "revoked",
                    "reason": "法院裁定撤销缓刑，收监执行",
                },
            )
            assert closed.status_code == 200 and closed.json()["outcome"] == "revoked"
            gone = await http.post(
                f"/internal/v1/persons/{revoked}/separations",
                json={**OFFICER, "observed_at": datetime.now(UTC).isoformat(), "note": "x"},
            )
            assert gone.status_code == 404  # no active case any more
            reports = []
            for _ in range(2):
                r = await http.post(
                    f"/internal/v1/persons/{device}/separations",
                    json={
                        **OFFICER,
                        "observed_at": datetime.now(UTC).isoformat(),
                        "note": "电话核查时手机不在本人身边",
                    },
                )
                assert r.status_code == 201, r.text
                reports.append(r.json())
            assert [(r["count"], r["warning_due"]) for r in reports] == [(1, False), (2, True)]
