"""Generating load: court orders to seed persons, location fixes, all as the gateway would
publish them (the same envelope, headers and keys), pre-encoded so the generator costs little."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import orjson

from shared.ids import court_order_ref

OFFICES = [
    "澄江街道",
    "南闸街道",
    "云亭街道",
    "城东街道",
    "申港街道",
    "夏港街道",
    "利港街道",
    "璜土镇",
    "月城镇",
    "青阳镇",
    "徐霞客镇",
    "华士镇",
    "周庄镇",
    "新桥镇",
    "长泾镇",
    "顾山镇",
    "祝塘镇",
]
INSIDE = (120.28, 31.88)  # near the county centre, well inside the polygon
SHANGHAI = (121.47, 31.23)  # well outside
BENCH_PREFIX = "BENCH-"
BENCH_COURT = "江阴市人民法院"
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


def person_id(i: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sps-bench-person-{i}")


def bench_ref_like() -> str:
    return court_order_ref(BENCH_COURT, BENCH_PREFIX) + "%"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def envelope(event_type: str, subject: str, data: dict, at: str | None = None) -> Record:
    event_id = str(uuid.uuid4())
    value = orjson.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "/sps/exchange",
            "type": event_type,
            "time": at or _now(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
            "correlationid": event_id,
        }
    )
    headers = [("content-type", b"application/cloudevents+json"), ("sps-type", event_type.encode())]
    return subject.encode(), value, headers


def court_order(i: int) -> Record:
    pid = str(person_id(i))
    today = date.today()
    data = {
        "order_no": f"{BENCH_PREFIX}{i:07d}",
        "court": BENCH_COURT,
        "person_id": pid,
        "person": {
            "name_masked": "测*",
            "id_number_masked": "3202**********0000",
            "sex": "M",
            "residence_town": OFFICES[i % len(OFFICES)],
            "age_band": "35-49",
        },
        "sentence_kind": "probation",
        "offence": "基准测试",
        "offence_category": "property",
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365)).isoformat(),
        "judgment_effective": today.isoformat(),
        "electronic_monitoring": True,
    }
    return envelope("sps.ingest.court-order", pid, data)


def fix(i: int, lon: float, lat: float, at: datetime | None = None, accuracy: float = 10.0) -> Record:
    pid = str(person_id(i))
    stamp = (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    data = {
        "person_id": pid,
        "device_id": f"EM-B{i:07d}",
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy,
        "recorded_at": stamp,
        "strap_intact": True,
    }
    return envelope("sps.ingest.location", pid, data, stamp)


def inside_fixes(persons: range, count: int, seed: int = 1) -> Iterator[Record]:
    """`count` fixes inside the county, round-robin over `persons`, jittered around the centre."""
    rng = random.Random(seed)
    n = len(persons)
    for k in range(count):
        yield fix(persons[k % n], INSIDE[0] + rng.uniform(-0.05, 0.05), INSIDE[1] + rng.uniform(-0.05, 0.05))


def gateway_fix(i: int) -> dict:
    return {
        "person_id": str(person_id(i)),
        "device_id": f"EM-B{i:07d}",
        "lat": INSIDE[1],
        "lon": INSIDE[0],
        "accuracy_m": 10,
        "recorded_at": _now(),
    }


class GatewayBodies:
    """`POST /v1/locations` bodies of `gateway_fix`es, as bytes: each person's fields are encoded
    once, and a request's time once, so the bench's clients (on the same two cores) cost the
    gateway as little as a fleet of devices elsewhere would."""

    def __init__(self, persons: int) -> None:
        stamp = "1970-01-01T00:00:00Z"
        self._parts = [
            orjson.dumps({**gateway_fix(i), "recorded_at": stamp}).split(stamp.encode()) for i in range(persons)
        ]

    def body(self, first: int, batch: int) -> bytes:
        now, n = _now().encode(), len(self._parts)
        fixes = b",".join(now.join(self._parts[(first + j) % n]) for j in range(batch))
        return b'{"fixes":[' + fixes + b"]}"
