"""Traces across services (OpenTelemetry): an event's path from the gateway to its alert.

The W3C `traceparent` travels in each Kafka record's headers, like `correlationid` travels in
the envelope. FastAPI's own telemetry starts (or continues) a trace per HTTP request once a
tracer provider is installed; each event it
publishes carries the request's context; each consumer handles a record inside a span whose
parent comes from that record's headers, and the events it publishes (through the outbox)
carry the consumer span's context on.

Tracing is on when there is somewhere to send spans: `OTEL_EXPORTER_OTLP_ENDPOINT` (any
OpenTelemetry collector; the standard `OTEL_*` variables apply, sampling included) or
`SPS_TRACE_FILE` (one JSON line per finished span, for tests and a quick look). Otherwise the
no-op tracer costs nothing and no header is added.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

_TRACER_NAME = "sps"
_state = {"on": False}


class _JsonLinesExporter:
    """A SpanExporter writing finished spans to a file, one JSON object per line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        lines = []
        for span in spans:
            ctx, parent = span.get_span_context(), span.parent
            lines.append(
                orjson.dumps(
                    {
                        "name": span.name,
                        "service": span.resource.attributes.get("service.name"),
                        "trace_id": f"{ctx.trace_id:032x}",
                        "span_id": f"{ctx.span_id:016x}",
                        "parent_id": f"{parent.span_id:016x}" if parent else None,
                        "kind": span.kind.name,
                        "start": span.start_time,
                        "end": span.end_time,
                        "attributes": dict(span.attributes or {}),
                    }
                )
                + b"\n"
            )
        with self._lock, open(self.path, "ab") as out:
            out.write(b"".join(lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def setup_tracing(service: str) -> bool:
    """Install a tracer provider if spans have somewhere to go; return whether tracing is on."""
    endpoint, path = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"), os.environ.get("SPS_TRACE_FILE")
    if _state["on"] or (not endpoint and not path):
        return _state["on"]
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"sps-{service}", "service.namespace": "sps"}))
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if path:  # "{service}" in the path gives each service a file of its own
        provider.add_span_processor(
            BatchSpanProcessor(
                _JsonLinesExporter(path.format(service=service)),  # type: ignore[arg-type]
                schedule_delay_millis=500,
            )
        )
    trace.set_tracer_provider(provider)
    _state["on"] = True
    return True


def enabled() -> bool:
    return _state["on"]


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


def inject() -> list[tuple[str, bytes]]:
    """The current trace context as Kafka headers (none when tracing is off or no span is active)."""
    if not _state["on"]:
        return []
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(k, v.encode()) for k, v in carrier.items()]


def _carrier(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in headers or () if k in ("traceparent", "tracestate")}


@contextlib.contextmanager
def consuming(record: Any, event_type: str) -> Iterator[None]:
    """Handle one record inside a CONSUMER span whose parent is the producer's context. A record
    that came with no trace (a vendor's direct fix) starts none: a trace per fix would flood."""
    carrier = _carrier(record.headers) if _state["on"] else {}
    if "traceparent" not in carrier:
        yield
        return
    with tracer().start_as_current_span(
        f"{record.topic} process",
        context=propagate.extract(carrier),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.message.offset": record.offset,
            "cloudevents.event_type": event_type,
        },
    ):
        yield
