"""Store benchmark: the hot queries at a million articles, timed and EXPLAINed.

Usage::

    python bench/store_scale.py --database-url postgresql://postgres@127.0.0.1/bench \\
        [--articles 1000000] [--feeds 1000] [--chats 50]

Without ``--database-url`` a temporary SQLite file is used. THE DATABASE IS EMPTIED FIRST
(PostgreSQL: its ``public`` schema is dropped), so point it at a scratch database.

The tables are filled server-side (a recursive CTE, the same SQL on both databases):
``--feeds`` feeds, ``--articles`` articles spread over them with one feed entry each,
``--chats`` chats following 10 feeds each and having seen all but the newest stories, 100,000
sent deliveries and a few pending ones. Each of the store's hot calls then runs through the
real repository code, its SQL is captured and run again under EXPLAIN (ANALYZE on
PostgreSQL, QUERY PLAN on SQLite), and the table shows the median of five runs and the
plan's access paths: a sequential scan of a big table is what to look for.

One more chat follows a feed of its own with ``--backlog`` (default 50,000) unseen stories,
all within the age bound: a second table compares what a digest reads for it, everything
in full (``Store.unseen_articles``, as digests did) against the bounded read digests do
now (ids of all, in full only the newest NEWSDIGEST_BACKLOG_PER_FEED; bot.digest.reading).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot.digest.backlog import BacklogPolicy  # noqa: E402
from bot.digest.reading import read_unseen  # noqa: E402
from bot.store.repository import Store  # noqa: E402
from bot.store.retention import RetentionPolicy  # noqa: E402
from config.settings import normalise_database_url  # noqa: E402
from tests.support.databases import empty_database  # noqa: E402

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
FEEDS_PER_CHAT = 10
UNSEEN_PER_FEED = 20
SENT_DELIVERIES = 100_000


def series(count: int) -> str:
    return (
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count)}) "
    )


def timestamp(value: datetime, dialect: str) -> str:
    """A UTC time as the store writes it: a typed literal on PostgreSQL, SQLAlchemy's text
    form on SQLite (it keeps no offset)."""
    if dialect == "postgresql":
        return f"TIMESTAMPTZ '{value:%Y-%m-%d %H:%M:%S}+00'"
    return f"'{value:%Y-%m-%d %H:%M:%S}.000000'"


def seed_statements(
    articles: int, feeds: int, chats: int, dialect: str, backlog: int = 0
) -> list[str]:
    """Server-side inserts; ids are given explicitly so that they line up across tables.

    Feed ``feeds + 1`` carries articles ``articles + 1`` to ``articles + backlog``, all
    unseen by chat ``chats + 1``, its only follower (the backlog chat), and an hour old.
    """
    start = timestamp(NOW - timedelta(days=90), dialect)
    due = timestamp(NOW, dialect)
    later = timestamp(NOW + timedelta(hours=1), dialect)
    newest_seen = articles - UNSEEN_PER_FEED * feeds
    recent = timestamp(NOW - timedelta(hours=1), dialect)
    backlog_statements = [
        f"INSERT INTO feeds (id, url, title, consecutive_failures, disabled, full_text, "
        f"created_at, next_poll_at) VALUES ({feeds + 1}, 'https://backlog.example/feed', "
        f"'Backlog', 0, false, true, {start}, {later})",
        series(backlog) + "INSERT INTO articles (id, link_key, link, title, text, summary, "
        f"created_at) SELECT {articles} + i, 'b.example/' || i, 'https://b.example/' || i, "
        f"'Waiting ' || i, '{'Body text of a story. ' * 25}', 'A summary.', {recent} FROM n",
        series(backlog) + "INSERT INTO feed_entries (id, feed_id, entry_key, link_key, "
        f"article_id, first_seen_at) SELECT {articles} + i, {feeds + 1}, 'guid:b' || i, "
        f"'b.example/' || i, {articles} + i, {recent} FROM n",
        "INSERT INTO chats (id, platform, chat_id, thread_id, settings, active, created_at) "
        f"VALUES ({chats + 1}, 'console', 'backlog', '', '{{}}', true, {start})",
        "INSERT INTO subscriptions (id, chat_pk, feed_id, start_entry_id, created_at) "
        f"VALUES ({chats * FEEDS_PER_CHAT + 1}, {chats + 1}, {feeds + 1}, 0, {start})",
    ]
    return [
        series(feeds) + "INSERT INTO feeds (id, url, title, consecutive_failures, disabled, "
        "full_text, created_at, next_poll_at) SELECT i, 'https://f' || i || '.example/feed', "
        f"'Feed ' || i, 0, false, true, {start}, CASE WHEN i % 2 = 0 THEN {due} "
        f"ELSE {later} END FROM n",
        series(articles) + "INSERT INTO articles (id, link_key, link, title, text, summary, "
        "created_at) SELECT i, 'a.example/' || i, 'https://a.example/' || i, 'Story ' || i, "
        f"'{'Body text of a story. ' * 25}', 'A summary.', {start} FROM n",
        series(articles) + "INSERT INTO feed_entries (id, feed_id, entry_key, link_key, "
        "article_id, first_seen_at) SELECT i, (i % "
        f"{feeds}) + 1, 'guid:' || i, 'a.example/' || i, i, {start} FROM n",
        series(chats) + "INSERT INTO chats (id, platform, chat_id, thread_id, settings, "
        f"active, created_at) SELECT i, 'console', 'chat-' || i, '', '{{}}', true, {start} "
        "FROM n",
        series(chats * FEEDS_PER_CHAT)
        + "INSERT INTO subscriptions (id, chat_pk, feed_id, start_entry_id, created_at) "
        f"SELECT i, ((i - 1) / {FEEDS_PER_CHAT}) + 1, ((i * 7) % {feeds}) + 1, 0, {start} "
        "FROM n",
        "INSERT INTO chat_seen (chat_pk, article_id, seen_at) SELECT s.chat_pk, e.article_id, "
        f"{start} FROM subscriptions s JOIN feed_entries e ON e.feed_id = s.feed_id "
        f"WHERE e.id <= {newest_seen}",
        series(SENT_DELIVERIES)
        + "INSERT INTO deliveries (id, chat_pk, slot, status, payload, attempts, created_at, "
        f"sent_at) SELECT i, (i % {chats}) + 1, 'slot-' || i, 'sent', '{{}}', 1, {start}, "
        f"{start} FROM n",
        series(20) + "INSERT INTO deliveries (id, chat_pk, slot, status, payload, attempts, "
        f"created_at) SELECT {SENT_DELIVERIES} + i, (i % {chats}) + 1, 'pending-' || i, "
        f"'pending', '{{}}', 0, {due} FROM n",
        *(backlog_statements if backlog else []),
    ]


async def seed(store: Store, articles: int, feeds: int, chats: int, backlog: int) -> float:
    began = time.perf_counter()
    async with store.engine.begin() as connection:
        for statement in seed_statements(articles, feeds, chats, connection.dialect.name, backlog):
            await connection.exec_driver_sql(statement)
        if connection.dialect.name == "postgresql":
            for table in ("feeds", "articles", "feed_entries", "chats", "subscriptions"):
                await connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            await connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('deliveries', 'id'), "
                "(SELECT max(id) FROM deliveries))"
            )
    print(f"seeded in {time.perf_counter() - began:.1f} s; analysing", file=sys.stderr)
    if store.engine.dialect.name == "postgresql":
        async with store.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
    else:
        async with store.engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - began


class Capture:
    """The SQL statements the store sends while a block runs."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine.sync_engine
        self.statements: list[tuple[str, Any]] = []

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))


async def explain(store: Store, statement: str, parameters: Any) -> str:
    """The plan's access paths, compressed to one cell."""
    postgres = store.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
    async with store.engine.connect() as connection:
        result = await connection.exec_driver_sql(prefix + statement, parameters)
        lines = [" ".join(str(part) for part in row) for row in result]
    paths = []
    for line in lines:
        found = re.search(
            r"(Seq Scan on \w+|Index Only Scan using \w+|Index Scan using \w+|"
            r"Bitmap Index Scan on \w+|SCAN \w+(?: USING (?:COVERING )?INDEX \w+)?|"
            r"SEARCH \w+ USING (?:COVERING |INTEGER PRIMARY KEY )?(?:INDEX \w+)?)",
            line,
        )
        if found and found.group(1) not in paths:
            paths.append(found.group(1))
    return "; ".join(paths) or "-"


async def timed(call: Callable[[], Awaitable[Any]], runs: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


async def digest_reads(store: Store, chat_pk: int) -> list[tuple[str, ...]]:
    """What a digest reads for the backlog chat: everything in full, as digests did, against
    the bounded read (with the default bounds) they do now."""

    async def everything() -> int:
        return len(await store.unseen_articles(chat_pk))

    async def bounded() -> tuple[int, int]:
        refs = await store.unseen_refs(chat_pk)
        reading = await read_unseen(
            store, refs, article_filter=None, backlog=BacklogPolicy(), now=NOW
        )
        return len(reading.wanted), len(refs)

    before_ms, before_rows = await timed(everything)
    after_ms, (after_rows, listed) = await timed(bounded)
    return [
        (
            f"{listed:,}",
            f"{before_rows:,}",
            f"{before_ms:.1f}",
            f"{after_rows:,} (+ {listed - after_rows:,} ids)",
            f"{after_ms:.1f}",
        )
    ]


async def run(
    url: str, articles: int, feeds: int, chats: int, backlog: int
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    await empty_database(url)
    store = await Store.open(url)
    try:
        seconds = await seed(store, articles, feeds, chats, backlog)
        print(f"seeded {articles:,} articles in {seconds:.1f} s", file=sys.stderr)
        calls: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], int]]] = [
            ("unseen articles of a chat", lambda: store.unseen_articles(1), len),
            ("due feed ids", lambda: store.due_feed_ids(NOW), len),
            ("pending deliveries", store.pending_deliveries, len),
            (
                "known entry keys (50)",
                lambda: store.known_entry_keys(1, [f"guid:{i}" for i in range(0, 50_000, 1000)]),
                len,
            ),
        ]
        rows = []
        for name, call, size in calls:
            print(f"timing {name}", file=sys.stderr)
            with Capture(store) as capture:
                await call()
            median, result = await timed(call)
            plans = [await explain(store, sql, params) for sql, params in capture.statements]
            rows.append((name, f"{size(result):,}", f"{median:.1f}", " | ".join(plans)))
        print("digest reads of the backlog chat", file=sys.stderr)
        reads = await digest_reads(store, chats + 1) if backlog else []
        print("pruning", file=sys.stderr)
        policy = RetentionPolicy(max_age_days=30, keep_per_feed=50)
        began = time.perf_counter()
        report = await store.prune(policy, now=NOW)
        prune_ms = (time.perf_counter() - began) * 1000
        rows.append(("prune (first, all feeds)", report.describe(), f"{prune_ms:.0f}", "-"))
        return rows, reads
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="scratch database (emptied!); default SQLite")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=50_000, help="the backlog chat's unseen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = normalise_database_url(
            args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        )
        rows, reads = asyncio.run(run(url, args.articles, args.feeds, args.chats, args.backlog))
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n{backend}, {args.articles:,} articles, {args.feeds:,} feeds, {args.chats} chats\n")
    print("| query | rows | median ms | plan (access paths) |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if reads:
        print("\nwhat a digest reads for a chat with a large backlog (default bounds)\n")
        print("| unseen | all in full: rows | ms | bounded: rows in full | ms |")
        print("|---|---|---|---|---|")
        for row in reads:
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
