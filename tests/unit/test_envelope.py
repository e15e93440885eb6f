import uuid
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from shared.envelope import (
    EnvelopeError,
    IncomingEvent,
    OutgoingEvent,
    decode,
    encode,
    encode_many,
    event_headers,
    new_event,
)
from shared.events import EVENT_TYPES, InvalidEventData, LocationFix, UnknownEventType, envelope_json_schema, parse_data
from shared.text import json_nul_path, nul_path

PID = uuid.uuid4()


def fix(**over):
    base = dict(
        person_id=PID,
        device_id="EM-1",
        lat=31.9,
        lon=120.3,
        accuracy_m=10,
        recorded_at=datetime(2026, 12, 2, 8, tzinfo=UTC),
    )
    return LocationFix(**{**base, **over})


def test_round_trip_keeps_every_attribute():
    ev = new_event("sps.ingest.location", "/sps/exchange", fix(), subject=str(PID))
    back = decode(encode(ev))
    assert back.id == ev.id and back.type == ev.type and back.subject == str(PID)
    assert back.specversion == "1.0" and back.datacontenttype == "application/json"
    assert back.correlationid == str(ev.id)  # a chain starts at its first event
    assert parse_data(back) == fix()


def test_cause_carries_correlation_and_causation():
    first = new_event("sps.ingest.location", "/sps/exchange", fix(), subject=str(PID))
    second = new_event("sps.ingest.location", "/sps/supervision", fix(), subject=str(PID), cause=decode(encode(first)))
    assert second.correlationid == str(first.id) and second.causationid == str(first.id)
    third = new_event("sps.ingest.location", "/sps/alerting", fix(), cause=decode(encode(second)))
    assert third.correlationid == str(first.id) and third.causationid == str(second.id)


def test_producing_is_strict_consuming_is_tolerant():
    ev = new_event("sps.ingest.location", "/sps/exchange", fix())
    with pytest.raises(ValidationError):
        OutgoingEvent(**ev.model_dump(), unknownattr="x")
    raw = orjson.loads(encode(ev))
    raw["newextension"] = "ok"
    raw["data"]["new_field"] = 1
    incoming = decode(orjson.dumps(raw))
    assert isinstance(incoming, IncomingEvent)
    assert parse_data(incoming) == fix()  # unknown data fields are ignored, not refused


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "1.0"}', "not a CloudEvent"),
        (None, "no value"),
        (
            b'{"specversion": "1.0", "data": {"fixes": [{"device_id": "EM\\u0000"}]}}',
            r"data.fixes\[0\].device_id: .*NUL",
        ),
    ],
)
def test_decode_errors_say_why(raw, reason):
    with pytest.raises(EnvelopeError, match=reason):
        decode(raw)


def test_data_errors_say_which_field():
    ev = new_event("sps.ingest.location", "/sps/exchange", {"person_id": str(PID), "lat": 200})
    with pytest.raises(InvalidEventData, match="lat"):
        parse_data(decode(encode(ev)))
    odd = new_event("sps.nothing.here", "/sps/exchange", {})
    with pytest.raises(UnknownEventType):
        parse_data(decode(encode(odd)))


def test_every_event_type_exports_a_json_schema():
    for name in EVENT_TYPES:
        schema = envelope_json_schema(name)
        assert schema["properties"]["type"] == {"const": name}
        assert schema["properties"]["data"]["type"] == "object"


def test_a_fix_time_is_the_same_instant_on_utc_and_one_with_no_utcdatetime_is_invalid():
    import uuid
    from datetime import UTC, datetime, timedelta, timezone

    import pytest
    from pydantic import ValidationError

    from shared.events import LocationFix

    def fix(at: str) -> LocationFix:
        return LocationFix(person_id=uuid.uuid4(), device_id="EM-1", lat=31.9, lon=120.3, accuracy_m=10, recorded_at=at)

    got = fix("2026-11-27T08:00:00+08:00").recorded_at
    assert got == datetime(2026, 11, 27, tzinfo=UTC) and got.tzinfo is UTC
    assert fix("2026-11-27T08:00:00-18:59").recorded_at == datetime(
        2026, 11, 27, 8, tzinfo=timezone(-timedelta(hours=18, minutes=59))
    )
    for edge in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"):
        with pytest.raises(ValidationError, match="out of range in UTC"):
            fix(edge)


def test_nul_is_found_wherever_it_hides_and_only_looked_for_when_escaped():
    assert nul_path({"a": [{"b": "ok"}, {"c": "x\x00"}]}) == "a[1].c"
    assert nul_path({"k\x00": 1}) == "k\\u0000"
    assert nul_path("\x00") == "(body)"
    assert nul_path({"a": ["fine", 1, None, {"b": "\\u0000 as text"}]}) is None
    assert json_nul_path(b'{"a": "b"}', {"a": "\x00"}) is None  # no escape in the bytes: no walk


def test_encode_many_gives_the_events_new_event_and_encode_give():
    """The gateway's hot path (shared/envelope.encode_many) builds no model per event: its records
    must be the same CloudEvents, headers included."""
    at = datetime(2026, 11, 28, 3, 0, 0, 120000, tzinfo=UTC)
    data = {"person_id": str(uuid.uuid4()), "device_id": "EM-1", "lat": 31.9, "lon": 120.3, "accuracy_m": 10.0}
    data["recorded_at"] = "2026-11-28T02:59:59Z"
    eid = uuid.uuid4()
    (key, value, headers), *_ = encode_many(
        "sps.ingest.location", "/sps/exchange", [(eid, data["person_id"], data)], at
    )
    expected = new_event("sps.ingest.location", "/sps/exchange", data, subject=data["person_id"], time=at, id=eid)
    assert key == data["person_id"]
    assert orjson.loads(value) == orjson.loads(encode(expected))
    assert headers == event_headers(expected)
    assert decode(value).id == eid
