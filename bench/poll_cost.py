"""What polling costs the database and the CPU: a steady poll, and a cold start.

Usage::

    python bench/poll_cost.py [--database-url URL] [--feeds 200] [--cold-feeds 100]

Without ``--database-url`` a temporary SQLite file is used; a PostgreSQL database is
emptied first. Feeds are served from 127.0.0.1 (tests/support/feeds.py).

**Steady poll.** Every feed answers 304 Not Modified. *before* is what a poll used to do
after its fetch: record the validators (one transaction), then the next poll time
(another), on an engine with ``pool_pre_ping``; *after* is the real poller
(``FeedPoller.poll``, one UPDATE) on the engine the bot makes. Both run in the same
process against the same feeds, in alternating rounds; the table gives statements,
round trips (statements, BEGIN and COMMIT of each transaction, three per asyncpg ping:
tests/support/statements.py) and milliseconds per poll, fetch included.

**Cold start.** ``--cold-feeds`` feeds with 10 new items each, every item a real
multi-paragraph article (tests/fixtures/seed-article.txt), stored through
``FeedIngestor.store_parsed``, 32 feeds at a time as the poller does (summaries share one
interpreter, so they queue behind each other while the database writes overlap): as a
subscription's backlog (stored only to be marked read), and as a poll with the backlog
bound at 100 (default) and at 3 per feed. *before* summarises every item
(``summarise=True``, ``summarise_newest=0``: what the bot did); *after* summarises only
what a digest can show. Each case runs twice in alternating order; the mean is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.app.wiring import App, open_app  # noqa: E402
from bot.models import ChatTarget, Feed, ParsedFeed  # noqa: E402
from bot.news.parse import parse_feed  # noqa: E402
from bot.store.repository import Store  # noqa: E402
from config.settings import normalise_database_url  # noqa: E402
from tests.support.databases import empty_database  # noqa: E402
from tests.support.feeds import (  # noqa: E402
    SEED_BODY,
    SEED_TITLE,
    FeedServer,
    rss_feed,
    start_feed_server,
)
from tests.support.settings import make_settings  # noqa: E402
from tests.support.statements import StatementCount, StatementCounter  # noqa: E402

ROUNDS = 4
ITEMS_PER_FEED = 10
#: Feeds stored at once in the cold start, as the poller's default concurrency.
CONCURRENCY = 32


@dataclass
class Cost:
    polls: int = 0
    statements: int = 0
    round_trips: int = 0
    seconds: float = 0.0

    def add(self, count: StatementCount, seconds: float, polls: int) -> None:
        self.polls += polls
        self.statements += len(count.statements)
        self.round_trips += count.round_trips
        self.seconds += seconds


async def steady_feeds(app: App, server: FeedServer, count: int) -> list[Feed]:
    """``count`` followed feeds, each polled once, answering 304 from now on."""
    store = app.services.store
    chat = await store.get_or_create_chat(ChatTarget("console", "bench"))
    ids = []
    for n in range(count):
        url = server.serve(f"/steady-{n}.xml", rss_feed([]), etag=f'"{n}"')
        feed = await store.get_or_create_feed(url)
        await store.subscribe(chat.pk, feed.id)
        ids.append(feed.id)
    await app.services.poller.poll(await store.get_feeds(ids))
    return await store.get_feeds(ids)


async def old_steady_poll(app: App, store: Store, feed: Feed) -> None:
    """A 304 poll's writes as the bot made them: outcome, then schedule (two transactions)."""
    fetched = await app.services.ingestor.fetcher.fetch(
        feed.url, etag=feed.etag, last_modified=feed.last_modified
    )
    assert fetched.not_modified
    now = app.services.clock()
    await store.record_poll_success(
        feed.id,
        now=now,
        etag=fetched.etag or feed.etag,
        last_modified=fetched.last_modified or feed.last_modified,
    )
    interval = (feed.poll_interval_seconds or 60) * 1.5
    await store.schedule_next_poll(
        feed.id, next_poll_at=now + timedelta(seconds=interval), interval_seconds=round(interval)
    )


async def bench_steady(app: App, url: str, feeds: int) -> dict[str, Cost]:
    server = FeedServer()
    runner = await start_feed_server(server)
    # The engine the bot used to make: pooled connections pinged on every checkout.
    old_store = Store(create_async_engine(url, pool_pre_ping=url.startswith("postgresql")))
    costs = {"before": Cost(), "after": Cost()}
    try:
        steady = await steady_feeds(app, server, feeds)
        poller = app.services.poller
        for round_no in range(ROUNDS):
            for variant in ("before", "after") if round_no % 2 == 0 else ("after", "before"):
                engine = old_store.engine if variant == "before" else app.services.store.engine
                with StatementCounter(engine) as counter:
                    started = time.perf_counter()
                    for feed in steady:
                        if variant == "before":
                            await old_steady_poll(app, old_store, feed)
                        else:
                            report, _ = await poller.poll([feed])
                            assert report.not_modified == 1, report
                    elapsed = time.perf_counter() - started
                if round_no:  # the first round warms the pools and caches up
                    costs[variant].add(counter.count, elapsed, len(steady))
    finally:
        await old_store.close()
        await runner.cleanup()
    return costs


def cold_document(tag: str, feed: int) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in SEED_BODY.split("\n\n") if p)
    items = [
        {
            "guid": f"{tag}-{feed}-{n}",
            "title": f"{SEED_TITLE} ({tag} {feed}.{n})",
            "link": f"https://news.example/{tag}/{feed}/{n}",
            "description": paragraphs,
            "pubDate": f"Thu, 15 Jan 2026 {n:02d}:00:00 +0000",
        }
        for n in range(ITEMS_PER_FEED)
    ]
    return rss_feed(items, title=f"Cold {tag} {feed}")


async def cold_run(
    app: App, tag: str, feeds: int, *, backlog: bool, newest: int
) -> tuple[float, float]:
    """Seconds (wall, CPU of the process) to store ``feeds`` feeds' 10 new items each,
    summarising as configured."""
    store, ingestor = app.services.store, app.services.ingestor
    documents = []
    for n in range(feeds):
        url = f"https://cold.example/{tag}/{n}.xml"
        documents.append(
            (await store.get_or_create_feed(url), parse_feed(cold_document(tag, n).encode(), url))
        )
    ingestor.summarise_newest = newest
    slots = asyncio.Semaphore(CONCURRENCY)

    async def store_one(feed: Feed, parsed: ParsedFeed) -> None:
        async with slots:
            await ingestor.store_parsed(feed, parsed, fetch_pages=False, summarise=not backlog)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(store_one(feed, parsed) for feed, parsed in documents))
    return time.perf_counter() - started, time.process_time() - cpu


async def bench_cold(app: App, feeds: int) -> list[tuple[str, float, float, float, float]]:
    ingestor = app.services.ingestor
    configured = ingestor.summarise_newest
    cases = [
        ("subscription backlog (stored as read)", True, 100),
        ("first poll, backlog bound 100 (default)", False, 100),
        ("first poll, backlog bound 3", False, 3),
    ]
    rows = []
    try:
        await cold_run(app, "warm", 2, backlog=False, newest=0)  # models loaded, caches warm
        for number, (name, backlog, bound) in enumerate(cases):
            seconds = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
            for round_no in range(2):  # alternating, so neither always runs on a warmer cache
                order = ("before", "after") if round_no == 0 else ("after", "before")
                for variant in order:
                    tag = f"{variant[0]}{number}r{round_no}"
                    wall, cpu = (
                        await cold_run(app, tag, feeds, backlog=False, newest=0)
                        if variant == "before"
                        else await cold_run(app, tag, feeds, backlog=backlog, newest=bound)
                    )
                    seconds[variant][0] += wall / 2
                    seconds[variant][1] += cpu / 2
            rows.append((name, *seconds["before"], *seconds["after"]))
    finally:
        ingestor.summarise_newest = configured
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--feeds", type=int, default=200, help="steady feeds")
    parser.add_argument("--cold-feeds", type=int, default=100, help="feeds of the cold start")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as workdir:
        url = normalise_database_url(
            args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        )
        await empty_database(url)
        async with open_app(make_settings(url)) as app:
            backend = app.services.store.engine.dialect.name
            steady = await bench_steady(app, url, args.feeds)
            cold = await bench_cold(app, args.cold_feeds)
    before, after = steady["before"], steady["after"]
    print(f"\n{backend}: steady poll (304), {args.feeds} feeds x {ROUNDS - 1} rounds\n")
    print("| per poll | before | after | after / before |")
    print("|---|---:|---:|---:|")
    for label, old, new in (
        ("statements", before.statements / before.polls, after.statements / after.polls),
        ("round trips", before.round_trips / before.polls, after.round_trips / after.polls),
        (
            "ms (fetch included)",
            1000 * before.seconds / before.polls,
            1000 * after.seconds / after.polls,
        ),
    ):
        print(f"| {label} | {old:.2f} | {new:.2f} | {new / old:.2f} |")
    print(f"\n{backend}: cold start, {args.cold_feeds} feeds x {ITEMS_PER_FEED} new items\n")
    print("| case | before s | after s | after / before | CPU s before | CPU s after |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, old_s, old_cpu, new_s, new_cpu in cold:
        ratio = new_s / old_s
        print(
            f"| {name} | {old_s:.2f} | {new_s:.2f} | {ratio:.2f} | {old_cpu:.2f} | {new_cpu:.2f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
