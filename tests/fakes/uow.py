"""A fake unit of work for command and handler tests: no database, no Kafka.

It records what a command published, through the same typed publish path as the real one
(`shared.events.build_event`), and whether the work committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from shared.envelope import IncomingEvent, OutgoingEvent
from shared.events import EventData, build_event


class FakeUnitOfWork:
    def __init__(self, service: str = "test") -> None:
        self.service = service
        self.source = f"/sps/{service}"
        self.published: list[tuple[str, OutgoingEvent]] = []
        self.dead_letters: list[tuple[str, uuid.UUID, str]] = []
        self.committed = False
        self.scratch: dict[str, Any] = {}
        self._before: dict[str, Callable[[], Awaitable[None]]] = {}
        self._after: list[Callable[[], None]] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        self.scratch, self._before, self._after = {}, {}, []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Commit as the real one does: the batched writes first, then the after-commit hooks."""
        self.committed = exc_type is None
        if not self.committed:
            self.published = []
            return
        for flush in list(self._before.values()):
            await flush()
        for hook in self._after:
            hook()

    def before_commit(self, name: str, fn: Callable[[], Awaitable[None]]) -> None:
        self._before.setdefault(name, fn)

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after.append(fn)

    def publish(
        self,
        data: EventData,
        *,
        subject: uuid.UUID | str,
        cause: IncomingEvent | None = None,
        time: datetime | None = None,
        type: str | None = None,
        key: str | None = None,
        id: uuid.UUID | None = None,
    ) -> OutgoingEvent:
        topic, event = build_event(data, self.source, subject=subject, type=type, id=id, cause=cause, time=time)
        self.published.append((topic, event))
        return event

    def dead_letter(self, topic: str, event: IncomingEvent, reason: str) -> None:
        self.dead_letters.append((topic, event.id, reason))

    def types(self) -> list[str]:
        return [e.type for _, e in self.published]
