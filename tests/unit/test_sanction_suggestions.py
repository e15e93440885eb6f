"""Sanction suggestions (docs/domain.md §1): the rules point staff to 训诫, 警告 or 提请撤销 with
the evidence; nothing is decided; evidence a sanction already answered does not count again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from services.supervision import commands as sv_commands
from services.supervision.domain.policy import SanctionSuggestionPolicy
from services.supervision.domain.sanctions import Absconding, SanctionEvidence, suggest
from tests.unit.test_revocation import (
    SUPERVISOR,
    world,  # noqa: F401 (a fixture)
)
from tests.unit.test_supervision_handlers import NOW, opened
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

POLICY = SanctionSuggestionPolicy()
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def test_absconding_up_to_ten_days_suggests_an_admonition_beyond_a_warning_beyond_a_month_revocation():
    for lost, kind in (
        (3, "admonition"),
        (10, "admonition"),
        (10.5, "warning"),
        (30, "warning"),
        (31, "revocation_proposal"),
    ):
        found = suggest(SanctionEvidence(absconding=[Absconding(T0, T0 + days(lost))]), POLICY, T0 + days(60))
        assert found is not None and found.kind == kind, lost
        assert found.reasons[0].code == "absconded" and found.reasons[0].count == lost
    still_lost = suggest(SanctionEvidence(absconding=[Absconding(T0)]), POLICY, T0 + days(12))
    assert still_lost is not None and still_lost.kind == "warning"  # counted to now while not found
    assert suggest(SanctionEvidence(), POLICY, T0) is None


def test_two_admonitions_suggest_a_warning_and_two_warnings_a_revocation_proposal():
    two = SanctionEvidence(sanctions=[("admonition", T0), ("admonition", T0 + days(5))])
    found = suggest(two, POLICY, T0 + days(6))
    assert found is not None and found.kind == "warning" and found.reasons[0].code == "admonitions"
    answered = SanctionEvidence(sanctions=[*two.sanctions, ("warning", T0 + days(6))])
    assert suggest(answered, POLICY, T0 + days(7)) is None  # the warning answered them
    warnings = SanctionEvidence(sanctions=[("warning", T0), ("warning", T0 + days(9))])
    found = suggest(warnings, POLICY, T0 + days(10))
    assert found is not None and found.kind == "revocation_proposal" and found.reasons[0].count == 2


def test_a_prohibition_breach_suggests_a_warning_and_an_answered_episode_counts_no_more():
    found = suggest(SanctionEvidence(prohibition_breaches=[T0]), POLICY, T0 + days(1))
    assert found is not None and found.kind == "warning" and found.reasons[0].code == "prohibition_breach"
    episode = Absconding(T0, T0 + days(3))
    answered = SanctionEvidence(sanctions=[("admonition", T0 + days(4))], absconding=[episode])
    assert suggest(answered, POLICY, T0 + days(5)) is None
    both = SanctionEvidence(absconding=[episode, Absconding(T0 + days(10), T0 + days(45))])
    found = suggest(both, POLICY, T0 + days(50))
    assert found is not None and found.kind == "revocation_proposal"  # the most severe, with its reason
    assert [r.count for r in found.reasons] == [35.0]


async def test_the_command_reads_the_cases_evidence_and_only_suggests(world):  # noqa: F811
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    await opened(handlers, uow, person)
    case = store.cases[-1]
    assert (await sv_commands.sanction_suggestion(commands, cast(Any, uow), person))["suggestion"] is None
    for _ in range(2):
        async with uow:
            await sv_commands.record_sanction(commands, cast(Any, uow), SUPERVISOR, person, "admonition", "迟报")
    answer = await sv_commands.sanction_suggestion(commands, cast(Any, uow), person)
    assert answer["case_id"] == str(case["case_id"])
    assert answer["suggestion"] == {
        "kind": "warning",
        "reasons": [{"code": "admonitions", "count": 2, "at": NOW.isoformat()}],
    }
    assert [s["kind"] for s in store.sanctions] == ["admonition", "admonition"]  # nothing decided


def test_a_month_short_of_its_hours_suggests_an_admonition_once():
    found = suggest(SanctionEvidence(short_months=[T0]), POLICY, T0 + days(1))
    assert found is not None and found.kind == "admonition" and found.reasons[0].code == "hours_short"
    answered = SanctionEvidence(sanctions=[("admonition", T0 + days(1))], short_months=[T0])
    assert suggest(answered, POLICY, T0 + days(2)) is None
