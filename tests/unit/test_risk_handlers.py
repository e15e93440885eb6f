"""Risk's ctx on a fake unit of work and store, with a fixed clock: facts in, an assessment
published, `risk_high` on a rise only, the reassessment deadline by level, the override bound to
its person and office, the overdue reassessment only when nothing newer exists. No Kafka, no
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.risk import assessments, commands, handlers
from services.risk.adapters.store import RiskStore
from services.risk.context import RiskContext
from services.risk.domain.instrument import load_instrument
from shared.authority import Actor
from shared.envelope import decode, encode, new_event
from shared.errors import Forbidden, NotFound
from shared.events import CourtOrderIngested, MaskedPerson, SanctionRecorded
from shared.paths import POLICY_DIR
from shared.timers import Timer
from tests.fakes import missing_methods
from tests.fakes.risk_store import FakeRiskStore
from tests.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)
INSTRUMENT = load_instrument(POLICY_DIR, "2026.1")


@pytest.fixture
def world() -> tuple[RiskContext, FakeUnitOfWork, FakeRiskStore]:
    uow = FakeUnitOfWork("risk")
    store = FakeRiskStore(uow)
    ctx = RiskContext(INSTRUMENT, clock=lambda: NOW, store=lambda _uow: cast(RiskStore, store))
    return ctx, uow, store


def order(person_id: uuid.UUID, category: str = "property") -> CourtOrderIngested:
    return CourtOrderIngested(
        order_no=f"T-{uuid.uuid4().hex[:8]}",
        court="江阴市人民法院",
        person_id=person_id,
        person=MaskedPerson(
            name_masked="王*",
            id_number_masked="3202**********1234",
            sex="M",
            residence_town="澄江街道",
            age_band="35-49",
        ),
        sentence_kind="probation",
        offence="盗窃罪",
        offence_category=category,  # type: ignore[arg-type]
        term_start=date(2026, 12, 1),
        term_end=date(2027, 12, 1),
    )


def incoming(data: Any, type_: str) -> Any:
    return decode(encode(new_event(type_, "/sps/test", data, subject=str(data.person_id))))


def test_the_fake_store_has_every_method_of_the_real_one():
    assert missing_methods(RiskStore, FakeRiskStore(None)) == []


async def test_an_order_is_learned_assessed_and_published_with_its_next_reassessment(world):
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    assert store.profiles[person] == (
        {"offence_category": "property", "sentence_kind": "probation", "age_band": "35-49"},
        "澄江街道",
    )
    assert uow.types() == ["sps.risk.assessed"]
    assessed = uow.published[0][1]
    assert assessed.data["trigger"] == "intake" and assessed.causationid is not None
    level = assessed.data["level"]
    kind, due, payload = store.timers[f"reassess:{person}"]
    assert (kind, due, payload["level"]) == ("risk.reassess", NOW + INSTRUMENT.reassessment[level], level)


async def test_risk_high_is_signalled_on_a_rise_only(world):
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person, "national_security")  # an override makes it high whatever the points
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    assert uow.types() == ["sps.risk.assessed", "sps.risk.risk-high"]
    sanction = SanctionRecorded(
        person_id=person,
        jurisdiction="澄江街道",
        case_id=uuid.uuid4(),
        cause="s:1",
        observed_at=NOW,
        evidence=["s1"],
        kind="warning",
        count=1,
        reason="未按时报告",
    )
    await handlers.on_sanction(ctx, incoming(sanction, "sps.supervision.sanction-recorded"), sanction, cast(Any, uow))
    assert uow.types() == ["sps.risk.assessed", "sps.risk.risk-high", "sps.risk.assessed"]  # still high: no signal
    assert store.profiles[person][0]["warnings"] == 1


async def test_an_override_is_of_the_persons_own_assessment_in_an_office_the_actor_sees(world):
    ctx, uow, store = world
    person, other = uuid.uuid4(), uuid.uuid4()
    for p in (person, other):
        o = order(p)
        await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    mine = store.assessments[0]["assessment_id"]
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    with pytest.raises(NotFound):
        await commands.override(ctx, cast(Any, uow), officer, other, mine, "high", "家属反映其扬言报复")
    with pytest.raises(Forbidden, match="澄江街道"):
        await commands.override(
            ctx, cast(Any, uow), Actor("b", "justice_officer", "南闸街道"), person, mine, "high", "理由充分"
        )
    done = await commands.override(ctx, cast(Any, uow), officer, person, mine, "high", "家属反映其扬言报复")
    assert (done.level, done.override_reason, done.trigger) == (
        "high",
        "家属反映其扬言报复",
        "override by officer-demo",
    )
    assert store.assessments[0]["overridden_by"] == "officer-demo" and uow.types()[-1] == "sps.risk.risk-high"


def admonition(person: uuid.UUID, count: int) -> SanctionRecorded:
    return SanctionRecorded(
        person_id=person,
        jurisdiction="澄江街道",
        case_id=uuid.uuid4(),
        cause=f"s:{count}",
        observed_at=NOW,
        evidence=[f"s{count}"],
        kind="admonition",
        count=count,
        reason="未按规定时间报到",
    )


async def sanctioned(ctx: RiskContext, uow: FakeUnitOfWork, person: uuid.UUID, count: int) -> None:
    s = admonition(person, count)
    await handlers.on_sanction(ctx, incoming(s, "sps.supervision.sanction-recorded"), s, cast(Any, uow))


async def test_an_override_stands_over_an_assessment_an_event_sets_off_after_it(world):
    """The officer overrides what is on the screen; a sanction recorded a moment earlier reaches
    risk a moment later. The new assessment computes medium (below the override), so the decision
    stands on it, named as carried; its publication says high."""
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    await sanctioned(ctx, uow, person, 1)
    screen = store.assessments[-1]
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    await commands.override(
        ctx, cast(Any, uow), officer, person, screen["assessment_id"], "high", "家属反映其情绪不稳定"
    )
    await sanctioned(ctx, uow, person, 2)
    after = store.assessments[-1]
    assert after["computed_level"] == "medium"
    assert (after["override_level"], after["override_reason"], after["override_carried_from"]) == (
        "high",
        "家属反映其情绪不稳定",
        screen["assessment_id"],
    )
    assert uow.published[-1][1].data["level"] == "high"
    assert uow.types().count("sps.risk.risk-high") == 1  # raised once, by the override, not again


async def test_an_override_reaches_an_assessment_made_while_the_officer_was_deciding(world):
    """The assessment on the screen was no longer the latest when the officer decided: the
    override lands on it and on the later one, and the later one is what is published last."""
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    screen = store.assessments[-1]["assessment_id"]
    await sanctioned(ctx, uow, person, 1)
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    await commands.override(ctx, cast(Any, uow), officer, person, screen, "high", "家属反映其情绪不稳定")
    latest = store.assessments[-1]
    assert (latest["override_level"], latest["override_carried_from"]) == ("high", screen)
    assert uow.published[-2][1].data["assessment_id"] == str(latest["assessment_id"])
    assert uow.published[-1][1].type == "sps.risk.risk-high"


async def test_an_override_never_hides_a_rise_and_lapses_at_the_monthly_cycle(world):
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    first = store.assessments[-1]["assessment_id"]
    await commands.override(ctx, cast(Any, uow), officer, person, first, "low", "已稳定就业，家庭支持良好")
    await sanctioned(ctx, uow, person, 2)  # 2 admonitions: medium, above the override
    risen = store.assessments[-1]
    assert (risen["computed_level"], risen["override_level"]) == ("medium", None)
    await commands.override(ctx, cast(Any, uow), officer, person, risen["assessment_id"], "high", "家属反映其扬言报复")
    monthly = Timer(key="monthly:2027-01", kind="risk.monthly", due_at=NOW, payload={})
    await handlers.on_monthly_cycle(ctx, monthly, cast(Any, uow))
    fresh = store.assessments[-1]
    assert fresh["trigger"].startswith("monthly:") and fresh["override_level"] is None


def test_the_carry_rule_is_policy():
    rule = INSTRUMENT.model_copy(
        update={"override_carry": INSTRUMENT.override_carry.model_copy(update={"carries": False})}
    )
    assert INSTRUMENT.carries_override("high", "medium", monthly=False)
    assert not INSTRUMENT.carries_override("low", "medium", monthly=False)
    assert not INSTRUMENT.carries_override("high", "low", monthly=True)
    assert not rule.carries_override("high", "medium", monthly=False)


async def test_an_overdue_reassessment_is_signalled_only_when_nothing_newer_exists(world):
    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    first = store.assessments[0]
    timer = Timer(
        key=f"reassess:{person}",
        kind="risk.reassess",
        due_at=NOW + timedelta(days=90),
        payload={
            "person_id": str(person),
            "assessment_id": str(first["assessment_id"]),
            "level": first["computed_level"],
        },
    )
    await handlers.on_reassessment_due(ctx, timer, cast(Any, uow))
    assert uow.types()[-1] == "sps.risk.reassessment-overdue"
    await assessments.assess(ctx, cast(Any, uow), person, "arrival", None)
    published = len(uow.published)
    await handlers.on_reassessment_due(ctx, timer, cast(Any, uow))
    assert len(uow.published) == published  # assessed again meanwhile: nothing is overdue


async def test_a_closed_case_leaves_the_monthly_cycle_and_its_deadline_until_a_new_case(world):
    from shared.events import CaseClosed

    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    async with uow:
        await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    assert f"reassess:{person}" in store.timers and await store.persons() == [person]
    closed = CaseClosed(person_id=person, case_id=uuid.uuid4(), jurisdiction="澄江街道", outcome="ended")
    async with uow:
        await handlers.on_case_closed(ctx, incoming(closed, "sps.supervision.case-closed"), closed, cast(Any, uow))
    assert f"reassess:{person}" not in store.timers and await store.persons() == []
    again = order(person)
    async with uow:
        await handlers.on_court_order(ctx, incoming(again, "sps.ingest.court-order"), again, cast(Any, uow))
    assert await store.persons() == [person] and f"reassess:{person}" in store.timers


async def test_a_person_with_two_cases_stays_followed_until_the_last_one_closes(world):
    from shared.events import CaseClosed, CaseOpened

    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    correction, resettlement = uuid.uuid4(), uuid.uuid4()
    async with uow:
        await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
        for case_id, kind in ((correction, "community_correction"), (resettlement, "resettlement")):
            opened = CaseOpened(case_id=case_id, person_id=person, kind=kind, jurisdiction="澄江街道")
            await handlers.on_case_opened(ctx, incoming(opened, "sps.supervision.case-opened"), opened, cast(Any, uow))

    async def close(case_id: uuid.UUID) -> None:
        closed = CaseClosed(person_id=person, case_id=case_id, jurisdiction="澄江街道", outcome="ended")
        async with uow:
            await handlers.on_case_closed(ctx, incoming(closed, "sps.supervision.case-closed"), closed, cast(Any, uow))

    await close(correction)
    assert await store.persons() == [person] and f"reassess:{person}" in store.timers
    await close(resettlement)
    assert await store.persons() == [] and f"reassess:{person}" not in store.timers


async def test_the_information_supplement_replaces_unknown_items_in_the_explanation_and_the_total(world):
    """信息补录 after arrival (docs/domain.md §2): employment, family and substance use known at last."""
    from shared.events import InformationSupplemented

    ctx, uow, store = world
    person = uuid.uuid4()
    o = order(person)
    await handlers.on_court_order(ctx, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    before = uow.published[-1][1].data
    items = {i["item"]: i for i in before["items"]}
    assert {items[k]["value"] for k in ("employment", "family_support", "substance_use")} == {"unknown"}
    supplement = InformationSupplemented(
        handover_id=uuid.uuid4(),
        person_id=person,
        justice_office="澄江街道",
        employment="employed",
        family_support="strong",
        housing="stable",  # no item of this instrument: kept by handover only
        substance_use="current",
        recorded_by="officer-demo",
        recorded_at=NOW,
    )
    await handlers.on_supplement(ctx, incoming(supplement, "sps.handover.supplemented"), supplement, cast(Any, uow))
    after = uow.published[-1][1].data
    assert after["trigger"] == "supplement"
    items = {i["item"]: i for i in after["items"]}
    assert (items["employment"]["value"], items["family_support"]["value"], items["substance_use"]["value"]) == (
        "employed",
        "strong",
        "current",
    )
    # unknown scored 1 each; now 0 + 0 + 4 (the instrument's points for these levels)
    assert after["total"] == before["total"] - 3 + 4
    assert "housing" not in store.profiles[person][0]
