"""The CloudEvents 1.0 envelope (structured JSON mode) for every record on Kafka.

Producing is strict (`OutgoingEvent`: unknown attributes are an error); consuming is tolerant
(`IncomingEvent`: unknown extension attributes are kept, not refused), so a newer producer
never breaks an older consumer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from shared.text import json_nul_path

CONTENT_TYPE = "application/cloudevents+json"
Header = tuple[str, bytes]
# The event's type beside the value, for routing without a parse (never `ce_type`: see event_headers).
TYPE_HEADER = "sps-type"


class _Envelope(BaseModel):
    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str = Field(pattern=r"^/sps/[a-z_\-]+$")
    type: str = Field(pattern=r"^sps\.[a-z0-9\-]+\.[a-z0-9\-]+$")
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None


class OutgoingEvent(_Envelope):
    model_config = ConfigDict(extra="forbid")


class IncomingEvent(_Envelope):
    model_config = ConfigDict(extra="allow")
    source: str  # tolerant: any source
    type: str
    # When the broker appended the record, on a topic it stamps (shared/topics.ARRIVAL_STAMPED);
    # set by the consumer runner, never part of the event.
    _appended_at: datetime | None = PrivateAttr(None)

    @property
    def arrived_at(self) -> datetime:
        """When the record came in: the broker's stamp where there is one (no producer can date
        it), else the envelope's time (the gateway's, for what it publishes)."""
        return self._appended_at or self.time

    def appended(self, at: datetime) -> None:
        self._appended_at = at


class EnvelopeError(ValueError):
    """A record that is not a valid CloudEvent; the message is the reason for the DLQ."""


def new_event(
    type: str,
    source: str,
    data: BaseModel | dict[str, Any],
    *,
    subject: str | None = None,
    cause: IncomingEvent | OutgoingEvent | None = None,
    time: datetime | None = None,
    id: uuid.UUID | None = None,
) -> OutgoingEvent:
    """Build an event; `cause` carries the correlation chain forward."""
    payload = data.model_dump(mode="json", exclude_none=True) if isinstance(data, BaseModel) else data
    fields: dict[str, Any] = {"type": type, "source": source, "data": payload, "subject": subject}
    if time is not None:
        fields["time"] = time
    if id is not None:
        fields["id"] = id
    if cause is not None:
        fields["correlationid"] = cause.correlationid or str(cause.id)
        fields["causationid"] = str(cause.id)
    event = OutgoingEvent(**fields)
    if event.correlationid is None:
        event.correlationid = str(event.id)
    return event


def event_headers(event: OutgoingEvent | IncomingEvent) -> list[Header]:
    """The Kafka headers of an event: its type and correlation for routing without a parse, and
    the trace it is part of (none when tracing is off).

    No header starts with `ce_`: the value is a structured-mode CloudEvent, and a `ce_` header
    makes CloudEvents SDKs read the record as binary mode and refuse it (docs/alert-consumers.md).
    """
    from shared import tracing

    headers: list[Header] = [("content-type", CONTENT_TYPE.encode()), (TYPE_HEADER, event.type.encode())]
    if event.correlationid:
        headers.append(("correlationid", event.correlationid.encode()))
    headers.extend(tracing.inject())
    return headers


def encode_many(
    event_type: str, source: str, items: list[tuple[uuid.UUID, str, dict[str, Any]]], time: datetime | None = None
) -> list[tuple[str, bytes, list[Header]]]:
    """Many events of one type as records (key, value, headers): the same CloudEvents as
    `new_event` and `encode` give, each its own (id, subject, data), without building a model per
    event. For the gateway's batches of fixes and check-ins, whose data the request model has
    validated already; `tests/unit/test_envelope.py` holds it to `new_event`'s output."""
    from shared import tracing

    stamp = (time or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    trace = tracing.inject()  # one request: one trace context for all its events
    common = [("content-type", CONTENT_TYPE.encode()), (TYPE_HEADER, event_type.encode())]
    out = []
    for event_id, subject, data in items:
        eid = str(event_id)
        value = orjson.dumps(
            {
                "specversion": "1.0",
                "id": eid,
                "source": source,
                "type": event_type,
                "time": stamp,
                "subject": subject,
                "datacontenttype": "application/json",
                "data": data,
                "correlationid": eid,
            }
        )
        out.append((subject, value, [*common, ("correlationid", eid.encode()), *trace]))
    return out


def encode(event: OutgoingEvent | IncomingEvent) -> bytes:
    return orjson.dumps(event.model_dump(mode="json", exclude_none=True))


def decode(raw: bytes | None) -> IncomingEvent:
    """Decode one record value; raise EnvelopeError naming what is wrong."""
    if raw is None:
        raise EnvelopeError("record has no value")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise EnvelopeError(f"not a JSON object: {type(obj).__name__}")
    if (where := json_nul_path(raw, obj)) is not None:
        raise EnvelopeError(f"{where}: text may not contain the NUL character (\\u0000)")
    try:
        return IncomingEvent.model_validate(obj)
    except ValidationError as exc:
        raise EnvelopeError(f"not a CloudEvent: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
