"""The risk instrument as data (policy/risk/instrument-<version>.yaml) and its scoring.

Scoring is a sum of published points; the level comes from published cut-offs and override
rules. Every item's value and points are kept, so any result can be explained and re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.policy import load_policy

Level = Literal["low", "medium", "high"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelOption(_Strict):
    points: float = Field(ge=0)
    zh: str
    en: str


class CountRule(_Strict):
    per: float = Field(ge=0)
    cap: float = Field(ge=0)


class Item(_Strict):
    zh: str
    en: str
    levels: dict[str, LevelOption] | None = None  # least to most risk
    count: CountRule | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Item:
        if (self.levels is None) == (self.count is None):
            raise ValueError("an item has either levels or a count rule")
        if self.levels is not None:
            points = [o.points for o in self.levels.values()]
            if any(b < a for a, b in zip(points, points[1:])):
                raise ValueError("levels must be listed from least to most risk, points never decreasing")
        return self


class Override(_Strict):
    item: str
    values: list[str]
    level: Level
    zh: str
    en: str


class CutOffs(_Strict):
    medium: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> CutOffs:
        if not 0 < self.medium < self.high:
            raise ValueError("cut-offs must satisfy 0 < medium < high")
        return self


class OverrideCarry(_Strict):
    """How long a professional override (人工调整) stands. It carries to the person's later
    assessments, so an assessment an event sets off a moment after the officer decided does not
    silently undo the decision; it lapses at the first assessment that computes a level above it
    (an override never hides a rise) and, with `lapses_at_monthly_cycle`, at the monthly cycle
    (一月一认定: each month is determined afresh). See docs/domain.md, "Risk overrides"."""

    carries: bool = True
    lapses_at_monthly_cycle: bool = True


class Instrument(_Strict):
    version: str
    title_zh: str
    title_en: str
    items: dict[str, Item] = Field(min_length=1)
    cut_offs: CutOffs
    overrides: list[Override] = []
    reassessment: dict[Level, timedelta]
    # The monthly cycle (the county's 1st) reassesses everyone; a deadline is never earlier than
    # the next cycle plus this, so a 31-day month makes nobody's reassessment overdue.
    monthly_cycle_grace: timedelta = timedelta(hours=12)
    override_carry: OverrideCarry = OverrideCarry()

    @field_validator("reassessment")
    @classmethod
    def _every_level(cls, value: dict[Level, timedelta]) -> dict[Level, timedelta]:
        if set(value) != set(LEVELS):
            raise ValueError("reassessment needs an interval for low, medium and high")
        return value

    @model_validator(mode="after")
    def _overrides_name_items(self) -> Instrument:
        for o in self.overrides:
            item = self.items.get(o.item)
            if item is None or item.levels is None or not set(o.values) <= set(item.levels):
                raise ValueError(f"override on {o.item!r} names an unknown item or value")
        return self

    def carries_override(self, override_level: str, computed_level: str, *, monthly: bool) -> bool:
        """Whether an earlier override stands over a new assessment that computed `computed_level`."""
        rule = self.override_carry
        if not rule.carries or (monthly and rule.lapses_at_monthly_cycle):
            return False
        return LEVELS.index(computed_level) <= LEVELS.index(override_level)

    def level_for(self, total: float) -> Level:
        if total >= self.cut_offs.high:
            return "high"
        return "medium" if total >= self.cut_offs.medium else "low"

    def labels(self, item: str, value: Any) -> tuple[str, str]:
        """How an item's value reads, in zh and en."""
        spec = self.items[item]
        if spec.levels is None:
            return f"{spec.zh}：{value}", f"{spec.en}: {value}"
        option = spec.levels[str(value)]
        return f"{spec.zh}：{option.zh}", f"{spec.en}: {option.en}"

    def explain(
        self, items: list[dict[str, Any]], overrides_applied: list[str] | tuple[str, ...], top: int = 3
    ) -> dict[str, list[str]]:
        """The items that raised the score most, then the override rules that applied, in zh and en."""
        zh, en = [], []
        for scored in rank(items, top):
            label_zh, label_en = self.labels(scored["item"], scored["value"])
            zh.append(f"{label_zh}（+{scored['points']:g}）")
            en.append(f"{label_en} (+{scored['points']:g})")
        zh += [o.zh for o in self.overrides if o.en in overrides_applied]
        en += list(overrides_applied)
        return {"zh": zh, "en": en}


def rank(items: list[dict[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """Scored items that added points, most first (ties by item name, so the order is stable)."""
    return sorted((i for i in items if i["points"] > 0), key=lambda i: (-i["points"], i["item"]))[:top]


@dataclass(frozen=True)
class ItemScore:
    item: str
    value: Any
    points: float
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Result:
    instrument_version: str
    items: tuple[ItemScore, ...]
    total: float
    level_by_points: Level
    level: Level
    overrides: tuple[str, ...]  # the override rules that applied (their English text)

    def explanation(self, top: int = 3) -> dict[str, list[dict[str, Any]]]:
        """The items that raised the score most, in zh and en."""
        by_item = {s.item: s for s in self.items}
        ranked = [by_item[i["item"]] for i in rank([{"item": s.item, "points": s.points} for s in self.items], top)]
        return {
            "zh": [{"item": s.item, "text": s.label_zh, "points": s.points} for s in ranked],
            "en": [{"item": s.item, "text": s.label_en, "points": s.points} for s in ranked],
        }


class UnknownValue(ValueError):
    pass


def score(instrument: Instrument, profile: Mapping[str, Any]) -> Result:
    """Score a profile: item → level name (or a count for count items). Missing level items count
    as their 'unknown' level if the item has one, else as their least-risk level."""
    scores = []
    for name, item in instrument.items.items():
        value = profile.get(name)
        if item.count is not None:
            n = max(0, int(value or 0))
            points = min(item.count.cap, item.count.per * n)
            scores.append(ItemScore(name, n, points, f"{item.zh}：{n}", f"{item.en}: {n}"))
            continue
        assert item.levels is not None
        if value is None:
            value = "unknown" if "unknown" in item.levels else next(iter(item.levels))
        option = item.levels.get(str(value))
        if option is None:
            raise UnknownValue(f"{name}: {value!r} is not one of {list(item.levels)}")
        scores.append(ItemScore(name, str(value), option.points, f"{item.zh}：{option.zh}", f"{item.en}: {option.en}"))
    total = sum(s.points for s in scores)
    by_points = instrument.level_for(total)
    level, applied = by_points, []
    for rule in instrument.overrides:
        if str(profile.get(rule.item)) in rule.values and LEVELS.index(rule.level) > LEVELS.index(level):
            level = rule.level
            applied.append(rule.en)
    return Result(instrument.version, tuple(scores), total, by_points, level, tuple(applied))


def load_instrument(policy_dir: Path, version: str) -> Instrument:
    return load_policy(policy_dir / "risk" / f"instrument-{version}.yaml", Instrument)


def age_band(age: int) -> str:
    if age < 25:
        return "<25"
    if age < 35:
        return "25-34"
    return "35-49" if age < 50 else "50+"
