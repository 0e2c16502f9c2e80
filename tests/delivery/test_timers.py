"""Timers stop only once their running jobs are over.

A bot stopping (SIGTERM, Ctrl+C) closes its store right after its timers. A poll or a send
still running then was cancelled but not awaited, and went on unwinding (in the middle of
a database commit) after the store had closed: on SQLite the process hung at exit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.delivery.timers import Timers
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, rss_feed, stories


async def test_stop_cancels_a_running_job_and_waits_until_it_has_unwound() -> None:
    started = asyncio.Event()
    events: list[str] = []

    async def job() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # a poll that would go on for a long time
        except asyncio.CancelledError:
            events.append("cancelled")
            await asyncio.sleep(0)  # the unwinding (a rollback, a connection released)
            events.append("unwound")
            raise

    timers = Timers()
    timers.every(0.01, job, name="slow")
    timers.start()
    assert timers.running
    await asyncio.wait_for(started.wait(), timeout=10)  # guard, not timing

    await timers.stop()

    assert events == ["cancelled", "unwound"]
    assert not timers.running


async def test_stop_with_nothing_running_returns_at_once() -> None:
    timers = Timers()
    timers.every(3600, lambda: asyncio.sleep(0))
    timers.start()
    await timers.stop()
    await timers.stop()  # twice is harmless
    assert not timers.running


async def test_the_bot_scheduler_stops_only_after_its_running_poll(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        clock.advance(days=1)  # the feed is due
        h.scheduler.poll_every_seconds = 0.01
        feed_server.request_seen.clear()
        feed_server.gate = asyncio.Event()  # the poll hangs in its fetch
        await h.scheduler.start()
        await asyncio.wait_for(feed_server.request_seen.wait(), timeout=10)  # guard
        feed = await h.feed()
        feed_server.gate.set()  # a poll after the stop must not hang

        await h.scheduler.stop()
        # Right after the stop, the stopped poll is over: polling the feed now is not
        # skipped as one still in flight.
        report, _ = await h.scheduler.poller.poll([feed])

        assert report.due == 1
