"""Supervision's staff commands on a fake unit of work and store: the authority model, the
domain's refusals as typed errors, what is persisted and what is published. No Kafka, no
PostgreSQL, a fixed clock."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.supervision import commands as sv_commands
from services.supervision import leaves as sv_leaves
from services.supervision.adapters.cases import CaseDirectory
from services.supervision.adapters.store import SupervisionStore
from services.supervision.context import SupervisionContext
from services.supervision.domain.geo import county_area, projection_for
from services.supervision.domain.keypersons import Candidate
from services.supervision.domain.policy import load_supervision_policy
from services.supervision.leaves import LeaveRequest
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden, NotFound, Refused
from shared.geography import load_geography
from shared.paths import POLICY_DIR
from shared.topics import SUPERVISION_EVENTS
from tests.fakes import missing_methods
from tests.fakes.supervision_store import FakeSupervisionStore
from tests.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 10, 8, tzinfo=UTC)
POLICY = load_supervision_policy(POLICY_DIR)
OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
OTHER_OFFICER = Actor("officer-b", "justice_officer", "南闸街道")
COUNTY_DUTY = Actor("duty-demo", "duty_officer", "county")
HEAD = Actor("head-demo", "bureau_head", "county")


@pytest.fixture
def world() -> tuple[SupervisionContext, FakeUnitOfWork, FakeSupervisionStore]:
    uow = FakeUnitOfWork("supervision")
    store = FakeSupervisionStore(uow)
    geography = load_geography(POLICY_DIR)
    projection = projection_for(geography)
    handlers = SupervisionContext(  # the commands name the owner's partition on the timers they arm
        CaseDirectory(county_area(geography, projection), projection), POLICY, clock=lambda: NOW
    )
    commands = replace(handlers, clock=lambda: NOW, store=lambda _uow: cast(SupervisionStore, store))
    return commands, uow, store


def _uow(u: FakeUnitOfWork) -> Any:
    return u


def test_the_fake_store_has_every_method_of_the_real_one():
    assert missing_methods(SupervisionStore, FakeSupervisionStore(None)) == []


async def test_leave_up_to_seven_days_by_the_office_longer_only_by_the_county(world):
    commands, uow, store = world
    case = store.add_case()
    short = LeaveRequest(NOW, NOW + timedelta(days=7), "无锡", "探亲")
    data = await sv_leaves.approve_leave(commands, _uow(uow), OFFICER, case["person_id"], short)
    assert data.approval_level == "justice_office" and data.approved_by == "officer-demo"
    assert uow.types() == ["sps.supervision.leave-approved"] and uow.published[0][0] == SUPERVISION_EVENTS
    assert uow.published[0][1].source == "/sps/supervision" and uow.published[0][1].subject == str(case["person_id"])
    assert f"leave-end:{data.leave_id}" in store.timers
    assert store.timeline[0]["event_id"] == uow.published[0][1].id

    long = LeaveRequest(NOW, NOW + timedelta(days=8), "北京", "就医")
    with pytest.raises(Forbidden, match="county"):
        await sv_leaves.approve_leave(commands, _uow(uow), OFFICER, case["person_id"], long)
    assert (
        await sv_leaves.approve_leave(commands, _uow(uow), COUNTY_DUTY, case["person_id"], long)
    ).approval_level == "county"
    with pytest.raises(Refused) as too_long:
        await sv_leaves.approve_leave(
            commands,
            _uow(uow),
            COUNTY_DUTY,
            case["person_id"],
            LeaveRequest(NOW, NOW + timedelta(days=31), "北京", "就医"),
        )
    assert too_long.value.field == "end"
    with pytest.raises(Forbidden, match="澄江街道"):
        await sv_leaves.approve_leave(commands, _uow(uow), OTHER_OFFICER, case["person_id"], short)
    with pytest.raises(NotFound):
        await sv_leaves.approve_leave(commands, _uow(uow), OFFICER, uuid.uuid4(), short)
    assert len(store.leaves) == 2


async def test_a_leave_applied_for_is_decided_by_the_level_its_length_needs_then_returned_from(world):
    commands, uow, store = world
    case = store.add_case()
    person = case["person_id"]
    week = LeaveRequest(NOW - timedelta(days=1), NOW + timedelta(days=6), "无锡", "探亲")
    asked = await sv_leaves.request_leave(commands, _uow(uow), OFFICER, person, week)
    assert asked.needs == "justice_office" and asked.requested_by == "officer-demo"
    assert uow.types() == ["sps.supervision.leave-requested"] and not store.timers  # nothing changes yet
    assert (await store.leave(asked.leave_id))["status"] == "requested"

    approved = await sv_leaves.decide_leave(commands, _uow(uow), OFFICER, person, asked.leave_id, approve=True)
    assert approved.leave_id == asked.leave_id and approved.approval_level == "justice_office"
    assert uow.types()[-1] == "sps.supervision.leave-approved" and f"leave-end:{asked.leave_id}" in store.timers
    with pytest.raises(Conflict, match="approved"):
        await sv_leaves.decide_leave(commands, _uow(uow), OFFICER, person, asked.leave_id, approve=False, reason="晚了")

    # 销假: never ahead of the clock, never before the start; then the overdue check is gone.
    with pytest.raises(Refused) as ahead:
        await sv_leaves.return_from_leave(
            commands, _uow(uow), OFFICER, person, asked.leave_id, NOW + timedelta(hours=1)
        )
    assert ahead.value.field == "returned_at"
    with pytest.raises(Refused):
        await sv_leaves.return_from_leave(commands, _uow(uow), OFFICER, person, asked.leave_id, NOW - timedelta(days=2))
    back = await sv_leaves.return_from_leave(
        commands, _uow(uow), OFFICER, person, asked.leave_id, NOW - timedelta(hours=2)
    )
    assert back.returned_at == NOW - timedelta(hours=2) and uow.types()[-1] == "sps.supervision.leave-returned"
    assert f"leave-end:{asked.leave_id}" not in store.timers
    assert (await store.leave(asked.leave_id))["status"] == "returned"
    with pytest.raises(Conflict, match="returned"):
        await sv_leaves.return_from_leave(commands, _uow(uow), OFFICER, person, asked.leave_id, NOW)

    # Ten days: the county's to decide, refusing too; a refusal needs its reason.
    long = await sv_leaves.request_leave(
        commands, _uow(uow), OFFICER, person, LeaveRequest(NOW, NOW + timedelta(days=10), "北京", "就医")
    )
    assert long.needs == "county"
    with pytest.raises(Forbidden, match="county"):
        await sv_leaves.decide_leave(
            commands, _uow(uow), OFFICER, person, long.leave_id, approve=False, reason="材料不全"
        )
    with pytest.raises(Refused) as no_reason:
        await sv_leaves.decide_leave(commands, _uow(uow), COUNTY_DUTY, person, long.leave_id, approve=False, reason=" ")
    assert no_reason.value.field == "reason"
    declined = await sv_leaves.decide_leave(
        commands, _uow(uow), COUNTY_DUTY, person, long.leave_id, approve=False, reason="材料不全"
    )
    assert declined.declined_by == "duty-demo" and uow.types()[-1] == "sps.supervision.leave-declined"
    assert f"leave-end:{long.leave_id}" not in store.timers
    with pytest.raises(Conflict, match="declined"):
        await sv_leaves.return_from_leave(commands, _uow(uow), OFFICER, person, long.leave_id, NOW)

    # No one may approve 31 days, so it is refused as it is applied for; another office's leave is not found.
    with pytest.raises(Refused):
        await sv_leaves.request_leave(
            commands, _uow(uow), OFFICER, person, LeaveRequest(NOW, NOW + timedelta(days=31), "北京", "x")
        )
    with pytest.raises(NotFound):
        await sv_leaves.decide_leave(commands, _uow(uow), OFFICER, person, uuid.uuid4(), approve=True)
    with pytest.raises(Forbidden):
        await sv_leaves.request_leave(commands, _uow(uow), OTHER_OFFICER, person, week)


async def test_positioning_is_the_heads_on_a_legal_ground_and_once_at_a_time(world):
    commands, uow, store = world
    case = store.add_case()
    step = steps.Positioning(ground="left_county_without_leave", device_id="DEV-1", starts_on=date(2026, 12, 10))
    with pytest.raises(Forbidden) as refused:
        await sv_commands.start_positioning(commands, _uow(uow), OFFICER, case["person_id"], step)
    assert "bureau_head" in str(refused.value)
    with pytest.raises(Refused) as bad:
        await sv_commands.start_positioning(
            commands, _uow(uow), HEAD, case["person_id"], steps.Positioning(ground="suspicious", device_id="DEV-1")
        )
    assert bad.value.field == "ground"
    data, notice_on = await sv_commands.start_positioning(commands, _uow(uow), HEAD, case["person_id"], step)
    assert (data.ends_on, notice_on) == (date(2027, 3, 10), date(2027, 2, 27))
    assert case["electronic_monitoring"] and len(store.timers) == 2
    with pytest.raises(Conflict, match="renew"):
        await sv_commands.start_positioning(commands, _uow(uow), HEAD, case["person_id"], step)
    renewed, _ = await sv_commands.renew_positioning(
        commands, _uow(uow), HEAD, data.positioning_id, steps.Renewal(review_note="仍需定位")
    )
    assert renewed.renewal == 1 and renewed.ends_on == date(2027, 6, 10)
    assert uow.types() == ["sps.supervision.positioning-started"] * 2


async def test_a_followup_is_for_aftercare_only_and_its_period_is_judged_at_its_end(world):
    commands, uow, store = world
    correction = store.add_case()
    aftercare = store.add_case(kind="aftercare")
    step = steps.Followup(kind="phone", at=NOW, drug_test="negative", note="电话回访")
    with pytest.raises(Conflict):
        await sv_commands.record_followup(commands, _uow(uow), OFFICER, correction["person_id"], step)
    data = await sv_commands.record_followup(commands, _uow(uow), OFFICER, aftercare["person_id"], step)
    assert data.abstinent is True
    assert f"followup:{aftercare['case_id']}:phone" not in store.timers  # the month's end judges it (D8)


async def test_separations_count_per_case_and_the_second_makes_a_warning_due(world):
    commands, uow, store = world
    case = store.add_case()
    step = steps.Separation(observed_at=NOW, note="手环在家")
    first = await sv_commands.report_separation(commands, _uow(uow), OFFICER, case["person_id"], step)
    second = await sv_commands.report_separation(commands, _uow(uow), OFFICER, case["person_id"], step)
    assert (first.count, first.warning_due, second.count, second.warning_due) == (1, False, 2, True)
    ahead = steps.Separation(observed_at=NOW + timedelta(hours=1), note="记错了日期")
    with pytest.raises(Refused) as refused:  # staff record what has happened, never ahead
        await sv_commands.report_separation(commands, _uow(uow), OFFICER, case["person_id"], ahead)
    assert refused.value.field == "observed_at"
    assert await store.count_recorded(case["person_id"], "sps.supervision.separation-reported", NOW) == 2


async def test_a_womans_team_needs_a_woman_and_closing_is_a_supervisors(world):
    commands, uow, store = world
    case = store.add_case(person_masked={"sex": "F"})
    men = steps.Team(members=[steps.Member(name="张", role="justice_office", sex="M")])
    with pytest.raises(Refused) as refused:
        await sv_commands.set_team(commands, _uow(uow), OFFICER, case["person_id"], men)
    assert refused.value.field == "members" and case["case_id"] not in store.teams
    with pytest.raises(Forbidden, match="supervisor or bureau_head"):
        await sv_commands.close_case(
            commands, _uow(uow), OFFICER, case["person_id"], steps.Close(outcome="revoked", reason="法院裁定撤销")
        )


async def test_the_key_person_list_is_confirmed_once_and_new_names_signal(world):
    commands, uow, store = world
    listed, kept = uuid.uuid4(), uuid.uuid4()
    store.candidate_rows = [Candidate(listed, "high"), Candidate(kept, "high"), Candidate(uuid.uuid4(), "low")]
    store.lists[("澄江街道", "2026-11")] = {"persons": [{"person_id": str(kept)}]}
    with pytest.raises(Forbidden):
        await sv_commands.confirm_key_persons(commands, _uow(uow), OTHER_OFFICER, "澄江街道", "2026-12")
    data = await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2026-12")
    assert {p.person_id for p in data.persons} == {listed, kept}
    assert uow.types() == ["sps.supervision.key-persons-determined", "sps.supervision.key-person-newly-determined"]
    assert uow.published[1][1].subject == str(listed)
    with pytest.raises(Conflict):
        await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2026-12")
    with pytest.raises(Refused):
        await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "December")


async def test_the_office_edits_the_proposed_list_with_its_reasons_before_confirming(world):
    commands, uow, store = world
    proposed, dropped = uuid.uuid4(), uuid.uuid4()
    store.candidate_rows = [Candidate(proposed, "high"), Candidate(dropped, "high")]
    mine = store.add_case()["person_id"]
    elsewhere = store.add_case(jurisdiction="华士镇")["person_id"]

    async def confirm(**edits: Any) -> Any:
        return await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2026-12", **edits)

    for edits, field in (
        ({"removed": {uuid.uuid4(): "不在名单"}}, "removed"),  # not proposed
        ({"removed": {dropped: " "}}, "removed"),  # no reason
        ({"added": {elsewhere: "多次夜不归宿"}}, "added"),  # another office's person
        ({"added": {proposed: "重复"}}, "added"),  # listed already
    ):
        with pytest.raises(Refused) as refused:
            await confirm(**edits)
        assert refused.value.field == field
    assert not store.lists  # nothing confirmed by a refused edit

    data = await confirm(removed={dropped: "已收监，不再在册"}, added={mine: "家属反映其近期情绪不稳定"})
    assert [p.person_id for p in data.persons] == [proposed, mine]
    assert data.persons[1].reasons == ["office:家属反映其近期情绪不稳定"]
    assert [(r.person_id, r.reason) for r in data.removed] == [(dropped, "已收监，不再在册")]
    assert store.lists[("澄江街道", "2026-12")]["removed"] == [
        {"person_id": str(dropped), "reason": "已收监，不再在册"}
    ]
    newly = [e.subject for _, e in uow.published if e.type == "sps.supervision.key-person-newly-determined"]
    assert newly == [str(proposed), str(mine)]  # the office's own addition is newly determined too


async def test_who_decides_each_sanction_is_policy(world):
    """The brief's split (a warning by the county) is one line of policy/authority.yaml away."""
    commands, uow, store = world
    case = store.add_case()
    default = OFFICER.policy
    county_warns = default.model_copy(
        update={
            "actions": {
                **default.actions,
                "sanction.warning": default.actions["sanction.warning"].model_copy(update={"level": "county"}),
            }
        }
    )
    officer = Actor("officer-demo", "justice_officer", "澄江街道", policy=county_warns)
    with pytest.raises(Forbidden, match="county staff"):
        await sv_commands.record_sanction(commands, _uow(uow), officer, case["person_id"], "warning", "未按时报告")
    assert store.sanctions == [] and uow.published == []


def _breaches(uow: FakeUnitOfWork) -> list[tuple[str, int]]:
    return [
        (e.data["reason"], e.data["count"])
        for _, e in uow.published
        if e.type == "sps.supervision.rehab-serious-breach"
    ]


async def test_community_rehabilitation_breaches_are_signalled_once_each_when_crossed(world):
    commands, uow, store = world
    rehab = store.add_case(kind="aftercare", community_rehabilitation=True)
    person = rehab["person_id"]
    limit = POLICY.aftercare.serious_unreported_trips
    for i in range(limit + 1):  # unreported trips long enough to need a report; the limit-th crosses
        start = date(2026, 10, 1) + timedelta(days=10 * i)
        trip = steps.Trip(leaves_on=start, returns_on=start + timedelta(days=3), destination="无锡", reported=False)
        answer = await sv_commands.record_trip(commands, _uow(uow), OFFICER, person, trip)
        assert answer["serious_breach"] is (i + 1 >= limit)
    assert _breaches(uow) == [("unreported_trips", limit)]
    long_trip = steps.Trip(
        leaves_on=date(2026, 11, 1),
        returns_on=date(2026, 11, 1) + timedelta(days=POLICY.aftercare.serious_days_away),
        destination="上海",
        reported=True,
    )
    await sv_commands.record_trip(commands, _uow(uow), OFFICER, person, long_trip)
    assert _breaches(uow)[-1] == ("days_away", POLICY.aftercare.serious_days_away + 1)
    for _ in range(POLICY.aftercare.serious_dodged_tests):
        dodged = steps.Followup(kind="visit", at=NOW, drug_test="refused", note="拒绝检测")
        await sv_commands.record_followup(commands, _uow(uow), OFFICER, person, dodged)
    assert _breaches(uow)[-1] == ("dodged_tests", POLICY.aftercare.serious_dodged_tests)
    assert len(_breaches(uow)) == 3
    first = next(e for _, e in uow.published if e.type == "sps.supervision.rehab-serious-breach")
    assert first.data["cause"] == f"rehab-breach:{rehab['case_id']}:unreported_trips"


async def test_plain_aftercare_has_no_rehabilitation_breaches(world):
    commands, uow, store = world
    aftercare = store.add_case(kind="aftercare")
    for i in range(POLICY.aftercare.serious_unreported_trips):
        start = date(2026, 10, 1) + timedelta(days=10 * i)
        trip = steps.Trip(leaves_on=start, returns_on=start + timedelta(days=3), destination="无锡", reported=False)
        await sv_commands.record_trip(commands, _uow(uow), OFFICER, aftercare["person_id"], trip)
    assert _breaches(uow) == []


async def test_the_office_records_a_contact_check_unreachable_is_contact_lost(world):
    commands, uow, store = world
    case = store.add_case()
    person = case["person_id"]
    result = steps.ContactResult(outcome="unreachable", at=NOW, note="电话关机，家属称已外出三日")
    with pytest.raises(Conflict):  # no window has passed: nothing to answer
        await sv_commands.record_contact(commands, _uow(uow), OFFICER, person, result)
    check_id = uuid.uuid4()
    await store.open_contact_check(
        check_id=check_id,
        person_id=person,
        case_id=case["case_id"],
        cause="contact:2026-12-09T08:00:00+00:00",
        basis="checkin",
        opened_at=NOW - timedelta(hours=1),
        result_due=NOW + timedelta(hours=3),
    )
    store.timers[f"contact-check:{check_id}"] = ("contact.check", NOW + timedelta(hours=3), {})
    with pytest.raises(Forbidden):
        await sv_commands.record_contact(commands, _uow(uow), OTHER_OFFICER, person, result)
    with pytest.raises(Refused) as early:
        await sv_commands.record_contact(
            commands, _uow(uow), OFFICER, person, result.model_copy(update={"at": NOW - timedelta(hours=2)})
        )
    assert early.value.field == "at"
    checked = await sv_commands.record_contact(commands, _uow(uow), OFFICER, person, result)
    assert checked.outcome == "unreachable" and store.checks[0]["recorded_by"] == "officer-demo"
    assert uow.types()[-2:] == ["sps.supervision.contact-checked", "sps.supervision.contact-lost"]
    lost = uow.published[-1][1].data
    assert lost["reason"] == "unreachable" and lost["cause"] == "contact:2026-12-09T08:00:00+00:00"
    assert f"contact-check:{check_id}" not in store.timers
    with pytest.raises(Conflict):  # answered once
        await sv_commands.record_contact(commands, _uow(uow), OFFICER, person, result)


async def test_reached_closes_the_check_and_loses_no_contact(world):
    commands, uow, store = world
    case = store.add_case()
    await store.open_contact_check(
        check_id=uuid.uuid4(),
        person_id=case["person_id"],
        case_id=case["case_id"],
        cause="contact:x",
        basis="checkin",
        opened_at=NOW - timedelta(hours=1),
        result_due=NOW + timedelta(hours=3),
    )
    reached = steps.ContactResult(outcome="reached", at=NOW, note="已电话联系本人，在家")
    await sv_commands.record_contact(commands, _uow(uow), OFFICER, case["person_id"], reached)
    assert uow.types() == ["sps.supervision.contact-checked"] and store.checks[0]["outcome"] == "reached"


async def test_a_months_key_person_list_weighs_the_whole_month_just_ended(world):
    """D6 (docs/rules.md): the list for March 2027 is proposed from all of February, whenever in
    March it is confirmed, never from the days of March before the confirmation."""
    from shared.county import default_county

    commands, uow, store = world
    windows = []

    async def candidates(office, start, end):
        windows.append((start, end))
        return []

    store.candidates = candidates
    await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2027-03")
    county = default_county()
    assert windows == [(county.start_of(date(2027, 2, 1)), county.start_of(date(2027, 3, 1)))]


async def test_a_listed_key_person_is_listed_for_conversion_with_measures_progress_and_an_end(world):
    """D6, 市镇两级挂牌转化: confirming the month's list opens one conversion per listed person with
    an active case of the office (at the office's level, with the list's target; never twice);
    the office sets measures and records progress (not ahead of today); the county raises a person
    to its own list, which only the county ends; converted needs measures and progress; closing
    the case ends the conversion with it."""
    from datetime import date

    from services.supervision import conversions

    commands, uow, store = world
    a, b = store.add_case(), store.add_case()
    store.candidate_rows = [Candidate(a["person_id"], "high"), Candidate(b["person_id"], "high")]
    await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2026-12")
    opened = {c["person_id"]: c for c in store.conversions.values()}
    assert set(opened) == {a["person_id"], b["person_id"]}
    assert {c["level"] for c in opened.values()} == {"office"} and opened[a["person_id"]]["target_zh"]
    store.lists[("澄江街道", "2026-11")] = store.lists.pop(("澄江街道", "2026-12"))  # a later month lists them again
    await sv_commands.confirm_key_persons(commands, _uow(uow), OFFICER, "澄江街道", "2026-12")
    assert len(store.conversions) == 2  # one open per case

    s, person = cast(Any, store), a["person_id"]
    with pytest.raises(Conflict, match="measures and progress"):
        await conversions.end(s, OFFICER, person, steps.ConversionEnd(note="表现良好"), NOW)
    with pytest.raises(Forbidden):
        await conversions.set_measures(
            s, OTHER_OFFICER, person, steps.ConversionMeasures(measures=["谈话教育"], responsible="张"), NOW
        )
    measures = steps.ConversionMeasures(measures=["每周谈话教育", "落实就业帮扶"], responsible="王所长")
    await conversions.set_measures(s, OFFICER, person, measures, NOW)
    with pytest.raises(Conflict, match="not come yet"):
        await conversions.add_progress(
            s,
            OFFICER,
            person,
            steps.ConversionProgress(on=date(2026, 12, 11), note="谈话"),
            NOW,
            county=commands.county,
        )
    step = steps.ConversionProgress(on=date(2026, 12, 10), note="谈话一次，情绪稳定")
    done = await conversions.add_progress(s, OFFICER, person, step, NOW, county=commands.county)
    assert done["progress"] == [{"on": "2026-12-10", "note": "谈话一次，情绪稳定", "by": "officer-demo"}]

    with pytest.raises(Forbidden):  # 市级挂牌 is the county's
        await conversions.list_at_county(s, OFFICER, person, steps.CountyListing(reason="多次违规"), NOW)
    await conversions.list_at_county(s, HEAD, person, steps.CountyListing(reason="多次违规，市级挂牌督办"), NOW)
    with pytest.raises(Conflict, match="county ends"):
        await conversions.end(s, OFFICER, person, steps.ConversionEnd(note="表现良好"), NOW)
    ended = await conversions.end(s, HEAD, person, steps.ConversionEnd(note="连续三月无违规，风险降为中"), NOW)
    assert (ended["outcome"], ended["closed_by"]) == ("converted", "head-demo")
    assert [t["summary"]["step"] for t in store.timeline if t["event_type"] == conversions.FILE_TYPE].count(
        "opened"
    ) == 2

    await store.close_case(b["case_id"], "revoked", NOW)
    (other,) = [c for c in store.conversions.values() if c["person_id"] == b["person_id"]]
    assert (other["outcome"], other["close_note"]) == ("case_closed", "revoked")
