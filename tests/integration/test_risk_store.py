"""Risk's store on the real PostgreSQL: a person's open cases, so that a profile leaves the
monthly cycle only when the last of them closes; an override and a new assessment taking turns
(tests/unit/test_risk_handlers.py has the rules on the fake; this holds the SQL to them)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services.risk import assessments as assessing
from services.risk import commands
from services.risk.adapters.store import RiskStore
from services.risk.adapters.tables import assessments
from services.risk.context import RiskContext
from services.risk.domain.instrument import load_instrument
from shared.authority import Actor
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.uow import UnitOfWork
from shared.paths import POLICY_DIR, REPO_ROOT
from tests.waiting import eventually


async def test_a_profile_closes_with_its_last_open_case(stack):
    name = f"risk_store_{uuid.uuid4().hex[:6]}"
    await ensure_database(stack.database_url, name)
    engine = make_engine(make_url(stack.database_url).set(database=name).render_as_string(hide_password=False))
    try:
        await upgrade_to_head(engine, Path(REPO_ROOT, "services", "risk", "adapters", "migrations"))
        person, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with UnitOfWork(engine, "outbox_risk_store") as uow:
            store = RiskStore(uow)
            await store.learn(person, {"age_band": "25-34"}, "澄江街道", opens=True)
            await store.case_opened(person, first)
            await store.case_opened(person, second)
            await store.case_opened(person, second)  # the same event again: still two cases
        async with UnitOfWork(engine, "outbox_risk_store") as uow:
            assert await RiskStore(uow).case_closed(person, first) is False
            assert person in await RiskStore(uow).persons()
        async with UnitOfWork(engine, "outbox_risk_store") as uow:
            assert await RiskStore(uow).case_closed(person, second) is True
            assert person not in await RiskStore(uow).persons()
        async with UnitOfWork(engine, "outbox_risk_store") as uow:
            await RiskStore(uow).case_opened(person, uuid.uuid4())  # a new case: followed again
            assert person in await RiskStore(uow).persons()
            assert await RiskStore(uow).case_closed(uuid.uuid4(), uuid.uuid4()) is True  # unknown: nothing to keep
    finally:
        await engine.dispose()
        await drop_database(stack.database_url, name)


async def test_an_assessment_waits_for_an_override_being_recorded_and_then_carries_it(stack):
    """The officer's override and an assessment an event sets off, at the same moment: the new
    assessment takes its turn after the override commits and carries it (docs/domain.md, "Risk
    overrides"), rather than reading the latest before the decision and undoing it."""
    name = f"risk_carry_{uuid.uuid4().hex[:6]}"
    await ensure_database(stack.database_url, name)
    engine = make_engine(make_url(stack.database_url).set(database=name).render_as_string(hide_password=False))
    ctx = RiskContext(load_instrument(POLICY_DIR, "2026.1"))
    officer = Actor("officer-demo", "justice_officer", "澄江街道")
    try:
        await upgrade_to_head(engine, Path(REPO_ROOT, "services", "risk", "adapters", "migrations"))
        person = uuid.uuid4()
        async with UnitOfWork(engine, "outbox_risk_store", service="risk") as uow:
            await RiskStore(uow).learn(person, {"offence_category": "property"}, "澄江街道", opens=True)
            screen = await assessing.assess(ctx, uow, person, "intake", None)
        assert screen is not None and screen.level == "low"

        async def event_sets_off_an_assessment() -> uuid.UUID:
            async with UnitOfWork(engine, "outbox_risk_store", service="risk") as uow:
                await RiskStore(uow).learn(person, {"admonitions": 1}, "澄江街道")
                done = await assessing.assess(ctx, uow, person, "sanction:admonition", None)
                assert done is not None
                return done.assessment_id

        async with UnitOfWork(engine, "outbox_risk_store", service="risk") as uow:
            await commands.override(ctx, uow, officer, person, screen.assessment_id, "high", "家属反映其情绪不稳定")
            racing = asyncio.create_task(event_sets_off_an_assessment())

            async def waiting_on_a_lock() -> bool:
                async with engine.connect() as conn:
                    query = "select count(*) from pg_stat_activity where datname = :db and wait_event_type = 'Lock'"
                    return bool(await conn.scalar(sa.text(query), {"db": name}))

            await eventually(waiting_on_a_lock, timeout_s=20, interval_s=0.05)
            assert not racing.done()
        later = await racing
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(assessments).where(assessments.c.assessment_id == later))).one()
        assert (row.override_level, row.override_carried_from, row.overridden_by) == (
            "high",
            screen.assessment_id,
            "officer-demo",
        )
    finally:
        await engine.dispose()
        await drop_database(stack.database_url, name)
