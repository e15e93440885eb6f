"""JSON logs via structlog, for our code and the libraries' stdlib loggers alike.

`bind_event` carries the event id and correlation id into every line logged while an event
is handled, so one event's path can be followed across services.
"""
from __future__ import annotations

import logging
import sys

import structlog
from structlog.contextvars import bind_contextvars, merge_contextvars, unbind_contextvars

_configured = False

_SHARED = [
    merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(service: str, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bind_contextvars(service=service)
    _configured = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def bind_event(event_id: str, correlation_id: str | None) -> None:
    bind_contextvars(event_id=event_id, correlation_id=correlation_id)


def unbind_event() -> None:
    unbind_contextvars("event_id", "correlation_id")
