"""How long Kafka keeps each topic's records (policy/retention.yaml), as topic configs.

The number is policy, not a literal in the broker's, the services' or the manifests' setup: all
three create topics from `topic_configs` (docs/operations.md, "How long the topics keep their
records").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from shared.policy import load_policy
from shared.topics import all_topics_with_dlq, broker_configs


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: timedelta
    topics: dict[str, timedelta] = {}

    @field_validator("default")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a retention must be longer than nothing")
        return value

    @field_validator("topics")
    @classmethod
    def _known_and_positive(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        known = set(all_topics_with_dlq())
        if unknown := sorted(set(value) - known):
            raise ValueError(f"no such topic: {', '.join(unknown)}")
        if short := sorted(t for t, d in value.items() if d <= timedelta(0)):
            raise ValueError(f"a retention must be longer than nothing: {', '.join(short)}")
        return value

    def of(self, topic: str) -> timedelta:
        """A topic's retention: its own when the policy names it, else the default."""
        return self.topics.get(topic, self.default)

    def ms(self, topic: str) -> int:
        return int(self.of(topic).total_seconds() * 1000)

    def topic_configs(self, topics: list[str] | None = None) -> dict[str, dict[str, str]]:
        """`retention.ms` for each topic (every topic of the platform when none are named), and its
        broker configs (shared/topics.py)."""
        return {t: {"retention.ms": str(self.ms(t)), **broker_configs(t)} for t in topics or all_topics_with_dlq()}


def load_retention(policy_dir: Path) -> RetentionPolicy:
    return load_policy(policy_dir / "retention.yaml", RetentionPolicy)
