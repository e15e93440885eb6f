"""Re-scoring under a new instrument version: new results beside the old, never overwriting them."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa

from services.risk import handlers
from services.risk.adapters.tables import assessments
from services.risk.main import RiskSettings, create_app
from shared.envelope import decode, encode, new_event
from shared.events import CourtOrderIngested, MaskedPerson
from shared.paths import POLICY_DIR
from tests.internal_calls import AsCommandCentre


async def test_rescoring_keeps_old_results_and_adds_new_ones_side_by_side(stack, tmp_path: Path):
    policy = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, policy)
    v1 = (policy / "risk" / "instrument-2026.1.yaml").read_text(encoding="utf-8")
    (policy / "risk" / "instrument-2027.1.yaml").write_text(
        v1.replace('version: "2026.1"', 'version: "2027.1"').replace("  medium: 10\n", "  medium: 4\n"),
        encoding="utf-8",
    )
    # A second risk instance: it starts at the topics' end and is given its person directly, so the
    # shared topics' history (thousands of records by now) does not flood it.
    settings = RiskSettings(
        service_name="risk_rescore",
        demo_mode=True,
        kafka_bootstrap_servers=stack.bootstrap,
        database_url=stack.database_url,
        policy_dir=policy,
        consumer_offset_reset="latest",
    )
    app = create_app(settings)
    person = uuid.uuid4()
    order = CourtOrderIngested(
        order_no=f"R-{uuid.uuid4().hex[:8]}",
        court="江阴市人民法院",
        person_id=person,
        person=MaskedPerson(
            name_masked="钱*", id_number_masked="3202**********1234", sex="F", residence_town="青阳镇", age_band="35-49"
        ),
        sentence_kind="probation",
        offence="盗窃罪",
        offence_category="property",
        term_start=date(2026, 12, 1),
        term_end=date(2027, 12, 1),
    )
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.parts.runtime.started.wait(), timeout=60)
        incoming = decode(encode(new_event("sps.ingest.court-order", "/sps/exchange", order, subject=str(person))))
        async with app.state.parts.runtime.uow() as uow:
            await handlers.on_court_order(app.state.parts.ctx, incoming, order, uow)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://risk",
            auth=AsCommandCentre(app.state.parts.runtime.name),
        ) as client:
            for _ in range(100):
                r = await client.get(f"/internal/v1/persons/{person}/risk")
                if r.status_code == 200:
                    break
                await asyncio.sleep(0.2)
            before = r.json()["history_by_version"]["2026.1"]
            assert before[0]["level"] == "low"
            r = await client.post("/internal/v1/rescore", params={"version": "2027.1"})
            assert r.status_code == 200 and r.json()["rescored"] >= 1
            assert (await client.post("/internal/v1/rescore", params={"version": "1999.9"})).status_code == 422
            after = (await client.get(f"/internal/v1/persons/{person}/risk")).json()
            # The monthly cycle: make this month's timer due now; everyone is assessed once more.
            from shared.timers import timers

            async with app.state.parts.runtime.engine.begin() as conn:
                months = (
                    (
                        await conn.execute(
                            sa.update(timers)
                            .where(timers.c.kind == "risk.monthly", timers.c.fired_at.is_(None))
                            .values(due_at=sa.func.now())
                            .returning(timers.c.key)
                        )
                    )
                    .scalars()
                    .all()
                )
            assert len(months) == 1
            for _ in range(100):
                history = (await client.get(f"/internal/v1/persons/{person}/risk")).json()["history_by_version"]
                if any(a["trigger"].startswith("monthly:") for a in history["2026.1"]):
                    break
                await asyncio.sleep(0.2)
            assert any(a["trigger"].startswith("monthly:") for a in history["2026.1"])
        async with app.state.parts.runtime.engine.connect() as conn:
            versions = (
                (
                    await conn.execute(
                        sa.select(assessments.c.instrument_version)
                        .where(assessments.c.person_id == person)
                        .order_by(assessments.c.created_at)
                    )
                )
                .scalars()
                .all()
            )
    assert versions[:2] == ["2026.1", "2027.1"] and versions[2:] == ["2026.1"]  # + the monthly one
    assert after["history_by_version"]["2026.1"] == before  # untouched
    new = after["history_by_version"]["2027.1"][0]
    assert new["total"] == before[0]["total"] and new["level"] == "medium"  # same points, the new cut-off
    assert after["latest"]["instrument_version"] == "2026.1"  # the service's current version is still 2026.1
