"""The distributed jobs in one process, tick by tick with a fake clock, on PostgreSQL.

Two ticking "processes" (two job queues with their own connection pools) turn what is
due into jobs; the queueing locks keep one job per feed and per digest slot. A worker
drains the jobs with the existing poller and composer; a gateway's delivery job sends.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from bot.distributed.app import psycopg_conninfo
from bot.distributed.tasks import DELIVERY_QUEUE, WORK_QUEUE
from bot.distributed.ticker import RoleTicker
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.distributed import drain, job_count, job_queue
from tests.support.feeds import FeedServer, rss_feed, stories


def ticker(h, queue) -> RoleTicker:  # type: ignore[no-untyped-def]
    return RoleTicker(h.scheduler, queue, stalled_seconds=30, recover_every_seconds=15)


async def test_two_ticking_processes_queue_each_poll_and_digest_once(
    pg_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    paths = [f"/feed{n}.xml" for n in range(3)]
    async with harness(pg_url, clock, tmp_path) as h:
        for n, path in enumerate(paths):
            url = feed_server.serve(path, rss_feed(stories(1, prefix=f"F{n}")))
            await h.say(f"/subscribe {url}")
        assert "Schedule set: daily at 10:00." in await h.say("/schedule 10:00")
        for n, path in enumerate(paths):
            feed_server.serve(path, rss_feed(stories(2, 1, prefix=f"F{n}")))
        clock.advance(hours=1, minutes=1)
        async with job_queue(pg_url) as one, job_queue(pg_url) as two:
            first, second = ticker(h, one), ticker(h, two)
            queued = await asyncio.gather(first.defer_due_polls(), second.defer_due_polls())
            assert sum(queued) == 3
            assert await job_count(one.app, "todo") == 3
            await drain(one, h.scheduler, WORK_QUEUE)
            assert all(feed_server.hits[path] == 2 for path in paths)  # subscribe + 1 poll
            assert await first.defer_due_polls() == 0  # nothing due any more

            queued = await asyncio.gather(first.defer_due_digests(), second.defer_due_digests())
            assert sum(queued) == 1
            await drain(two, h.scheduler, WORK_QUEUE)
            assert h.platform.sent == []  # composed into the outbox, sent by the gateway
            await drain(one, h.scheduler, DELIVERY_QUEUE)
            [digest] = h.platform.digests()
            assert digest.digest is not None
            assert sorted(item.title for item in digest.digest.items) == [
                "F0 2",
                "F1 2",
                "F2 2",
            ]
            assert await first.defer_due_digests() == 0  # the slot has passed
            assert await job_count(one.app, "todo") == 0


async def test_an_instant_chat_gets_what_a_poll_job_brought(
    pg_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(pg_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/schedule instant")
        feed_server.serve("/feed.xml", rss_feed(stories(3, 2, 1)))
        clock.advance(minutes=2)
        async with job_queue(pg_url) as queue:
            assert await ticker(h, queue).defer_due_polls() == 1
            await drain(queue, h.scheduler, WORK_QUEUE)  # the poll, then the instant digest
            await drain(queue, h.scheduler, DELIVERY_QUEUE)
            [digest] = h.platform.digests()
            assert digest.digest is not None
            assert sorted(item.title for item in digest.digest.items) == ["Story 2", "Story 3"]


async def jobs_ever_inserted(url: str) -> int:
    """How many job rows were ever inserted or tried: a refused INSERT (the queueing lock
    said no) uses up an id too."""
    async with await psycopg.AsyncConnection.connect(psycopg_conninfo(url)) as connection:
        cursor = await connection.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM procrastinate_jobs_id_seq"
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_tick_leaves_queued_and_running_polls_alone(
    pg_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    paths = [f"/feed{n}.xml" for n in range(3)]
    async with harness(pg_url, clock, tmp_path) as h:
        for n, path in enumerate(paths):
            url = feed_server.serve(path, rss_feed(stories(1, prefix=f"F{n}")))
            await h.say(f"/subscribe {url}")
        clock.advance(minutes=2)
        async with job_queue(pg_url) as queue:
            tick = ticker(h, queue)
            assert await tick.defer_due_polls() == 3
            tried = await jobs_ever_inserted(pg_url)
            assert tried == 3
            # A worker takes one job; the three feeds are still due.
            manager = queue.app.job_manager
            worker_id = await manager.register_worker()
            assert await manager.fetch_job(queues=[WORK_QUEUE], worker_id=worker_id)
            for _ in range(3):
                assert await tick.defer_due_polls() == 0
            assert await jobs_ever_inserted(pg_url) == tried  # not even tried again
            assert await job_count(queue.app, "todo") == 2
            assert await job_count(queue.app, "doing") == 1


async def test_a_tick_leaves_queued_digests_alone(
    pg_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(pg_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        assert "Schedule set: daily at 10:00." in await h.say("/schedule 10:00")
        clock.advance(hours=1, minutes=1)
        async with job_queue(pg_url) as queue:
            tick = ticker(h, queue)
            assert await tick.defer_due_digests() == 1
            tried = await jobs_ever_inserted(pg_url)
            assert await tick.defer_due_digests() == 0
            assert await jobs_ever_inserted(pg_url) == tried
            assert await job_count(queue.app, "todo") == 1


async def test_two_ticking_processes_prune_once_per_period(
    pg_url: str, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.scheduler")
    async with (
        harness(pg_url, clock, tmp_path) as h,
        job_queue(pg_url) as one,
        job_queue(pg_url) as two,
    ):
        first, second = ticker(h, one), ticker(h, two)
        pruned = 0
        # 09:00 to 11:50 in one 6-hour period (00:00, 06:00, 12:00 … UTC): workers
        # started at different moments tick at different times, and jobs run between.
        for _ in range(18):
            queued = await asyncio.gather(first.defer_prune(), second.defer_prune())
            pruned += sum(queued)
            await drain(one, h.scheduler, WORK_QUEUE)
            clock.advance(minutes=10)
        assert pruned == 1
        assert caplog.text.count("retention: removed") == 1
        # 12:00 now: the next period
        assert sorted(await asyncio.gather(first.defer_prune(), second.defer_prune())) == [
            False,
            True,
        ]
        await drain(two, h.scheduler, WORK_QUEUE)
        assert caplog.text.count("retention: removed") == 2


async def test_the_queue_depth_counts_waiting_jobs_per_queue(
    pg_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    async with harness(pg_url, clock, tmp_path) as h:
        for n in range(2):
            url = feed_server.serve(f"/depth{n}.xml", rss_feed(stories(1, prefix=f"D{n}")))
            await h.say(f"/subscribe {url}")
        clock.advance(hours=1)
        async with job_queue(pg_url) as queue:
            empty = await queue.depth()
            await ticker(h, queue).defer_due_polls()
            await queue.deliver()
            waiting = await queue.depth()
            await drain(queue, h.scheduler, WORK_QUEUE, DELIVERY_QUEUE)
            drained = await queue.depth()
    assert set(empty.values()) == {0}
    assert waiting == {
        ("work", "todo"): 2,
        ("work", "doing"): 0,
        ("delivery", "todo"): 1,
        ("delivery", "doing"): 0,
    }
    assert set(drained.values()) == {0}
