"""协矫通 (docs/domain.md §1, "The correction team"): a team member's account sees and acts on only
the persons whose correction teams name it. On the fake store with a fixed clock: each test here
fails if a member reads or writes another person."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest

from services.supervision import commands as sv_commands
from services.supervision import hours as sv_hours
from services.supervision import team as sv_team
from services.supervision.domain.team import Member, TeamRefused, check_team
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Forbidden, Refused
from shared.events import AppReport
from tests.unit.test_hours import OFFICER, supervised
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW, incoming
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

VOLUNTEER = Actor("vol.li", "team_member", "澄江街道")
OTHER_VOLUNTEER = Actor("vol.zhou", "team_member", "澄江街道")
LEAD = steps.Member(name="王所长", role="justice_office", sex="F")


async def with_team(world, accounts: list[str]) -> dict[str, Any]:  # noqa: F811
    commands, _, uow, _ = world
    case = await supervised(world, date(2026, 11, 1))
    members = [LEAD] + [
        steps.Member(name=f"志愿者{i}", role="volunteer", sex="M", account=a) for i, a in enumerate(accounts)
    ]
    async with uow:
        await sv_commands.set_team(commands, cast(Any, uow), OFFICER, case["person_id"], steps.Team(members=members))
    return case


def test_only_grid_workers_social_workers_and_volunteers_hold_an_account_and_once_per_team():
    roles = ("grid_worker", "social_worker", "volunteer")
    lead = Member("王所长", "justice_office", "F")
    check_team("M", [lead, Member("李", "volunteer", "M", "vol.li")], roles)
    with pytest.raises(TeamRefused, match="may not hold"):
        check_team("M", [lead, Member("父亲", "family", "M", "dad")], roles)
    with pytest.raises(TeamRefused, match="twice"):
        check_team("M", [lead, Member("李", "volunteer", "M", "x"), Member("赵", "social_worker", "M", "x")], roles)


async def test_a_member_lists_and_reads_only_the_persons_whose_teams_name_them(world):  # noqa: F811
    commands, _, uow, _ = world
    mine = await with_team(world, ["vol.li"])
    theirs = await with_team(world, ["vol.zhou"])
    listed = await sv_team.team_persons(commands, cast(Any, uow), VOLUNTEER)
    assert [p["person_id"] for p in listed] == [str(mine["person_id"])]
    assert listed[0]["team_role"] == "volunteer"
    view = await sv_team.team_view(commands, cast(Any, uow), VOLUNTEER, mine["person_id"])
    assert view["identity"] == mine["person_masked"] and "position" not in view
    with pytest.raises(Forbidden, match="not on this person's correction team"):
        await sv_team.team_view(commands, cast(Any, uow), VOLUNTEER, theirs["person_id"])
    assert await sv_team.team_view(commands, cast(Any, uow), OTHER_VOLUNTEER, theirs["person_id"])
    with pytest.raises(Forbidden):  # staff have the caseload, not the team's list
        await sv_team.team_persons(commands, cast(Any, uow), OFFICER)


async def test_a_member_confirms_time_and_writes_notes_for_their_person_only(world):  # noqa: F811
    commands, handlers, uow, store = world
    mine = await with_team(world, ["vol.li"])
    theirs = await with_team(world, ["vol.zhou"])
    entries = {}
    for case in (mine, theirs):
        report = AppReport(person_id=case["person_id"], kind="study", minutes=120, date=date(2026, 12, 3))  # type: ignore[arg-type]
        async with uow:
            await sv_hours.on_app_report(handlers, incoming(report, "sps.ingest.app-report"), report, cast(Any, uow))
        entries[case["person_id"]] = next(k for k, h in store.hours.items() if h["person_id"] == case["person_id"])
    with pytest.raises(Forbidden):
        await sv_hours.confirm_hours(
            commands, cast(Any, uow), VOLUNTEER, theirs["person_id"], entries[theirs["person_id"]]
        )
    async with uow:
        done = await sv_hours.confirm_hours(
            commands, cast(Any, uow), VOLUNTEER, mine["person_id"], entries[mine["person_id"]]
        )
    assert done.confirmed_by == "vol.li"
    visit = steps.TeamEntry(kind="visit", on=date(2026, 12, 9), text="上门走访，情绪稳定")
    with pytest.raises(Forbidden):
        await sv_team.record_team_entry(commands, cast(Any, uow), VOLUNTEER, theirs["person_id"], visit)
    async with uow:
        await sv_team.record_team_entry(commands, cast(Any, uow), VOLUNTEER, mine["person_id"], visit)
    view = await sv_team.team_view(commands, cast(Any, uow), VOLUNTEER, mine["person_id"])
    assert [(e["kind"], e["by"]) for e in view["entries"]] == [("visit", "vol.li")]
    assert view["hours_entries"][0]["confirmed_by"] == "vol.li"
    ahead = steps.TeamEntry(kind="note", on=date(2026, 12, 11), text="明天再访")  # NOW is 10 December
    with pytest.raises(Refused, match="has not come yet"):
        await sv_team.record_team_entry(commands, cast(Any, uow), VOLUNTEER, mine["person_id"], ahead)
    # What a team member may not do at all: the authority model's, whatever the person.
    with pytest.raises(Forbidden, match="needs the role"):
        await sv_hours.record_hours(
            commands,
            cast(Any, uow),
            VOLUNTEER,
            mine["person_id"],
            steps.HoursEntry(kind="study", minutes=60, on=date(2026, 12, 9)),
        )


async def test_a_member_removed_from_the_team_loses_the_person_at_once(world):  # noqa: F811
    commands, _, uow, _ = world
    mine = await with_team(world, ["vol.li"])
    assert await sv_team.team_view(commands, cast(Any, uow), VOLUNTEER, mine["person_id"])
    async with uow:
        await sv_commands.set_team(commands, cast(Any, uow), OFFICER, mine["person_id"], steps.Team(members=[LEAD]))
    with pytest.raises(Forbidden):
        await sv_team.team_view(commands, cast(Any, uow), VOLUNTEER, mine["person_id"])
    assert await sv_team.team_persons(commands, cast(Any, uow), VOLUNTEER) == []


def test_a_team_members_account_is_never_county_wide_and_sees_a_person_only_by_name_on_the_team():
    county_volunteer = Actor("vol.wu", "team_member", "county")
    assert not county_volunteer.county_wide
    assert not VOLUNTEER.sees_person("澄江街道", ["vol.zhou"])
    assert VOLUNTEER.sees_person("澄江街道", ["vol.li"])
    assert not VOLUNTEER.sees_person("南闸街道", ["vol.li"])  # named, but of another office
    assert OFFICER.sees_person("澄江街道", [])  # staff: their office, team or not


_ = NOW  # the fixture's clock (10 December 2026)
