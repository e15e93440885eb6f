"""Writes the published schemas from the event registry: `python -m shared.asyncapi` (make schemas).

- `schemas/events/<type>.json`: each event type's CloudEvent, envelope and data;
- `schemas/topics/<topic>.json`: what a topic may carry (oneOf its event types);
- `schemas/asyncapi.yaml`: the AsyncAPI 3.0 document of the platform's topics.
A test regenerates them in memory and fails if the committed files differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from shared import topics
from shared.envelope import CONTENT_TYPE
from shared.events import EVENT_TYPES, envelope_json_schema
from shared.paths import REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas"
TOPIC_NOTES = {
    topics.COURT_ORDERS: "Community-correction orders from courts, via the gateway.",
    topics.RELEASE_NOTICES: "Pre-release notices from prisons, via the gateway.",
    topics.REHAB_NOTICES: "Notices of release from compulsory drug rehabilitation, via the gateway.",
    topics.LOCATIONS: "Location fixes, one per event; a device vendor may produce here directly.",
    topics.CHECKINS: "Check-ins, one per event; a device vendor may produce here directly.",
    topics.POLICE_ACKS: "The police's acknowledgements of key-person handovers, via the gateway.",
    topics.AGENCY_REPLIES: "Agencies' answers with no topic of their own (civil affairs' outcomes), via the gateway.",
    topics.APP_REPORTS: "The supervised person's app (在矫通): study and service hours, help requests.",
    topics.ALERTS: "The public alert stream. De-duplicate by data.alert_id; replay from any offset.",
    topics.EXCHANGE_OUTBOUND: "Receipts to prisons and key-person handovers to police.",
    topics.SUPERVISION_EVENTS: "Internal: supervision's domain events.",
    topics.HANDOVER_EVENTS: "Internal: handover's domain events.",
    topics.RISK_EVENTS: "Internal: risk's domain events.",
    topics.SECURITY_EVENTS: "Internal: bursts of failed sign-ins at the public doors, for the duty desk.",
    topics.NOTIFICATIONS_DEAD: "Alert notifications given up after every retry, with the error.",
    topics.AUDIT: "Internal: who read or changed a person's data; the gateway hash-chains it.",
}


def _dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render() -> dict[Path, str]:
    files: dict[Path, str] = {}
    by_topic: dict[str, list[str]] = {t: [] for t in (*topics.ALL_TOPICS, topics.NOTIFICATIONS_DEAD)}
    for name, et in sorted(EVENT_TYPES.items()):
        files[SCHEMAS / "events" / f"{name}.json"] = _dump_json(envelope_json_schema(name))
        by_topic[et.topic].append(name)
    for topic, names in by_topic.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": topic,
            "description": TOPIC_NOTES[topic],
            "oneOf": [{"$ref": f"../events/{n}.json"} for n in names],
        }
        files[SCHEMAS / "topics" / f"{topic}.json"] = _dump_json(schema)
    files[SCHEMAS / "asyncapi.yaml"] = yaml.safe_dump(_asyncapi(by_topic), allow_unicode=True, sort_keys=False)
    return files


def _asyncapi(by_topic: dict[str, list[str]]) -> dict[str, Any]:
    channels, operations, messages = {}, {}, {}
    for topic, names in by_topic.items():
        key = topic.replace(".", "_")
        channels[key] = {
            "address": topic,
            "description": TOPIC_NOTES[topic],
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {"kafka": {"partitions": 6, "bindingVersion": "0.5.0"}},
        }
        if names:
            operations[f"on_{key}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"Consume {topic}",
                "messages": [{"$ref": f"#/channels/{key}/messages/{n}"} for n in names],
            }
        channels[f"{key}_dlq"] = {
            "address": topics.dlq(topic),
            "description": f"Dead letters of {topic}: the original record, with the reason in header `sps-error`.",
        }
    for name, et in sorted(EVENT_TYPES.items()):
        messages[name] = {
            "name": name,
            "title": name,
            "summary": et.summary,
            "contentType": CONTENT_TYPE,
            "payload": {"$ref": f"./events/{name}.json"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": "the person's platform id (UUID)"},
                    "bindingVersion": "0.5.0",
                }
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SPS — special-population supervision platform",
            "version": "1",
            "description": "Kafka topics of the platform (contract §2–3). Every value is a CloudEvents 1.0 "
            "event in structured JSON mode; the record key is the person id.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "`make run` / `make up`"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def write() -> list[Path]:
    changed = []
    for path, text in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for p in write():
        print(f"wrote {p.relative_to(REPO_ROOT)}")
