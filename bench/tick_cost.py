"""What a worker's poll tick costs when the due feeds' jobs are already queued.

Usage::

    python bench/tick_cost.py --database-url postgresql://… [--feeds 5000] [--rounds 5]

PostgreSQL only (the job queue lives there); the database is emptied first. One chat
follows ``--feeds`` feeds, all due. The first tick queues a ``poll feed`` job for each;
no worker runs them, so every later tick finds every due feed queued already, as it does
when the workers are behind. *before* is what a tick used to do then: try to defer each
feed's job and be refused by the queueing lock; *after* is ``RoleTicker.defer_due_polls``
(one query for the names already queued, then nothing to defer). Both run in the same
process in alternating rounds; the table gives milliseconds per tick (the due-feed query
included) and job INSERTs tried per tick (the job id sequence moves on a refused one).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bot.app.runner import build_scheduler  # noqa: E402
from bot.app.wiring import open_app  # noqa: E402
from bot.distributed.app import apply_schema, build_queue_app, psycopg_conninfo  # noqa: E402
from bot.distributed.tasks import JobQueue  # noqa: E402
from bot.distributed.ticker import RoleTicker  # noqa: E402
from bot.models import ChatTarget  # noqa: E402
from bot.store.repository import Store  # noqa: E402
from bot.store.tables import FeedRow, SubscriptionRow  # noqa: E402
from config.settings import normalise_database_url  # noqa: E402
from tests.support.databases import empty_database  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402


async def seed(store: Store, feeds: int) -> None:
    """One Telegram chat following ``feeds`` feeds, every one due an hour ago."""
    chat = await store.get_or_create_chat(ChatTarget("telegram", "1"))
    due = store.clock() - timedelta(hours=1)
    async with store.session() as session:
        rows = [
            {"url": f"https://feeds.example/{n}.xml", "next_poll_at": due} for n in range(feeds)
        ]
        await session.execute(insert(FeedRow), rows)
        await session.commit()
    async with store.session() as session:
        ids = list(await session.scalars(select(FeedRow.id)))
        await session.execute(
            insert(SubscriptionRow), [{"chat_pk": chat.pk, "feed_id": i} for i in ids]
        )
        await session.commit()


async def old_defer_due_polls(ticker: RoleTicker) -> int:
    """The tick as it was: defer every due feed, the queueing lock refusing the queued."""
    scheduler = ticker.scheduler
    due = await scheduler.store.due_feed_ids(scheduler.clock(), platforms=scheduler.platforms)
    queued = 0
    for feed_id in due:
        if await ticker.queue.poll_feed(feed_id):
            queued += 1
    return queued


async def inserts_tried(url: str) -> int:
    async with await psycopg.AsyncConnection.connect(psycopg_conninfo(url)) as connection:
        cursor = await connection.execute("SELECT last_value FROM procrastinate_jobs_id_seq")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    url = normalise_database_url(args.database_url)
    await empty_database(url)
    await apply_schema(url)
    async with open_app(make_settings(url)) as app:
        await seed(app.services.store, args.feeds)
        scheduler = build_scheduler(app, [], serving=["telegram"])
        queue_app = build_queue_app(url)
        async with queue_app.open_async():
            ticker = RoleTicker(
                scheduler, JobQueue(queue_app), stalled_seconds=60, recover_every_seconds=30
            )
            start = time.perf_counter()
            first = await ticker.defer_due_polls()
            first_ms = 1000 * (time.perf_counter() - start)
            results: dict[str, list[tuple[float, int]]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for name, tick in (
                    ("before", old_defer_due_polls),
                    ("after", RoleTicker.defer_due_polls),
                ):
                    tried = await inserts_tried(url)
                    start = time.perf_counter()
                    assert await tick(ticker) == 0
                    elapsed = 1000 * (time.perf_counter() - start)
                    results[name].append((elapsed, await inserts_tried(url) - tried))
    print(
        f"\npostgresql: {args.feeds} due feeds; the first tick queued {first} jobs in "
        f"{first_ms:.0f} ms; then {args.rounds} rounds with every job already queued\n"
    )
    print("| tick | ms (median) | ms (min) | job INSERTs tried |")
    print("|---|---:|---:|---:|")
    for name, runs in results.items():
        times = [ms for ms, _ in runs]
        print(
            f"| {name} | {statistics.median(times):.0f} | {min(times):.0f} | "
            f"{statistics.median(n for _, n in runs):.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
