"""JSON logs via structlog; `bind_event` carries event id and correlation id into every line."""
from __future__ import annotations

import logging
import sys

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, merge_contextvars

_configured = False


def configure_logging(service: str, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    logging.basicConfig(stream=sys.stdout, level=level, format="%(message)s")
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _configured = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def bind_event(event_id: str, correlation_id: str | None) -> None:
    bind_contextvars(event_id=event_id, correlation_id=correlation_id)


def unbind_event() -> None:
    structlog.contextvars.unbind_contextvars("event_id", "correlation_id")


__all__ = ["configure_logging", "get_logger", "bind_event", "unbind_event", "clear_contextvars"]
