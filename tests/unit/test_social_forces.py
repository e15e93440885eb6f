"""Social forces (社会力量, docs/domain.md §2): the staffing rate at the 2018 plan's one social worker
per 50 released persons, and the registry's steps on the fake store with a fixed clock."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import pytest

from services.supervision import forces as sv_forces
from services.supervision.domain.social_forces import SocialForcePolicy, social_workers_needed, staffing_rate
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden, NotFound, Refused
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

POLICY = SocialForcePolicy()
OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
ELSEWHERE = Actor("officer-2", "justice_officer", "南闸街道")
DUTY = Actor("duty-demo", "duty_officer", "county")
TODAY = NOW.date()


def test_fifty_released_persons_need_one_social_worker_and_fifty_one_need_two():
    assert social_workers_needed(0, POLICY) == 0
    assert social_workers_needed(1, POLICY) == 1
    assert social_workers_needed(50, POLICY) == 1
    assert social_workers_needed(51, POLICY) == 2
    assert staffing_rate(1, 50, POLICY) == 1.0
    assert staffing_rate(1, 51, POLICY) == 0.5
    assert staffing_rate(3, 51, POLICY) == 1.0  # more than needed is full staffing, not more
    assert staffing_rate(0, 0, POLICY) is None  # nobody to serve: no figure, rather than a perfect one
    assert staffing_rate(2, 120, SocialForcePolicy(persons_per_social_worker=40)) == 0.667


async def test_an_office_registers_its_helpers_and_their_time_but_not_another_offices(world):  # noqa: F811
    commands, _, uow, store = world
    worker = steps.SocialForce(kind="social_worker", name="陈社工", office="澄江街道", account="sw.chen")
    with pytest.raises(Forbidden):
        await sv_forces.register_social_force(commands, cast(Any, uow), ELSEWHERE, worker)
    with pytest.raises(Forbidden, match="needs the role"):
        await sv_forces.register_social_force(commands, cast(Any, uow), DUTY, worker)
    async with uow:
        force = await sv_forces.register_social_force(commands, cast(Any, uow), OFFICER, worker)
    force_id = uuid.UUID(force["force_id"])
    assert store.forces[force_id]["registered_by"] == "officer-demo"
    served = steps.ServiceTime(on=TODAY, minutes=90, note="个别谈话")
    with pytest.raises(Forbidden):
        await sv_forces.record_service_time(commands, cast(Any, uow), ELSEWHERE, force_id, served)
    async with uow:
        await sv_forces.record_service_time(commands, cast(Any, uow), OFFICER, force_id, served)
    assert [t["minutes"] for t in store.service_time.values()] == [90]
    ahead = steps.ServiceTime(on=TODAY + timedelta(days=1), minutes=30)
    with pytest.raises(Refused, match="has not come yet"):
        await sv_forces.record_service_time(commands, cast(Any, uow), OFFICER, force_id, ahead)
    async with uow:
        await sv_forces.social_force_left(
            commands, cast(Any, uow), OFFICER, force_id, steps.LeftService(on=TODAY - timedelta(days=1))
        )
    with pytest.raises(Refused, match="left the registry"):
        await sv_forces.record_service_time(
            commands, cast(Any, uow), OFFICER, force_id, steps.ServiceTime(on=TODAY, minutes=30)
        )
    with pytest.raises(Conflict, match="left already"):
        await sv_forces.social_force_left(commands, cast(Any, uow), OFFICER, force_id, steps.LeftService(on=TODAY))
    with pytest.raises(NotFound):
        await sv_forces.record_service_time(commands, cast(Any, uow), OFFICER, uuid.uuid4(), served)


async def test_a_helper_is_registered_with_a_justice_office_of_the_county(world):  # noqa: F811
    commands, _, uow, _ = world
    commands.offices = frozenset({"澄江街道", "南闸街道"})
    county_head = Actor("head-demo", "bureau_head", "county")
    stray = steps.SocialForce(kind="organisation", name="某社工事务所", office="上海市", organisation="某社工事务所")
    with pytest.raises(Refused, match="not a justice office"):
        await sv_forces.register_social_force(commands, cast(Any, uow), county_head, stray)
