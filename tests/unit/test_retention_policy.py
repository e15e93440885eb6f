"""Topic retention is policy (policy/retention.yaml): read, checked, and turned into topic configs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from shared.kafka.retention import RetentionPolicy, load_retention
from shared.paths import POLICY_DIR
from shared.policy import PolicyError
from shared.topics import LOCATIONS, all_topics_with_dlq, dlq

WEEK_MS = str(7 * 24 * 3600 * 1000)


def test_the_repositorys_policy_gives_every_topic_a_retention():
    policy = load_retention(POLICY_DIR)
    configs = policy.topic_configs()
    assert set(configs) == set(all_topics_with_dlq())
    # the broker stamps arrival on the topics vendors write themselves (L7, docs/security.md)
    assert configs[LOCATIONS] == {"retention.ms": WEEK_MS, "message.timestamp.type": "LogAppendTime"}
    assert configs[dlq(LOCATIONS)] == {"retention.ms": str(policy.ms(dlq(LOCATIONS)))}


def test_a_topic_named_on_its_own_keeps_its_own_and_the_rest_the_default():
    policy = RetentionPolicy(default=timedelta(days=7), topics={LOCATIONS: timedelta(days=2)})
    assert policy.ms(LOCATIONS) == 2 * 24 * 3600 * 1000
    assert policy.of("alerts.v1") == timedelta(days=7)


def test_a_misspelt_topic_or_an_empty_retention_is_refused_with_its_name(tmp_path):
    (tmp_path / "retention.yaml").write_text(
        yaml.safe_dump({"default": "P7D", "topics": {"ingest.location.v1": "P1D"}})
    )
    with pytest.raises(PolicyError, match="no such topic: ingest.location.v1"):
        load_retention(tmp_path)
    (tmp_path / "retention.yaml").write_text(yaml.safe_dump({"default": "P7D", "topics": {LOCATIONS: "PT0S"}}))
    with pytest.raises(PolicyError, match=f"longer than nothing: {LOCATIONS}"):
        load_retention(tmp_path)
