"""Handover's ctx on a fake unit of work and store, with a fixed clock: a notice opens one
handover (a second copy is a duplicate), a linked one gets its receipt after the office's 核查, a key person is
handed to the police with pick-up and arrival deadlines, an unlinked one waits for the county,
an arrival is registered once. No Kafka, no PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.handover import commands, handlers, resettlement
from services.handover.adapters.store import HandoverStore
from services.handover.context import HandoverContext
from services.handover.domain.policy import load_handover_policy
from services.handover.domain.steps import StepRefused
from shared.envelope import decode, encode, new_event
from shared.errors import Forbidden
from shared.events import MaskedPerson, ReleaseNoticeIngested
from shared.geography import load_geography
from shared.paths import POLICY_DIR
from shared.timers import Timer
from tests.fakes import missing_methods
from tests.fakes.handover_store import FakeHandoverStore
from tests.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)


@pytest.fixture
def world() -> tuple[HandoverContext, FakeUnitOfWork, FakeHandoverStore]:
    uow = FakeUnitOfWork("handover")
    store = FakeHandoverStore(uow)
    ctx = HandoverContext(
        load_handover_policy(POLICY_DIR),
        set(load_geography(POLICY_DIR).offices),
        clock=lambda: NOW,
        store=lambda _uow: cast(HandoverStore, store),
    )
    return ctx, uow, store


def notice(town: str = "华士镇", **flags: Any) -> ReleaseNoticeIngested:
    flags.setdefault("release_date", date(2027, 1, 20))
    return ReleaseNoticeIngested(
        notice_no=f"N-{uuid.uuid4().hex[:6]}",
        prison="苏州监狱",
        person_id=uuid.uuid4(),
        person=MaskedPerson(name_masked="赵*", id_number_masked="3202**********1234", sex="M", residence_town=town),
        offence="盗窃罪",
        offence_category="property",
        sentence_months=30,
        destination_town=town,
        **flags,
    )


async def receive(ctx: HandoverContext, uow: FakeUnitOfWork, n: ReleaseNoticeIngested) -> None:
    event = decode(encode(new_event("sps.ingest.release-notice", "/sps/test", n, subject=str(n.person_id))))
    await handlers.on_release_notice(ctx, event, n, cast(Any, uow))


def test_the_fake_store_has_every_method_of_the_real_one():
    assert missing_methods(HandoverStore, FakeHandoverStore(None)) == []


async def test_a_linked_notice_opens_once_and_its_receipt_waits_for_the_offices_check(world):
    """D3: 回执 follows 核查. The notice alone sends nothing to the prison; the receipt's deadline
    runs; the office's check (confirmed or corrected) sends the receipt, once."""
    from shared.authority import Actor

    ctx, uow, store = world
    n = notice()
    await receive(ctx, uow, n)
    await receive(ctx, uow, n)  # the same notice again
    ((hid, row),) = store.rows.items()
    assert (row["linked"], row["justice_office"], row["receipt_at"], row["duplicates"]) == (True, "华士镇", None, 1)
    assert uow.types() == ["sps.handover.opened"]
    assert set(store.timers) == {f"receipt:{hid}"}  # ordinary: no pick-up or arrival deadline
    officer = Actor("officer-hs", "justice_officer", "华士镇")
    await commands.verify(ctx, cast(Any, uow), officer, hid, "corrected", "现住址更正为华士镇华西村")
    await commands.verify(ctx, cast(Any, uow), officer, hid, "confirmed", "再次核对")
    assert uow.types() == ["sps.handover.opened", "sps.exchange.receipt"]
    assert store.rows[hid]["receipt_at"] == NOW and store.timers == {}
    assert uow.published[-1][1].data["status"] == "linked"


async def test_a_notice_the_office_finds_is_not_its_own_goes_back_to_the_county(world):
    """D3: an office's 核查 that finds the person does not live there sends the notice back to the
    unlinked list with the office's reason, its deadlines with it; the county links it to the right
    office, whose own check sends the receipt; or confirms it belongs elsewhere: the receipt says so."""
    from shared.authority import Actor

    ctx, uow, store = world
    key = notice(three_false=True)
    await receive(ctx, uow, key)
    (hid,) = list(store.rows)
    assert {k.split(":")[0] for k in store.timers} == {"receipt", "pickup", "arrival"}
    wrong = Actor("officer-hs", "justice_officer", "华士镇")
    await commands.verify(ctx, cast(Any, uow), wrong, hid, "not_ours", "本人户籍已迁至澄江街道")
    row = store.rows[hid]
    assert (row["linked"], row["justice_office"], row["receipt_at"]) == (False, None, None)
    assert "华士镇" in row["unlinked_reason"] and "澄江街道" in row["unlinked_reason"]
    assert set(store.timers) == {f"receipt:{hid}"}  # the receipt is still owed, now by the county
    assert "sps.exchange.receipt" not in uow.types()
    with pytest.raises(StepRefused, match="unlinked"):  # no office may check it until the county links it
        await commands.verify(ctx, cast(Any, uow), wrong, hid, "confirmed", "x")

    await commands.resolve(ctx, cast(Any, uow), hid, "澄江街道")
    row = store.rows[hid]
    assert (row["justice_office"], row["verified_at"], row["receipt_at"]) == ("澄江街道", None, None)
    assert {k.split(":")[0] for k in store.timers} == {"receipt", "pickup", "arrival"}
    await commands.verify(
        ctx, cast(Any, uow), Actor("officer-cj", "justice_officer", "澄江街道"), hid, "confirmed", "一致"
    )
    assert store.rows[hid]["receipt_at"] == NOW and uow.published[-1][1].data["justice_office"] == "澄江街道"

    elsewhere = notice()
    await receive(ctx, uow, elsewhere)
    hid2 = next(h for h in store.rows if h != hid)
    await commands.verify(ctx, cast(Any, uow), wrong, hid2, "not_ours", "本人在无锡市区居住")
    await commands.resolve(ctx, cast(Any, uow), hid2, None)  # the county: it belongs outside Jiangyin
    receipt = uow.published[-1][1].data
    assert receipt["status"] == "unlinked" and "无锡市区" in receipt["reason"]


async def test_a_key_person_goes_to_the_police_with_pickup_and_arrival_deadlines(world):
    ctx, uow, store = world
    n = notice(three_false=True)
    await receive(ctx, uow, n)
    assert uow.types() == ["sps.handover.opened", "sps.exchange.police-handover"]
    hid = next(iter(store.rows))
    assert {k.split(":")[0] for k in store.timers} == {"receipt", "pickup", "arrival"}
    pickup_due = store.timers[f"pickup:{hid}"][1]
    assert pickup_due < datetime(2027, 1, 20, tzinfo=UTC)  # a plan is due before the release day
    timer = Timer(key=f"pickup:{hid}", kind="handover.pickup", due_at=pickup_due, payload={"handover_id": str(hid)})
    await handlers.on_pickup_due(ctx, timer, cast(Any, uow))
    assert uow.types()[-1] == "sps.handover.pickup-unplanned"
    assert uow.published[-1][1].data["jurisdiction"] == "华士镇"


async def test_every_releasee_ordered_to_community_rehabilitation_is_awaited_and_missed_if_never_come(world):
    """D2: a rehab centre's notice with 社区康复, key person or not, gets an arrival deadline of its
    own window (15 days, the last in full); not come by then: `rehab-arrival-missed`; come: nothing.
    One without 社区康复 and no key reasons is awaited by nobody."""
    from shared.events import RehabNoticeIngested

    ctx, uow, store = world

    def rehab(community: bool) -> RehabNoticeIngested:
        return RehabNoticeIngested(
            notice_no=f"R-{uuid.uuid4().hex[:6]}",
            centre="无锡市强制隔离戒毒所",
            person_id=uuid.uuid4(),
            person=MaskedPerson(
                name_masked="钱*", id_number_masked="3202**********1234", sex="M", residence_town="华士镇"
            ),
            release_date=date(2026, 12, 1),
            destination_town="华士镇",
            community_rehabilitation=community,
        )

    ordered, plain = rehab(True), rehab(False)
    for n in (ordered, plain):
        event = decode(encode(new_event("sps.ingest.rehab-notice", "/sps/test", n, subject=str(n.person_id))))
        await handlers.on_rehab_notice(ctx, event, n, cast(Any, uow))
    timers = {k: v for k, v in store.timers.items() if k.startswith("arrival:")}
    assert len(timers) == 1  # the one ordered to 社区康复 only
    (key, (kind, due, payload)) = next(iter(timers.items()))
    assert due == ctx.county.start_of(date(2026, 12, 17))  # 2–16 December, the 16th in full
    await handlers.on_arrival_due(ctx, Timer(key=key, kind=kind, due_at=due, payload=payload), cast(Any, uow))
    assert uow.types()[-1] == "sps.handover.rehab-arrival-missed"


async def test_an_unlinked_notice_waits_for_a_receipt_and_an_arrival_needs_a_link(world):
    ctx, uow, store = world
    n = notice(town="吴中区")
    await receive(ctx, uow, n)
    hid, row = next(iter(store.rows.items()))
    assert (row["linked"], row["receipt_at"]) == (False, None)
    assert store.timers[f"receipt:{hid}"][0] == "handover.receipt"
    with pytest.raises(StepRefused, match="unlinked"):
        await commands.update(ctx, cast(Any, uow), hid, arrived_at=NOW)
    await commands.resolve(ctx, cast(Any, uow), hid, "澄江街道")
    assert store.rows[hid]["justice_office"] == "澄江街道" and f"receipt:{hid}" in store.timers  # its 核查 sends it
    with pytest.raises(StepRefused, match="only the county"):  # L9: an office cannot pass it on
        await commands.resolve(ctx, cast(Any, uow), hid, "华士镇", county=False)
    assert store.rows[hid]["justice_office"] == "澄江街道"
    arrived = await commands.update(ctx, cast(Any, uow), hid, arrived_at=NOW + timedelta(days=40))
    assert arrived["arrived_at"] == NOW + timedelta(days=40) and uow.types()[-1] == "sps.handover.arrived"
    assert uow.published[-1][1].data["case_years"] == 5
    with pytest.raises(StepRefused, match="already"):
        await commands.update(ctx, cast(Any, uow), hid, arrived_at=NOW + timedelta(days=41))


async def test_a_new_order_for_a_released_person_counts_as_a_re_offence_and_staff_steps_are_kept(world):
    from shared.authority import Actor
    from shared.events import CourtOrderIngested

    ctx, uow, store = world
    released = notice()
    await receive(ctx, uow, released)
    stranger = uuid.uuid4()

    def order(person: uuid.UUID) -> CourtOrderIngested:
        return CourtOrderIngested(
            order_no=f"T-{uuid.uuid4().hex[:6]}",
            court="江阴市人民法院",
            person_id=person,
            person=MaskedPerson(
                name_masked="孙*", id_number_masked="3202**********1234", sex="M", residence_town="华士镇"
            ),
            sentence_kind="probation",
            offence="盗窃罪",
            offence_category="property",
            term_start=date(2027, 3, 1),
            term_end=date(2028, 3, 1),
        )

    for o in (order(released.person_id), order(stranger)):
        event = decode(encode(new_event("sps.ingest.court-order", "/sps/test", o, subject=str(o.person_id))))
        async with uow:
            await handlers.on_court_order(ctx, event, o, cast(Any, uow))
    assert [p for p, _ in store.new_orders.values()] == [released.person_id]  # a stranger's order is not kept
    assert [d for _, d in store.new_orders.values()] == [date(2027, 3, 1)]

    officer = Actor("officer-hs", "justice_officer", "华士镇")
    (hid,) = list(store.rows)
    async with uow:
        await commands.verify(ctx, cast(Any, uow), officer, hid, "confirmed", "户籍核对一致")
    assert store.rows[hid]["verified_by"] == "officer-hs" and store.rows[hid]["verified_at"] == NOW
    with pytest.raises(StepRefused):  # not released yet: no resettlement service
        async with uow:
            await resettlement.add_service(
                ctx, cast(Any, uow), officer, hid, "placed_employment", date(2027, 1, 2), None
            )
    store.rows[hid]["released_at"] = NOW
    async with uow:
        await resettlement.add_service(ctx, cast(Any, uow), officer, hid, "placed_employment", date(2027, 1, 2), None)
    assert store.rows[hid]["services"][0]["kind"] == "placed_employment"


async def test_civil_affairs_decides_an_assistance_request_once_and_another_services_is_left_alone(world):
    from shared.events import AssistanceOutcome

    ctx, uow, store = world
    released = notice()
    await receive(ctx, uow, released)
    hid = next(iter(store.rows))
    request = await commands.request_assistance(ctx, cast(Any, uow), hid, "minimum_living")

    def outcome(kind: str, request_id: str = request["request_id"]) -> AssistanceOutcome:
        return AssistanceOutcome(
            request_id=uuid.UUID(request_id),
            person_id=released.person_id,
            civil_affairs="江阴市民政局",
            outcome=kind,  # type: ignore[arg-type]
            programme="最低生活保障",
            decided_at=NOW,
            note="纳入低保",
        )

    for data in (outcome("granted"), outcome("refused")):  # the first decision stands
        event = decode(
            encode(new_event("sps.ingest.assistance-outcome", "/sps/test", data, subject=str(data.person_id)))
        )
        async with uow:
            await handlers.on_assistance_outcome(ctx, event, data, cast(Any, uow))
    (entry,) = store.rows[hid]["assistance"]
    assert entry["status"] == "granted" and entry["outcome"]["programme"] == "最低生活保障"
    stray = outcome("granted", str(uuid.uuid4()))  # a help request supervision passed on: not the handover's
    await handlers.on_assistance_outcome(ctx, cast(Any, None), stray, cast(Any, uow))
    assert store.rows[hid]["assistance"] == [entry]


async def test_information_is_supplemented_after_arrival_and_goes_to_risk(world):
    """信息补录 (docs/domain.md §2): refused before arrival; after it, kept (later over earlier) and published."""
    from shared.authority import Actor

    ctx, uow, store = world
    await receive(ctx, uow, notice("澄江街道"))
    hid = next(iter(store.rows))
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    with pytest.raises(StepRefused, match="after the person's arrival"):
        await resettlement.supplement(ctx, cast(Any, uow), officer, hid, {"employment": "unemployed"})
    await commands.update(ctx, cast(Any, uow), hid, arrived_at=NOW)
    with pytest.raises(StepRefused, match="at least one"):
        await resettlement.supplement(ctx, cast(Any, uow), officer, hid, {})
    await resettlement.supplement(
        ctx, cast(Any, uow), officer, hid, {"employment": "unemployed", "housing": "temporary"}
    )
    merged = await resettlement.supplement(ctx, cast(Any, uow), officer, hid, {"employment": "employed"})
    assert merged == {"employment": "employed", "housing": "temporary"} == store.rows[hid]["supplement"]
    sent = [e.data for _, e in uow.published if e.type == "sps.handover.supplemented"]
    assert sent[-1]["employment"] == "employed" and sent[-1]["recorded_by"] == "officer-demo"


async def test_a_notice_less_than_a_month_before_release_is_flagged_late_on_its_receipt(world):
    """前置化 (docs/domain.md §2): a calendar month's notice is in time, a day less is late
    (docs/rules.md); the receipt says so, with the days it gave."""
    from shared.authority import Actor
    from shared.calendar import add_months

    ctx, uow, store = world
    today = ctx.county.day_of(NOW)
    month_on = add_months(today, 1)
    for release in (month_on, month_on - timedelta(days=1)):
        await receive(ctx, uow, notice("华士镇", release_date=release))
    for hid in list(store.rows):  # the receipt follows the office's check (D3)
        await commands.verify(ctx, cast(Any, uow), Actor("o", "justice_officer", "华士镇"), hid, "confirmed", "一致")
    receipts = [e.data for _, e in uow.published if e.type == "sps.exchange.receipt"]
    days = (month_on - today).days
    assert [(r["late_notice"], r["notice_days"]) for r in receipts] == [(False, days), (True, days - 1)]


def test_a_prison_is_owed_a_visit_a_quarter_after_the_last_and_one_never_visited_falls_overdue():
    """D10: a prison never visited is owed a visit within a quarter of its first notice, and falls
    overdue after it like any other; a visited one, a quarter after its last visit (the last day in
    full, moved past a weekend: docs/rules.md)."""
    from services.handover.domain.prison_visits import PrisonVisitPolicy, due
    from shared.county import default_county

    policy, county = PrisonVisitPolicy(), default_county()
    today = date(2026, 12, 10)
    assert due("苏州监狱", None, today, 2, policy, county).due_on == today  # the policy's own, nothing known yet
    never = due("苏州监狱", None, today, 2, policy, county, since=date(2026, 9, 8))
    assert (never.due_on, never.overdue) == (date(2026, 12, 8), True)
    visited = due("苏州监狱", date(2026, 9, 10), today, 2, policy, county)
    assert (visited.due_on, visited.overdue) == (date(2026, 12, 10), False)  # owed today: not yet late
    late = due("苏州监狱", date(2026, 9, 9), today, 0, policy, county)
    assert (late.due_on, late.overdue) == (date(2026, 12, 9), True)
    weekend = due("苏州监狱", date(2026, 9, 13), date(2026, 12, 14), 0, policy, county)
    assert (weekend.due_on, weekend.overdue) == (date(2026, 12, 14), False)  # 13 December is a Sunday


async def test_a_prison_visit_records_whom_it_saw_by_that_prisons_notice_numbers(world):
    from shared.authority import Actor

    ctx, uow, store = world
    n = notice("澄江街道")
    await receive(ctx, uow, n)
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    today = ctx.county.day_of(NOW)
    visit = await resettlement.record_prison_visit(
        ctx, cast(Any, uow), officer, "苏州监狱", today, [n.notice_no], "入监帮教"
    )
    assert visit["persons_seen"][0]["notice_no"] == n.notice_no and store.prison_visits[0]["office"] == "澄江街道"
    with pytest.raises(StepRefused, match="no notice of 无锡监狱"):  # the notice is another prison's
        await resettlement.record_prison_visit(
            ctx, cast(Any, uow), officer, "无锡监狱", today, [n.notice_no], "入监帮教"
        )
    with pytest.raises(StepRefused, match="has not come yet"):
        await resettlement.record_prison_visit(
            ctx, cast(Any, uow), officer, "苏州监狱", today + timedelta(days=1), [], "x"
        )
    duty = Actor("duty-demo", "duty_officer", "county")
    with pytest.raises(Forbidden):
        await resettlement.record_prison_visit(ctx, cast(Any, uow), duty, "苏州监狱", today, [], "入监帮教")


async def test_an_agreement_of_one_plus_one_plus_n_is_signed_once_and_its_checks_move_its_review(world):
    """安置帮教协议 (docs/domain.md §2): parties, terms, review every half year (policy), kept or not."""
    from shared.authority import Actor

    ctx, uow, store = world
    await receive(ctx, uow, notice("澄江街道"))
    hid = next(iter(store.rows))
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    with pytest.raises(StepRefused, match="no agreement"):
        await resettlement.check_agreement(
            ctx, cast(Any, uow), officer, hid, {"on": "2026-12-01", "kept": True, "note": "x"}
        )
    terms = {"terms": ["按时报到", "不得酗酒"], "signed_on": "2026-12-01", "helpers": ["父亲 赵大", "志愿者 李"]}
    signed = await resettlement.sign_agreement(ctx, cast(Any, uow), officer, hid, terms)
    assert (signed["parties"], signed["review_on"], signed["signed_by"]) == (4, "2027-06-01", "officer-demo")
    with pytest.raises(StepRefused, match="signed already"):
        await resettlement.sign_agreement(ctx, cast(Any, uow), officer, hid, terms)
    checked = await resettlement.check_agreement(
        ctx, cast(Any, uow), officer, hid, {"on": "2026-12-09", "kept": False, "note": "未按时报到"}
    )
    assert checked["checks"][0]["kept"] is False and checked["review_on"] == "2027-06-09"
    with pytest.raises(StepRefused, match="has not come yet"):
        await resettlement.check_agreement(
            ctx, cast(Any, uow), officer, hid, {"on": "2026-12-11", "kept": True, "note": "x"}
        )


async def test_a_placement_in_a_resettlement_base_takes_one_of_its_places_and_none_is_left_after_the_last(world):
    """安置基地 (docs/domain.md §2): a registered base with its places; a placement names it."""
    from shared.authority import Actor

    ctx, uow, store = world
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    base = await resettlement.register_base(ctx, cast(Any, uow), officer, "澄江街道", "澄江安置基地", "enterprise", 1)
    base_id = uuid.UUID(base["base_id"])
    with pytest.raises(Forbidden):
        await resettlement.register_base(ctx, cast(Any, uow), officer, "南闸街道", "南闸基地", "farm", 5)
    hids = []
    for _ in range(2):
        await receive(ctx, uow, notice("澄江街道"))
        hid = next(h for h in store.rows if h not in hids)
        await commands.update(ctx, cast(Any, uow), hid, arrived_at=NOW)
        hids.append(hid)
    day = ctx.county.day_of(NOW)
    with pytest.raises(StepRefused, match="names the base"):
        await resettlement.add_service(ctx, cast(Any, uow), officer, hids[0], "placed_base", day, None)
    with pytest.raises(StepRefused, match="names the base"):
        await resettlement.add_service(ctx, cast(Any, uow), officer, hids[0], "job_referral", day, None, base_id)
    placed = await resettlement.add_service(ctx, cast(Any, uow), officer, hids[0], "placed_base", day, None, base_id)
    assert placed["base_id"] == str(base_id)
    with pytest.raises(StepRefused, match="no place left"):
        await resettlement.add_service(ctx, cast(Any, uow), officer, hids[1], "placed_base", day, None, base_id)


async def test_a_prison_sentence_the_office_records_counts_as_a_re_offence_once(world):
    """D11: re-offending is any later judgment, a prison sentence too, not only the court's orders
    of community corrections: the office records it on the released person's handover, once per
    judgment; the same judgment again is the same record, with other content refused; a judgment
    before the release or ahead of today is refused."""
    from shared.authority import Actor

    ctx, uow, store = world
    released = notice(release_date=date(2026, 6, 1))
    await receive(ctx, uow, released)
    (hid,) = list(store.rows)
    officer = Actor("officer-hs", "justice_officer", "华士镇")
    judgment = {
        "court": "江阴市人民法院",
        "judgment_no": "(2026)苏0281刑初9号",
        "sentenced_on": date(2026, 11, 20),
        "sentence": "imprisonment",
    }
    kept = await resettlement.record_reoffence(ctx, cast(Any, uow), officer, hid, judgment)
    assert kept["recorded_by"] == "officer-hs" and kept["sentenced_on"] == "2026-11-20"
    await resettlement.record_reoffence(ctx, cast(Any, uow), officer, hid, judgment)  # the same again: one record
    assert list(store.new_orders.values()) == [(released.person_id, date(2026, 11, 20))]
    with pytest.raises(StepRefused, match="other content"):
        await resettlement.record_reoffence(
            ctx, cast(Any, uow), officer, hid, {**judgment, "sentenced_on": date(2026, 11, 21)}
        )
    with pytest.raises(StepRefused, match="not after the release"):
        await resettlement.record_reoffence(
            ctx, cast(Any, uow), officer, hid, {**judgment, "judgment_no": "x", "sentenced_on": date(2026, 6, 1)}
        )
    with pytest.raises(StepRefused, match="not come yet"):
        await resettlement.record_reoffence(
            ctx, cast(Any, uow), officer, hid, {**judgment, "judgment_no": "y", "sentenced_on": date(2026, 12, 11)}
        )
