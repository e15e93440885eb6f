"""Risk's persistence for its handlers: what is known of each person (the profile), the
assessments, and the person's reassessment deadline. Handlers see only this class, so a test
can give them a fake (tests/fakes/risk_store.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.risk.adapters.tables import assessments, profiles
from shared.db.uow import UnitOfWork
from shared.timers import cancel_prefix, move, schedule


def _learn(*, opens: bool) -> Any:
    stmt = insert(profiles)
    return stmt.on_conflict_do_update(
        index_elements=["person_id"],
        set_={
            "facts": profiles.c.facts.concat(stmt.excluded.facts),
            "jurisdiction": sa.func.coalesce(stmt.excluded.jurisdiction, profiles.c.jurisdiction),
            "updated_at": sa.func.now(),
            "closed_at": None if opens else profiles.c.closed_at,
        },
    )


# Built once and executed with each call's values (shared/timers.py says why).
_LEARN, _LEARN_OPENING = _learn(opens=False), _learn(opens=True)
_ADD_ASSESSMENT = sa.insert(assessments)
_PROFILE = sa.select(profiles.c.facts, profiles.c.jurisdiction).where(profiles.c.person_id == sa.bindparam("person_id"))
_LATEST_FOR_UPDATE = (
    sa.select(assessments)
    .where(
        assessments.c.person_id == sa.bindparam("person_id"),
        assessments.c.instrument_version == sa.bindparam("version"),
    )
    .order_by(assessments.c.created_at.desc())
    .limit(1)
    .with_for_update()
)


class RiskStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    # --- profiles ------------------------------------------------------------------------------------

    async def learn(
        self, person_id: uuid.UUID, facts: dict[str, Any], jurisdiction: str | None, *, opens: bool = False
    ) -> None:
        """Merge new facts into the person's profile; a known office stays unless a new one is given.
        `opens`: the facts come with a new case (an order, a notice, an arrival), so a closed profile
        is followed again."""
        values = {"person_id": person_id, "facts": facts, "jurisdiction": jurisdiction}
        await self.conn.execute(_LEARN_OPENING if opens else _LEARN, values)

    async def case_opened(self, person_id: uuid.UUID, case_id: uuid.UUID) -> None:
        """One more open case for the person (followed again if their profile had closed)."""
        stmt = insert(profiles).values(person_id=person_id, facts={}, open_cases=[case_id])
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["person_id"],
                set_={
                    "open_cases": sa.func.array_append(sa.func.array_remove(profiles.c.open_cases, case_id), case_id),
                    "closed_at": None,
                },
            )
        )

    async def case_closed(self, person_id: uuid.UUID, case_id: uuid.UUID) -> bool:
        """A case of the person closed; when it was their last, they leave the monthly cycle and
        lose the reassessment deadline. True when the profile closed."""
        left = await self.conn.scalar(
            sa.update(profiles)
            .where(profiles.c.person_id == person_id)
            .values(open_cases=sa.func.array_remove(profiles.c.open_cases, case_id))
            .returning(sa.func.cardinality(profiles.c.open_cases))
        )
        if left:
            return False
        await self.close(person_id)
        return True

    async def close(self, person_id: uuid.UUID) -> None:
        """Out of the monthly cycle, and no reassessment deadline."""
        await self.conn.execute(
            sa.update(profiles).where(profiles.c.person_id == person_id).values(closed_at=sa.func.now())
        )
        await cancel_prefix(self.uow, f"reassess:{person_id}")

    async def profile(self, person_id: uuid.UUID) -> tuple[dict[str, Any], str | None] | None:
        """The person's facts and office, or None when nothing is known of them."""
        row = (await self.conn.execute(_PROFILE, {"person_id": person_id})).first()
        return None if row is None else (row.facts, row.jurisdiction)

    async def persons(self) -> list[uuid.UUID]:
        """Everyone the monthly cycle assesses: each known person whose case has not closed."""
        query = sa.select(profiles.c.person_id).where(profiles.c.closed_at.is_(None))
        return list((await self.conn.execute(query)).scalars())

    # --- assessments ---------------------------------------------------------------------------------

    async def add_assessment(self, **values: Any) -> None:
        await self.conn.execute(_ADD_ASSESSMENT, values)

    async def latest_for_update(self, person_id: uuid.UUID, version: str) -> Any:
        """The person's newest assessment under `version`, whole and locked: an override being
        recorded on it and a new assessment that may carry it take turns (docs/domain.md,
        "Risk overrides")."""
        params = {"person_id": person_id, "version": version}
        return (await self.conn.execute(_LATEST_FOR_UPDATE, params)).mappings().first()

    async def later_for_update(self, assessment_id: uuid.UUID) -> list[Any]:
        """The same person's assessments under the same version made after this one, oldest first, locked."""
        this = assessments.alias("this")
        query = (
            sa.select(assessments)
            .join(this, this.c.assessment_id == assessment_id)
            .where(
                assessments.c.person_id == this.c.person_id,
                assessments.c.instrument_version == this.c.instrument_version,
                assessments.c.created_at > this.c.created_at,
            )
            .order_by(assessments.c.created_at)
            .with_for_update(of=assessments)
        )
        return list((await self.conn.execute(query)).mappings())

    async def assessment_for_update(self, assessment_id: uuid.UUID) -> Any:
        query = sa.select(assessments).where(assessments.c.assessment_id == assessment_id).with_for_update()
        return (await self.conn.execute(query)).mappings().first()

    async def set_override(
        self,
        assessment_id: uuid.UUID,
        level: str,
        reason: str,
        by: str,
        *,
        at: datetime | None = None,
        carried_from: uuid.UUID | None = None,
    ) -> None:
        """An override made on this assessment (`carried_from` None), or carried to it from the
        assessment it was made on, with that one's time."""
        await self.conn.execute(
            sa.update(assessments)
            .where(assessments.c.assessment_id == assessment_id)
            .values(
                override_level=level,
                override_reason=reason,
                overridden_by=by,
                overridden_at=at or sa.func.now(),
                override_carried_from=carried_from,
            )
        )

    # --- deadlines -----------------------------------------------------------------------------------

    async def set_reassessment(self, person_id: uuid.UUID, due: datetime, payload: dict[str, Any]) -> None:
        """The person's one reassessment deadline, moved to `due` (armed again if it had fired)."""
        await move(self.uow, f"reassess:{person_id}", "risk.reassess", due, payload)

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        await schedule(self.uow, key, kind, due, payload)
