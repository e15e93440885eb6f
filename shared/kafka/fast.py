"""A location fix record decoded in one pass with msgspec: the fix path's hottest step.

`shared.events.LocationFix` stays the schema (the contract, the JSON Schemas, the AsyncAPI
document); these structs repeat its fields and bounds for decoding only. A record they do not
accept is decoded again the long way (pydantic), whose errors name the fault, so what the
fast path refuses is never lost and its reason never depends on the path; a property test
(tests/unit/test_one_pass_decode.py) holds both to accepting the same records with the same
values. Measured against pydantic-core's one pass from the same bytes in docs/performance.md.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from shared.envelope import IncomingEvent, decode
from shared.text import NUL_ESCAPE


class FixData(msgspec.Struct, frozen=True, gc=False):
    """`LocationFix`'s fields and bounds (shared/events/ingest.py), for decoding."""

    person_id: uuid.UUID
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)]
    recorded_at: Annotated[datetime, msgspec.Meta(tz=True)]
    battery_pct: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    strap_intact: bool | None = None


class _Envelope(msgspec.Struct, frozen=True, gc=False):
    specversion: Literal["1.0"]
    id: uuid.UUID
    source: str
    type: str
    time: Annotated[datetime, msgspec.Meta(tz=True)]
    data: FixData
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = None
    causationid: str | None = None


_DECODER = msgspec.json.Decoder(_Envelope)


class FastEvent:
    """The envelope attributes the fix path reads (id, type, correlation), and the record's bytes:
    anything that needs the whole event (a parked fix, a dead letter) decodes them the long way,
    extension attributes included."""

    __slots__ = ("arrived_at", "causationid", "correlationid", "id", "raw", "source", "subject", "time", "type")

    def __init__(self, envelope: _Envelope, raw: bytes) -> None:
        self.id, self.type, self.source = envelope.id, envelope.type, envelope.source
        self.time, self.subject = envelope.time, envelope.subject
        self.correlationid, self.causationid = envelope.correlationid, envelope.causationid
        self.raw = raw
        self.arrived_at = envelope.time  # the broker's stamp replaces it (IncomingEvent.arrived_at)

    def appended(self, at: datetime) -> None:
        self.arrived_at = at

    def full(self) -> IncomingEvent:
        return decode(self.raw)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return self.full().model_dump(**kwargs)


def decode_fix(raw: bytes | None) -> tuple[FastEvent, FixData] | None:
    """A location record's event and fix, or None: then the long way decides."""
    if raw is None or NUL_ESCAPE in raw:
        return None
    try:
        envelope = _DECODER.decode(raw)
    except msgspec.ValidationError:
        return None
    except msgspec.DecodeError:
        return None
    fix = envelope.data
    if envelope.type != "sps.ingest.location":
        return None
    if fix.recorded_at.tzinfo is not UTC:  # the same instant on the shared UTC tzinfo (UtcDatetime)
        try:
            fix = msgspec.structs.replace(fix, recorded_at=fix.recorded_at.astimezone(UTC))
        except OverflowError:
            return None
    return FastEvent(envelope, raw), fix


# The types with a decoder of their own; every other handled type goes through pydantic-core's
# one pass (shared/events.decode_typed).
FAST_DECODERS = {"sps.ingest.location": decode_fix}
