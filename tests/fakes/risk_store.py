"""An in-memory stand-in for `services.risk.adapters.store.RiskStore`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


class FakeRiskStore:
    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.profiles: dict[uuid.UUID, tuple[dict[str, Any], str | None]] = {}
        self.assessments: list[dict[str, Any]] = []
        self.timers: dict[str, tuple[str, datetime, dict[str, Any]]] = {}
        self.closed: set[uuid.UUID] = set()
        self.open_cases: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def learn(
        self, person_id: uuid.UUID, facts: dict[str, Any], jurisdiction: str | None, *, opens: bool = False
    ) -> None:
        known, office = self.profiles.get(person_id, ({}, None))
        self.profiles[person_id] = ({**known, **facts}, jurisdiction or office)
        if opens:
            self.closed.discard(person_id)

    async def case_opened(self, person_id: uuid.UUID, case_id: uuid.UUID) -> None:
        self.open_cases.setdefault(person_id, set()).add(case_id)
        self.closed.discard(person_id)

    async def case_closed(self, person_id: uuid.UUID, case_id: uuid.UUID) -> bool:
        self.open_cases.setdefault(person_id, set()).discard(case_id)
        if self.open_cases[person_id]:
            return False
        await self.close(person_id)
        return True

    async def close(self, person_id: uuid.UUID) -> None:
        self.closed.add(person_id)
        self.timers.pop(f"reassess:{person_id}", None)

    async def profile(self, person_id: uuid.UUID) -> tuple[dict[str, Any], str | None] | None:
        return self.profiles.get(person_id)

    async def persons(self) -> list[uuid.UUID]:
        return [p for p in self.profiles if p not in self.closed]

    async def add_assessment(self, **values: Any) -> None:
        blank = dict.fromkeys(("override_level", "override_reason", "overridden_by", "overridden_at"))
        self.assessments.append({**blank, "override_carried_from": None, **values})

    async def latest_for_update(self, person_id: uuid.UUID, version: str) -> dict[str, Any] | None:
        mine = [a for a in self.assessments if a["person_id"] == person_id and a["instrument_version"] == version]
        return mine[-1] if mine else None

    async def later_for_update(self, assessment_id: uuid.UUID) -> list[dict[str, Any]]:
        at = next(i for i, a in enumerate(self.assessments) if a["assessment_id"] == assessment_id)
        this = self.assessments[at]
        return [
            a
            for a in self.assessments[at + 1 :]
            if a["person_id"] == this["person_id"] and a["instrument_version"] == this["instrument_version"]
        ]

    async def assessment_for_update(self, assessment_id: uuid.UUID) -> dict[str, Any] | None:
        return next((a for a in self.assessments if a["assessment_id"] == assessment_id), None)

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
        row = next(a for a in self.assessments if a["assessment_id"] == assessment_id)
        row.update(
            override_level=level,
            override_reason=reason,
            overridden_by=by,
            overridden_at=at,
            override_carried_from=carried_from,
        )

    async def set_reassessment(self, person_id: uuid.UUID, due: datetime, payload: dict[str, Any]) -> None:
        self.timers[f"reassess:{person_id}"] = ("risk.reassess", due, payload)

    async def schedule(self, key: str, kind: str, due: datetime, payload: dict[str, Any]) -> None:
        self.timers.setdefault(key, (kind, due, payload))
