"""The SSE reader lives with the dev tools (the benchmark uses it too)."""

from tools.devstack.sse import SseEvent, SseReader

__all__ = ["SseEvent", "SseReader"]
