"""A poll cycle drains what is due, and a busy host cannot hold the other hosts' turns.

The cycle used to take at most 500 due feeds per tick, eight at a time, and a feed
waiting for its host's two slots held one of the eight: a site serving many slow feeds
could stall every other feed. Through the real poller, fetcher and store, on SQLite and
PostgreSQL, with feeds served on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.feeds import polling
from bot.models import ChatTarget
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, rss_feed, stories


async def test_a_cycle_polls_every_due_feed_once_page_after_page(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "DUE_PAGE", 3)  # 8 feeds: three pages
    async with harness(database_url, clock, tmp_path) as h:
        store = h.app.services.store
        chat = await store.get_or_create_chat(ChatTarget("console", "many"))
        for n in range(8):
            url = feed_server.serve(f"/feed-{n}.xml", rss_feed(stories(n, prefix=f"F{n}")))
            feed = await store.get_or_create_feed(url)
            await store.subscribe(chat.pk, feed.id)

        report, new_ids = await h.scheduler.poller.poll_due()

        assert (report.due, report.fetched, report.failed) == (8, 8, 0)
        assert len(new_ids) == 8
        assert feed_server.hits == {f"/feed-{n}.xml": 1 for n in range(8)}
        again, _ = await h.scheduler.poller.poll_due()  # nothing is due any more
        assert again.due == 0


async def test_feeds_waiting_for_a_busy_host_leave_their_slots_to_other_hosts(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        poller = h.scheduler.poller
        poller.concurrency, poller.per_host = 3, 2
        store = h.app.services.store
        chat = await store.get_or_create_chat(ChatTarget("console", "hosts"))
        release = asyncio.Event()
        for n in range(3):  # one slow site: its feeds hang until released
            feed_server.gates[f"/slow-{n}.xml"] = release
            url = feed_server.serve(f"/slow-{n}.xml", rss_feed(stories(n, prefix="Slow")))
            await store.subscribe(chat.pk, (await store.get_or_create_feed(url)).id)
        fast = feed_server.serve("/fast.xml", rss_feed(stories(1, prefix="Fast")))
        other_host = fast.replace("127.0.0.1", "localhost")  # same server, another host
        await store.subscribe(chat.pk, (await store.get_or_create_feed(other_host)).id)

        cycle = asyncio.create_task(poller.poll_due())
        try:
            # Two slow feeds hold their host's two turns; the third waits for its host
            # without a slot, so the other host's feed gets the third slot now.
            while "/fast.xml" not in feed_server.hits:
                await asyncio.wait_for(feed_server.request_seen.wait(), timeout=10)
                feed_server.request_seen.clear()
            assert sum(feed_server.hits.get(f"/slow-{n}.xml", 0) for n in range(3)) == 2
            assert len(poller.host_turns) == 2  # both hosts are being polled
        finally:
            release.set()
        report, _ = await cycle
        assert (report.due, report.fetched, report.failed) == (4, 4, 0)
        # Nobody polls either host any more: the process keeps no turn for them (it kept
        # one for every host it ever polled, which grew with the feeds).
        assert len(poller.host_turns) == 0


async def test_a_site_with_many_due_feeds_does_not_take_every_waiting_place(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        poller = h.scheduler.poller
        poller.concurrency, poller.per_host = 2, 1  # 8 waiting places, 4 for one host
        store = h.app.services.store
        chat = await store.get_or_create_chat(ChatTarget("console", "imported"))
        release = asyncio.Event()
        for n in range(12):  # an imported list of one slow site's feeds, due first
            feed_server.gates[f"/site-{n}.xml"] = release
            url = feed_server.serve(f"/site-{n}.xml", rss_feed(stories(n, prefix="Site")))
            await store.subscribe(chat.pk, (await store.get_or_create_feed(url)).id)
        other = feed_server.serve("/other.xml", rss_feed(stories(1, prefix="Other")))
        other = other.replace("127.0.0.1", "localhost")
        await store.subscribe(chat.pk, (await store.get_or_create_feed(other)).id)

        cycle = asyncio.create_task(poller.poll_due())
        try:
            while "/other.xml" not in feed_server.hits:
                await asyncio.wait_for(feed_server.request_seen.wait(), timeout=10)
                feed_server.request_seen.clear()
        finally:
            release.set()
        report, _ = await cycle
        assert (report.due, report.fetched, report.failed) == (13, 13, 0)
