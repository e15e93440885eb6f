"""JSON logs via structlog, for our code and the libraries' stdlib loggers alike.

`bind_event` carries the event id and correlation id into every line logged while an event
is handled, so one event's path can be followed across services.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, merge_contextvars

_configured = False
# While the broker is away aiokafka logs the same error about every 100 ms per client: keep one
# of each kind per this many seconds, and say how many were dropped.
REPEAT_EVERY_S = 10.0

# The event being handled: (its id, its correlation id). One context variable set per record, and
# turned into text only when a line is logged: binding two structlog context variables and
# formatting the id cost 1.6 µs a record, 8 % of a location fix (docs/performance.md).
_EVENT: contextvars.ContextVar[tuple[Any, str | None] | None] = contextvars.ContextVar("sps_event", default=None)


def _add_event(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    current = _EVENT.get()
    if current is not None:
        event_dict.setdefault("event_id", str(current[0]))
        event_dict.setdefault("correlation_id", current[1])
    return event_dict


_SHARED: list[Any] = [
    merge_contextvars,
    _add_event,
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
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatLimiter(("aiokafka", "kafka"), REPEAT_EVERY_S))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bind_contextvars(service=service)
    _configured = True


class RepeatLimiter(logging.Filter):
    """Lets one record of each kind (logger, level, message template) through per `every_s`
    seconds from loggers under `prefixes`; the next one let through counts those dropped."""

    def __init__(self, prefixes: tuple[str, ...], every_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.prefixes, self.every_s, self.clock = prefixes, every_s, clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        last, dropped = self._seen.get(key, (None, 0))
        if last is not None and now - last < self.every_s:
            self._seen[key] = (last, dropped + 1)
            return False
        if dropped and last is not None:
            record.msg = f"{record.msg} [{dropped} more like this in the last {now - last:.0f} s]"
        self._seen[key] = (now, 0)
        return True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


def bind_event(event_id: Any, correlation_id: str | None) -> None:
    """Every line logged until `unbind_event` names this event (its id as text)."""
    _EVENT.set((event_id, correlation_id))


def unbind_event() -> None:
    _EVENT.set(None)
