"""The month's supervision counts on the real database (services/supervision/adapters/views.py,
`month_counts`), as docs/indicators.md defines them: a case revoked, transferred or ended leaves
社区矫正人数 the month after it closed, whatever its original term (D4); 电子定位率 counts the
court's order of electronic monitoring as well as the bureau's terms, and a three-month term
from 1 December is over in March (D5); 求助答复率 counts the requests of community-corrections
cases only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa

from services.supervision.adapters import views
from services.supervision.adapters.tables import cases, help_requests, positioning_orders
from shared.county import default_county
from shared.paths import POLICY_DIR
from tests.integration.test_supervision import supervision

OFFICE = f"测试司法所-{uuid.uuid4().hex[:6]}"  # this test's own office: other tests' cases stay out of it
MASKED = {"name_masked": "王*", "id_number_masked": "3202**********1234", "sex": "M", "residence_town": "澄江街道"}


def case(status: str, *, closed: datetime | None = None, court_device: bool = False) -> dict:
    case_id = uuid.uuid4()
    return {
        "case_id": case_id,
        "person_id": uuid.uuid4(),
        "kind": "community_correction",
        "status": status,
        "jurisdiction": OFFICE,
        "source_ref": f"court-order:江阴市人民法院:{case_id}",
        "sentence_kind": "probation",
        "term_start": date(2027, 1, 1),
        "term_end": date(2029, 12, 31),  # a long term: only closing ends its count
        "electronic_monitoring": court_device,
        "person_masked": MASKED,
        "opened_at": datetime(2027, 1, 1, 2, tzinfo=UTC),
        "closed_at": closed,
    }


async def test_closed_cases_leave_the_counts_and_the_courts_devices_are_positioning(stack):
    county = default_county()
    active = case("under_supervision")
    revoked = case("revoked", closed=datetime(2027, 2, 15, 2, tzinfo=UTC))  # closed in February
    ended_in_march = case("transferred", closed=datetime(2027, 3, 10, 2, tzinfo=UTC))
    court_device = case("under_supervision", court_device=True)
    term = {
        "positioning_id": uuid.uuid4(),
        "person_id": active["person_id"],
        "case_id": active["case_id"],
        "ground": "zone_breach",
        "approved_by": "head-demo",
        "device_id": "EM-T",
        "starts_on": date(2026, 12, 1),
        "ends_on": date(2027, 3, 1),  # three months: 1 December to the end of February
        "status": "active",
    }
    async with supervision(stack, POLICY_DIR, name="supervision_month_counts") as app:
        engine = app.state.parts.runtime.engine
        async with engine.begin() as conn:
            await conn.execute(sa.insert(cases), [active, revoked, ended_in_march, court_device])
            await conn.execute(sa.insert(positioning_orders), [term])
            released = {**case("under_supervision"), "kind": "resettlement", "sentence_kind": None}
            await conn.execute(sa.insert(cases), [released])
            asked = datetime(2027, 2, 3, 2, tzinfo=UTC)
            await conn.execute(
                sa.insert(help_requests),
                [
                    {
                        "request_id": uuid.uuid4(),
                        "person_id": c["person_id"],
                        "case_id": c["case_id"],
                        "office": OFFICE,
                        "kind": "employment",
                        "note": "求职",
                        "source": "office",
                        "requested_at": asked,
                        "answer_due": asked,
                        "outcome": outcome,
                    }
                    for c, outcome in ((active, "helped"), (court_device, None), (released, None))
                ],
            )

        async def month(m: str) -> views.MonthCounts:
            start, end = county.month_bounds(m)
            async with engine.connect() as conn:
                return await views.month_counts(conn, start, end, m)

        february, march = await month("2027-02"), await month("2027-03")
        assert february.corrections[OFFICE] == 4  # the revoked one was under supervision until the 15th
        assert march.corrections[OFFICE] == 3  # not the one revoked in February, whatever its term
        assert february.positioned[OFFICE] == 2  # the bureau's term and the court's device
        assert march.positioned[OFFICE] == 1  # the term ended with February; the court's device stays
        assert february.help[OFFICE] == (1, 2)  # the resettled person's request is not a corrections figure
