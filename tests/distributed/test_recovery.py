"""Stalled-job recovery in one process: a job held by a worker whose heartbeat stopped.

A "dead" worker is a registered procrastinate worker that took a job and whose heartbeat
is made an hour old; recovery must put its job back in the queue, or close it when the
same job is already queued again, so the feed is polled once either way.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from bot.distributed.app import psycopg_conninfo
from bot.distributed.tasks import WORK_QUEUE, JobQueue
from bot.distributed.ticker import RoleTicker
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.distributed import drain, job_count, job_queue
from tests.support.feeds import FeedServer, rss_feed, stories


async def take_and_die(queue: JobQueue, url: str) -> None:
    """A worker takes the waiting job, then falls silent (its heartbeat an hour old)."""
    manager = queue.app.job_manager
    worker_id = await manager.register_worker()
    assert await manager.fetch_job(queues=[WORK_QUEUE], worker_id=worker_id) is not None
    async with await psycopg.AsyncConnection.connect(psycopg_conninfo(url)) as connection:
        await connection.execute(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
            " WHERE id = %s",
            (worker_id,),
        )


async def test_a_dead_workers_job_is_queued_again_and_done_once(
    pg_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(pg_url, clock, tmp_path) as h, job_queue(pg_url) as queue:
        await h.say(f"/subscribe {url}")
        clock.advance(minutes=2)
        ticker = RoleTicker(h.scheduler, queue, stalled_seconds=30, recover_every_seconds=15)
        assert await ticker.defer_due_polls() == 1
        await take_and_die(queue, pg_url)
        await drain(queue, h.scheduler, WORK_QUEUE)
        assert feed_server.hits["/feed.xml"] == 1  # only /subscribe: the job is held

        assert await ticker.recover_stalled() == 1
        await drain(queue, h.scheduler, WORK_QUEUE)
        assert feed_server.hits["/feed.xml"] == 2
        assert await job_count(queue.app, "doing") == 0
        assert await ticker.recover_stalled() == 0


async def test_a_dead_workers_job_with_a_queued_twin_is_closed(
    pg_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(pg_url, clock, tmp_path) as h, job_queue(pg_url) as queue:
        await h.say(f"/subscribe {url}")
        clock.advance(minutes=2)
        ticker = RoleTicker(h.scheduler, queue, stalled_seconds=30, recover_every_seconds=15)
        [feed_id] = await h.scheduler.store.due_feed_ids(clock())
        assert await ticker.defer_due_polls() == 1
        await take_and_die(queue, pg_url)
        assert await ticker.defer_due_polls() == 0  # its job runs: the tick leaves it alone
        # A tick of another process that read the queue before the job was taken.
        assert await queue.poll_feed(feed_id)

        assert await ticker.recover_stalled() == 0  # the twin does the work
        assert await job_count(queue.app, "failed") == 1
        await drain(queue, h.scheduler, WORK_QUEUE)
        assert feed_server.hits["/feed.xml"] == 2  # /subscribe, then one poll
        assert await job_count(queue.app, "todo") == 0
        assert await job_count(queue.app, "doing") == 0
