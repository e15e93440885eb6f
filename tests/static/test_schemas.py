"""The committed schemas are the registry's; regenerate with `make schemas`."""

import json

import yaml

from shared.asyncapi import SCHEMAS, render
from shared.events import EVENT_TYPES
from shared.topics import ALL_TOPICS


def test_committed_schemas_match_the_registry():
    stale = [
        str(p.relative_to(SCHEMAS))
        for p, text in render().items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `make schemas`: stale {stale}"


def test_asyncapi_names_every_topic_and_event_type():
    doc = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert set(ALL_TOPICS) <= addresses and {f"{t}.dlq" for t in ALL_TOPICS} <= addresses
    assert set(doc["components"]["messages"]) == set(EVENT_TYPES)


def test_alert_schema_requires_the_contract_fields():
    schema = json.loads((SCHEMAS / "events" / "sps.alert.raised.json").read_text(encoding="utf-8"))
    required = set(schema["properties"]["data"]["required"])
    assert {
        "alert_id",
        "person_id",
        "colour",
        "rule_id",
        "title_zh",
        "title_en",
        "raised_at",
        "ack_due_at",
        "dispose_due_at",
        "status",
        "jurisdiction",
        "evidence",
    } <= required
