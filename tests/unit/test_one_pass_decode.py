"""One decode (shared/events.decode_typed; for fixes, shared/kafka/fast.decode_fix): a record's
envelope and data validated in one pass
from its bytes must accept exactly what the long way (decode, then parse_data) accepts, give the
same values, and leave every refusal's reason to the long way."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import load
from shared.envelope import EnvelopeError, decode
from shared.events import InvalidEventData, UnknownEventType, decode_typed, parse_data
from shared.kafka.fast import decode_fix

LOCATION = "sps.ingest.location"


def long_way(raw: bytes) -> tuple[Any, Any] | str:
    try:
        event = decode(raw)
        return event, parse_data(event)
    except (EnvelopeError, InvalidEventData, UnknownEventType) as exc:
        return f"refused: {exc}"


BASE = load.fix(7, *load.INSIDE)[1]


def fix_record(**changes: Any) -> bytes:
    obj = orjson.loads(BASE)
    for key, value in changes.items():
        target, _, name = key.rpartition("__")
        where = obj["data"] if target == "data" else obj
        if value is ...:
            where.pop(name, None)
        else:
            where[name] = value
    return orjson.dumps(obj)


def test_a_fix_is_the_same_either_way():
    raw = fix_record(data__battery_pct=55.5, data__firmware="2.1", ext_attr="kept")
    fast = decode_typed(raw, LOCATION)
    assert fast is not None
    event, data = long_way(raw)  # type: ignore[misc]
    assert fast[1].model_dump() == data.model_dump()
    assert fast[0].model_dump(exclude={"data"}) == event.model_dump(exclude={"data"})
    assert fast[0].model_extra == {"ext_attr": "kept"} and "firmware" not in fast[1].model_dump()
    assert fast[1].recorded_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"data__lat": 95},
        {"data__person_id": "not-a-uuid"},
        {"data__recorded_at": "2026-01-01T00:00:00"},  # no offset
        {"data__recorded_at": "0001-01-01T00:30:00+01:00"},  # no UTC instant
        {"data__battery_pct": 100.5},
        {"data__accuracy_m": -0.1},
        {"data__device_id": "x" * 65},
        {"data__strap_intact": "maybe"},
        {"data__device_id": ""},
        {"data__accuracy_m": ...},
        {"time": "yesterday"},
        {"id": 5},
        {"specversion": "0.3"},
        {"type": "sps.ingest.checkin"},  # the header says otherwise: the envelope decides
        {"data__device_id": "a\u0000b"},
    ],
)
def test_what_the_long_way_refuses_or_reads_as_another_type_is_left_to_it(changes):
    raw = fix_record(**changes)
    assert decode_typed(raw, LOCATION) is None
    assert decode_fix(raw) is None
    slow = long_way(raw)
    assert isinstance(slow, str) or slow[0].type != LOCATION


def test_no_value_and_not_json_are_left_to_the_long_way():
    assert decode_typed(None, LOCATION) is None
    assert decode_typed(b"{not json", LOCATION) is None
    assert decode_typed(b"[]", LOCATION) is None
    assert decode_typed(fix_record(), "sps.ingest.no-such-type") is None


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2026-11-28T03:00:00+08:00", "2026-11-28T03:00:00Z", "2026-02-30T00:00:00Z", "EM-1"]),
    st.sampled_from(["2026-11-28T03:00:00", "0001-01-01T00:30:00+01:00", "31.9", "", "x" * 65]),
    st.sampled_from([-90.5, -90, 90, 180.01, 100_000, 100_000.5, 100.5, -0.1]),
)
fields = st.sampled_from(
    ["data__lat", "data__lon", "data__accuracy_m", "data__recorded_at", "data__battery_pct", "data__strap_intact"]
    + ["data__device_id", "data__person_id", "time", "subject", "correlationid", "datacontenttype", "source"]
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(fields, st.one_of(values, st.just(...)), max_size=3))
def test_one_pass_accepts_exactly_what_the_long_way_accepts_with_the_same_values(changes):
    raw = fix_record(**changes)
    fast, slow = decode_typed(raw, LOCATION), long_way(raw)
    if isinstance(slow, str):
        assert fast is None, slow
    else:
        assert fast is not None, changes
        assert fast[1].model_dump() == slow[1].model_dump()
        defaulted = {k for k, v in changes.items() if v is ... and k in ("time", "id")}  # each makes its own
        assert fast[0].model_dump(exclude={"data", *defaulted}) == slow[0].model_dump(exclude={"data", *defaulted})


def fix_values(fix: Any) -> dict[str, Any]:
    names = ("person_id", "device_id", "lat", "lon", "accuracy_m", "recorded_at", "battery_pct", "strap_intact")
    return {n: getattr(fix, n) for n in names}


def test_the_msgspec_decoder_reads_a_fix_as_the_long_way_does():
    raw = fix_record(data__battery_pct=55.5, data__firmware="2.1", ext_attr="kept")
    fast = decode_fix(raw)
    assert fast is not None
    event, data = long_way(raw)  # type: ignore[misc]
    assert fix_values(fast[1]) == fix_values(data)
    assert (fast[0].id, fast[0].type, fast[0].correlationid) == (event.id, event.type, event.correlationid)
    assert fast[0].model_dump(mode="json") == event.model_dump(mode="json")  # extensions kept, the long way
    east = decode_fix(fix_record(data__recorded_at="2026-11-28T11:00:00+08:00"))
    assert east is not None and east[1].recorded_at.tzinfo is UTC and east[1].recorded_at.hour == 3


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(fields, st.one_of(values, st.just(...)), max_size=3))
def test_what_the_msgspec_decoder_accepts_the_long_way_accepts_with_the_same_values(changes):
    """It may leave more to the long way (pydantic's lax coercions, a missing id); it must never
    accept what the long way refuses, nor read a value differently."""
    raw = fix_record(**changes)
    fast, slow = decode_fix(raw), long_way(raw)
    if fast is not None:
        assert not isinstance(slow, str), (changes, slow)
        assert fix_values(fast[1]) == fix_values(slow[1]), changes
        assert (fast[0].id, fast[0].correlationid) == (slow[0].id, slow[0].correlationid)
