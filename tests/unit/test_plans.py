"""The individual correction plan (个案矫正方案; docs/domain.md §1) at its boundaries, and on a
fake unit of work and store with a fixed clock: due `made_within` of intake, approved by another
than its maker, reviewed after a level change, and overdue raised once on its day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, cast

import pytest

from services.supervision import handlers as sv_handlers
from services.supervision import plans as sv_plans
from services.supervision import programmes as sv_programmes
from services.supervision.domain.plans import PlanPolicy, late, plan_state
from shared import staff_steps as steps
from shared.authority import Actor
from shared.county import default_county
from shared.errors import Conflict, Forbidden
from shared.periods import within_days
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW, incoming, opened, timer_of
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

POLICY = PlanPolicy()
COUNTY = default_county()
D0 = date(2026, 11, 1)
OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
SUPERVISOR = Actor("supervisor-demo", "supervisor", "county")


def test_a_plan_due_on_day_n_and_made_on_day_n_plus_one_is_late():
    due = plan_state(
        intake_on=D0, approved_on=None, level_changed_on=None, today=D0, policy=POLICY, county=COUNTY
    ).due_on
    assert due == D0 + timedelta(days=30)
    assert not late(due, due, due) and late(due, due + timedelta(days=1), due + timedelta(days=1))
    assert not late(due, None, due) and late(due, None, due + timedelta(days=1))


def test_an_approved_plan_is_current_until_its_review_and_a_level_change_brings_the_review_forward():
    approved = D0 + timedelta(days=10)
    state = plan_state(
        intake_on=D0,
        approved_on=approved,
        level_changed_on=None,
        today=D0 + timedelta(days=100),
        policy=POLICY,
        county=COUNTY,
    )
    assert state.current and state.due_on == approved + timedelta(days=182)
    changed = D0 + timedelta(days=40)
    state = plan_state(
        intake_on=D0, approved_on=approved, level_changed_on=changed, today=changed, policy=POLICY, county=COUNTY
    )
    # changed Friday 11 December: the thirtieth day is Sunday 10 January, so the review's last day
    # is Monday 11 January (docs/rules.md)
    assert state.current and state.due_on == date(2027, 1, 11)
    after = plan_state(
        intake_on=D0,
        approved_on=approved,
        level_changed_on=changed,
        today=date(2027, 1, 12),
        policy=POLICY,
        county=COUNTY,
    )
    assert not after.current


async def test_made_by_the_office_approved_by_another_and_overdue_only_without_one(world):  # noqa: F811
    commands, handlers, uow, store = world
    person, idle = uuid.uuid4(), uuid.uuid4()
    for p in (person, idle):
        await opened(handlers, uow, p)
        async with uow:  # 报到, recorded by the office
            await sv_handlers.intake_reported(handlers, cast(Any, uow), p, NOW, "officer-demo", None)
    plan = steps.Plan(items=[steps.PlanItem(kind="individual_education", detail="每月个别谈话两次")])
    async with uow:
        made = await sv_plans.make_plan(commands, cast(Any, uow), OFFICER, person, plan)
    with pytest.raises(Forbidden):  # an officer makes, a supervisor or the bureau head approves
        await sv_plans.approve_plan(commands, cast(Any, uow), OFFICER, person, made.plan_id)
    maker = Actor("officer-demo", "supervisor", "county")  # the same name cannot approve its own
    with pytest.raises(Conflict, match="other than who made it"):
        await sv_plans.approve_plan(commands, cast(Any, uow), maker, person, made.plan_id)
    async with uow:
        await sv_plans.approve_plan(commands, cast(Any, uow), SUPERVISOR, person, made.plan_id)
    with pytest.raises(Conflict, match="approved already"):
        await sv_plans.approve_plan(commands, cast(Any, uow), SUPERVISOR, person, made.plan_id)

    for p in (person, idle):
        case = next(c for c in store.cases if c["person_id"] == p)
        # intake Thursday 10 December: the thirtieth day is Saturday 9 January, so the last day is
        # Monday 11 January (docs/rules.md)
        due = timer_of(store, f"plan-due:{case['case_id']}:2027-01-11")
        async with uow:
            await sv_plans.on_plan_due(handlers, due, cast(Any, uow))
    overdue = [e for _, e in uow.published if e.type == "sps.supervision.plan-overdue"]
    assert [e.subject for e in overdue] == [str(idle)]  # the one with an approved plan is in force
    review = [k for k in store.timers if k.startswith("plan-due:") and str(made.case_id) in k]
    assert any(k.endswith((NOW.date() + timedelta(days=182)).isoformat()) for k in review)  # its review


async def arrive(handlers: Any, uow: Any, person: uuid.UUID, kind: str, years: int) -> None:
    """The person registered at 澄江街道 today after a release or a rehabilitation centre."""
    from shared.events import ArrivalRegistered, MaskedPerson

    arrived = ArrivalRegistered(
        handover_id=uuid.uuid4(),
        person_id=person,
        kind=kind,  # type: ignore[arg-type]
        justice_office="澄江街道",
        arrived_at=NOW,
        release_date=NOW.date(),
        key_person=False,
        case_years=years,
        person=MaskedPerson(
            name_masked="赵*", id_number_masked="3202**********1234", sex="M", residence_town="澄江街道"
        ),
    )
    async with uow:
        await sv_handlers.on_arrival(handlers, incoming(arrived, "sps.handover.arrived"), arrived, cast(Any, uow))


async def test_a_released_persons_help_plan_is_due_from_arrival_and_overdue_without_one(world):  # noqa: F811
    """帮教计划 (docs/domain.md §2): the same plan, due `help_plans.made_within` of arrival."""
    commands, handlers, uow, store = world
    persons = [uuid.uuid4(), uuid.uuid4()]
    for p in persons:
        await arrive(handlers, uow, p, "release", 5)
    planned, idle = persons
    plan = steps.Plan(items=[steps.PlanItem(kind="employment_help", detail="推荐到安置基地就业")])
    async with uow:
        made = await sv_plans.make_plan(commands, cast(Any, uow), OFFICER, planned, plan)
        await sv_plans.approve_plan(commands, cast(Any, uow), SUPERVISOR, planned, made.plan_id)
    due_on = within_days(COUNTY, NOW.date(), handlers.policy.help_plans.made_within).last_day
    for p in persons:
        case = next(c for c in store.cases if c["person_id"] == p)
        assert case["kind"] == "resettlement"
        async with uow:
            await sv_plans.on_plan_due(
                handlers, timer_of(store, f"plan-due:{case['case_id']}:{due_on.isoformat()}"), cast(Any, uow)
            )
    overdue = [e for _, e in uow.published if e.type == "sps.supervision.plan-overdue"]
    assert [e.subject for e in overdue] == [str(idle)]


async def test_aftercare_is_judged_per_calendar_month_and_quarter_and_a_visit_is_contact(world):  # noqa: F811
    """D8 (docs/rules.md): arrived Thursday 10 December, the arrival is December's contact; January
    is judged at 00:00 on 1 February: a visit on 20 January keeps it (a visit is contact, policy),
    so nothing is due, and February is judged next. With no follow-up, January is due."""
    from datetime import datetime

    commands, handlers, uow, store = world
    persons = [uuid.uuid4(), uuid.uuid4()]
    for p in persons:
        await arrive(handlers, uow, p, "rehab", 3)
    visited, silent = persons
    cases = {p: next(c for c in store.cases if c["person_id"] == p)["case_id"] for p in persons}
    timer = timer_of(store, f"followup:{cases[visited]}:phone:2027-01-01")
    assert timer.due_at == COUNTY.start_of(date(2027, 2, 1))
    await store.add_followup(
        followup_id=uuid.uuid4(),
        person_id=visited,
        case_id=cases[visited],
        kind="visit",
        at=datetime(2027, 1, 20, 2, tzinfo=COUNTY.tz),
        drug_test="negative",
        police_record=False,
        note="上门",
        recorded_by="officer-demo",
    )
    for p in persons:
        async with uow:
            await sv_programmes.on_followup_due(
                handlers, timer_of(store, f"followup:{cases[p]}:phone:2027-01-01"), cast(Any, uow)
            )
    due = [e for _, e in uow.published if e.type == "sps.supervision.aftercare-followup-due"]
    assert [e.subject for e in due] == [str(silent)]
    assert timer_of(store, f"followup:{cases[visited]}:phone:2027-02-01").due_at == COUNTY.start_of(date(2027, 3, 1))
