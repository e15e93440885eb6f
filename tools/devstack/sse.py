"""A small Server-Sent Events reader for tests (what a browser's EventSource does)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import orjson


@dataclass
class SseEvent:
    id: str | None
    event: str | None
    data: dict
    received_at: float


class SseReader:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.events: list[SseEvent] = []
        self.connected = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> SseReader:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), timeout=10)
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _read(self) -> None:
        async with httpx.AsyncClient(timeout=None) as client:
            async with client.stream("GET", self.url, headers=self.headers) as response:
                response.raise_for_status()
                self.connected.set()
                fields: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if line == "":
                        if "data" in fields:
                            self.events.append(
                                SseEvent(
                                    fields.get("id"),
                                    fields.get("event"),
                                    orjson.loads(fields["data"]),
                                    time.monotonic(),
                                )
                            )
                        fields = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(":")
                        fields[key] = fields.get(key, "") + value.removeprefix(" ")

    async def wait_for(self, predicate, timeout_s: float = 30.0) -> SseEvent:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for event in self.events:
                if predicate(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no matching SSE event within {timeout_s}s; got {len(self.events)} events")
