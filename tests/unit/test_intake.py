"""报到 as the office records it (contract §7.5), on fakes: by an officer of the person's office or
county staff; once; the same record again is answered with the first, another is a conflict;
never ahead of the clock. A device's check-in is never 报到 (tests/unit/test_supervision_handlers.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import pytest

from services.supervision import commands as sv_commands
from services.supervision import handlers as sv_handlers
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden, Refused
from tests.unit.test_revocation import world  # noqa: F401 (a fixture)
from tests.unit.test_supervision_handlers import NOW, opened, timer_of
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
OTHER_OFFICER = Actor("officer-b", "justice_officer", "南闸街道")
COUNTY_DUTY = Actor("duty-demo", "duty_officer", "county")


async def test_the_report_is_recorded_once_by_the_persons_office_or_the_county(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    [case] = [c for c in store.cases if c["person_id"] == person]
    assert case["status"] == "awaiting_intake" and case["jurisdiction"] == "澄江街道"
    report = steps.IntakeReport(reported_at=NOW - timedelta(hours=1), note="本人到所报到")
    async with uow:
        with pytest.raises(Forbidden, match="澄江街道"):
            await sv_commands.record_intake(commands, cast(Any, uow), OTHER_OFFICER, person, report)
        with pytest.raises(Refused) as ahead:
            await sv_commands.record_intake(
                commands, cast(Any, uow), OFFICER, person, steps.IntakeReport(reported_at=NOW + timedelta(hours=1))
            )
    assert ahead.value.field == "reported_at" and case["status"] == "awaiting_intake"
    async with uow:
        data, new = await sv_commands.record_intake(commands, cast(Any, uow), OFFICER, person, report)
    assert new and data.channel == "office" and data.recorded_by == "officer-demo" and data.note == "本人到所报到"
    assert case["status"] == "under_supervision" and uow.types().count("sps.supervision.intake-reported") == 1
    async with uow:  # the deadline comes: no 漏管 for one who reported
        await sv_handlers.on_intake_due(handlers, timer_of(store, f"intake:{case['case_id']}"), cast(Any, uow))
    assert "sps.supervision.intake-missed" not in uow.types()
    async with uow:
        again, new = await sv_commands.record_intake(commands, cast(Any, uow), COUNTY_DUTY, person, report)
    assert not new and again == data and uow.types().count("sps.supervision.intake-reported") == 1
    async with uow:
        with pytest.raises(Conflict, match="recorded already"):
            await sv_commands.record_intake(
                commands, cast(Any, uow), OFFICER, person, steps.IntakeReport(reported_at=NOW)
            )
