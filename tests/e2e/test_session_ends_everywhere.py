"""N4 (docs/security.md, contract §7.4): an open live feed ends when its session does, without
waiting for the feed to fall quiet. Black-box, on the running platform: the session's end comes
on the feed as `session-ended` before its first heartbeat (15 s of quiet), and the stream closes."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.sse import SseReader
from tests.e2e.test_thin_slice import staff


async def test_the_live_feed_ends_when_its_session_is_signed_out(platform):
    cc = platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        duty = await staff(client, cc, "duty-demo")  # a session of its own
        async with SseReader(f"{cc}/api/v1/alerts/stream", duty) as feed:
            assert (await client.post(f"{cc}/api/v1/auth/logout", headers=duty)).status_code == 200
            ended = await feed.wait_for(lambda e: e.event in ("session-ended", "heartbeat"))
            assert ended.event == "session-ended"
            assert feed._task is not None
            await asyncio.wait_for(asyncio.shield(feed._task), 10)  # the server closed the stream
        assert (await client.get(f"{cc}/api/v1/me", headers=duty)).status_code == 401
