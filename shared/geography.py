"""The geography policy: the county polygon and the 17 justice offices (configuration).

No boundary data ships with the platform: `policy/geography.yaml` holds a simplified county
polygon, replaceable by the bureau's real boundary.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from shared.policy import load_policy


class County(BaseModel):
    name_zh: str
    name_en: str
    centre: tuple[float, float]
    polygon: list[tuple[float, float]] = Field(min_length=4)


class Geography(BaseModel):
    county: County
    offices: dict[str, tuple[float, float]] = Field(min_length=1)

    def is_office(self, town: str) -> bool:
        return town in self.offices


def load_geography(policy_dir: Path) -> Geography:
    return load_policy(policy_dir / "geography.yaml", Geography)
