"""What risk publishes on risk.events.v1: assessments and their signals."""

from __future__ import annotations

import uuid
from typing import Literal

from shared.events.base import EventData, Signal

RiskRating = Literal["low", "medium", "high"]


class RiskHigh(Signal):
    level: str
    score: float | None = None


class ReassessmentOverdue(Signal):
    level: str
    assessment_id: uuid.UUID


class RiskItem(EventData):
    item: str
    value: str | int
    points: float


class RiskAssessed(EventData):
    """A risk assessment (危险性评估): every item's value and points, the total and the level."""

    assessment_id: uuid.UUID
    person_id: uuid.UUID
    instrument_version: str
    trigger: str
    items: list[RiskItem]
    total: float
    level_by_points: Literal["low", "medium", "high"]
    level: Literal["low", "medium", "high"]  # after override rules and any professional override
    override_level: Literal["low", "medium", "high"] | None = None
    override_reason: str | None = None
    explanation_zh: list[str] = []
    explanation_en: list[str] = []
    jurisdiction: str | None = None
