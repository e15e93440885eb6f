"""Risk's store on the real PostgreSQL: a person's open cases, so that a profile leaves the
monthly cycle only when the last of them closes (tests/unit/test_risk_handlers.py has the rule
on the fake; this holds the SQL to it)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from services.risk.adapters.store import RiskStore
from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.migrate import upgrade_to_head
from shared.db.uow import UnitOfWork
from shared.paths import REPO_ROOT


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
