"""The live alert feed never stalls in silence: a quiet feed sends heartbeats (the board shows how
fresh it is); a subscriber that falls behind gets `resync` and its stream ends (the console then
reloads the board); the backlog and the live queue are joined without a gap or a double. The
database is replaced by a list: no PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from services.command_centre.adapters.feed import RESYNC, AlertFeed, Change
from services.command_centre.api.staff import follow_feed
from shared.authority import Actor


class ListFeed(AlertFeed):
    def __init__(self, buffer: int, stored: list[Change]) -> None:
        super().__init__("postgresql+asyncpg://nobody@127.0.0.1/none", buffer=buffer)
        self.stored = stored

    async def changes_after(self, seq: int, limit: int = 5000) -> list[Change]:
        return [c for c in self.stored if c.seq > seq][:limit]


def change(seq: int, office: str = "澄江街道") -> Change:
    return Change(seq, "sps.alert.raised", office, orjson.dumps({"seq": seq}).decode())


OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")


async def take(stream: Any, n: int, timeout_s: float = 2.0) -> list[dict[str, str]]:
    return [await asyncio.wait_for(anext(stream), timeout_s) for _ in range(n)]


def test_a_subscriber_that_cannot_keep_up_is_told_to_resync_and_dropped() -> None:
    feed = ListFeed(buffer=2, stored=[])
    queue = feed.subscribe()
    for seq in (1, 2, 3):
        feed.deliver(change(seq))
    assert queue.qsize() == 1 and queue.get_nowait() is RESYNC
    feed.deliver(change(4))
    assert queue.empty() and feed.head == 4  # no longer fed


async def test_backlog_then_live_changes_an_officer_sees_without_gap_or_double() -> None:
    feed = ListFeed(buffer=10, stored=[change(1), change(2, "华士镇"), change(3)])
    stream = follow_feed(feed, OFFICER, 1, heartbeat_s=5)
    first = await take(stream, 1)  # the backlog after position 1 that the officer may see
    assert [e["id"] for e in first] == ["3"]
    feed.deliver(change(3))  # already sent from the backlog
    feed.deliver(change(4))
    assert [e["id"] for e in await take(stream, 1)] == ["4"]
    await stream.aclose()


async def test_a_quiet_feed_sends_heartbeats_and_a_lagging_one_resyncs_then_ends() -> None:
    feed = ListFeed(buffer=1, stored=[])
    stream = follow_feed(feed, OFFICER, 0, heartbeat_s=0.01)
    (beat,) = await take(stream, 1)
    assert beat["event"] == "heartbeat" and orjson.loads(beat["data"])["sent"] == 0
    feed.deliver(change(1))
    feed.deliver(change(2))  # the buffer of one is full: this subscriber fell behind
    (resync,) = await take(stream, 1)
    assert resync["event"] == "resync" and orjson.loads(resync["data"])["head"] == 2
    try:
        await asyncio.wait_for(anext(stream), 1)
        raise AssertionError("the stream goes on after a resync")
    except StopAsyncIteration:
        pass


async def test_a_busy_feed_ends_soon_after_its_session_ends_and_follows_a_changed_office() -> None:
    """N4 (contract §7.4): the session is checked on a clock, not only when the feed is quiet."""
    feed = ListFeed(buffer=1000, stored=[change(1, "华士镇"), change(2)])
    session: dict[str, Actor | None] = {"now": OFFICER}

    async def still(current: Actor) -> Actor | None:
        return session["now"]

    stream = follow_feed(feed, OFFICER, 0, heartbeat_s=60, still=still, recheck_s=0.05)
    assert [e["id"] for e in await take(stream, 1)] == ["2"]  # not 华士镇's
    session["now"] = Actor("officer-demo", "justice_officer", "华士镇")  # moved to another office
    await asyncio.sleep(0.1)
    feed.deliver(change(3))
    feed.deliver(change(4, "华士镇"))
    assert [e["id"] for e in await take(stream, 1)] == ["4"]
    session["now"] = None  # signed out, disabled or reset
    seq, events = 5, []

    async def busy() -> None:  # an alert change every 10 ms, the feed never quiet
        nonlocal seq
        while True:
            feed.deliver(change(seq, "华士镇"))
            seq += 1
            await asyncio.sleep(0.01)

    feeding = asyncio.create_task(busy())
    try:
        async with asyncio.timeout(2):
            async for event in stream:
                events.append(event)
    finally:
        feeding.cancel()
    assert events[-1]["event"] == "session-ended"
