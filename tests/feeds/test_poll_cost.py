"""A steady poll (the feed answers 304 Not Modified) costs one short transaction.

At 20,000 feeds nearly every poll is a 304, so what one costs the database is what a
cycle costs: it used to be two transactions (record the validators, then the next poll
time), each opened with a pool pre-ping, about a dozen round trips on PostgreSQL. Now the
outcome and the next poll time are one UPDATE, and a pooled connection is checked
without a round trip. Through the real poll loop, fetcher and store, on SQLite and
PostgreSQL; and on PostgreSQL a backend killed between two polls must not cost a poll.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models import ChatTarget
from tests.support.clock import FakeClock
from tests.support.console import Harness, harness
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.statements import StatementCounter


async def _steady_feed(h: Harness, feed_server: FeedServer) -> int:
    """A followed feed polled once (its stories stored), answering 304 from now on."""
    store = h.app.services.store
    chat = await store.get_or_create_chat(ChatTarget("console", "steady"))
    url = feed_server.serve("/steady.xml", rss_feed(stories(1, 2)), etag='"v1"')
    feed = await store.get_or_create_feed(url)
    await store.subscribe(chat.pk, feed.id)
    report, _ = await h.scheduler.poller.poll_due()
    assert report.fetched == 1
    return feed.id


async def test_a_steady_poll_is_one_update_in_one_transaction(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        store, poller = h.app.services.store, h.scheduler.poller
        feed_id = await _steady_feed(h, feed_server)
        [feed] = await store.get_feeds([feed_id])
        interval = feed.poll_interval_seconds or 0
        clock.advance(seconds=interval)
        [due] = await store.get_feeds([feed_id])

        with StatementCounter(store.engine) as counter:
            report, _ = await poller.poll([due])

        assert report.not_modified == 1
        assert feed_server.not_modified == {"/steady.xml": 1}
        cost = counter.count
        assert [s.split()[0] for s in cost.statements] == ["UPDATE"], cost.statements
        assert (cost.commits, cost.rollbacks, cost.pings) == (1, 0, 0)
        assert cost.round_trips == 3
        [after] = await store.get_feeds([feed_id])
        assert after.last_error is None
        assert after.etag == '"v1"'
        assert after.poll_interval_seconds == round(interval * 1.5)
        assert after.next_poll_at == clock.now + timedelta(seconds=interval * 1.5)


async def test_a_failed_poll_reads_nothing_back_to_decide_on_disabling(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        store, poller = h.app.services.store, h.scheduler.poller
        feed_id = await _steady_feed(h, feed_server)
        feed_server.serve("/steady.xml", "down", content_type="text/plain", status=500)
        clock.advance(hours=1)
        [due] = await store.get_feeds([feed_id])

        with StatementCounter(store.engine) as counter:
            report, _ = await poller.poll([due])

        assert report.failed == 1
        cost = counter.count
        assert [s.split()[0] for s in cost.statements] == ["UPDATE"], cost.statements
        assert (cost.commits, cost.rollbacks, cost.pings) == (1, 0, 0)
        [after] = await store.get_feeds([feed_id])
        assert after.consecutive_failures == 1
        assert after.first_failure_at == clock.now
        assert after.last_error
        assert "500" in after.last_error
        assert after.next_poll_at is not None
        assert after.next_poll_at > clock.now


async def test_a_backend_killed_between_polls_costs_no_poll(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server connection to kill: PostgreSQL only")
    async with harness(database_url, clock, tmp_path) as h:
        store, poller = h.app.services.store, h.scheduler.poller
        feed_id = await _steady_feed(h, feed_server)
        clock.advance(hours=1)
        [due] = await store.get_feeds([feed_id])
        # Every connection the bot holds is killed, as by a server restart (the call
        # waits until each backend has gone).
        killer = create_async_engine(database_url)
        try:
            async with killer.connect() as connection:
                killed = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            await killer.dispose()
        assert killed

        report, _ = await poller.poll([due])

        assert (report.not_modified, report.failed) == (1, 0)
        [after] = await store.get_feeds([feed_id])
        assert after.last_error is None
        assert after.next_poll_at is not None
        assert after.next_poll_at > clock.now
