"""Bounded tables: the store forgets what no chat can be shown, and nothing else.

On SQLite and (with TEST_DATABASE_URL) PostgreSQL. The guards that matter to a reader: an
unseen story is never forgotten, an article another feed still carries stays, and an item
its feed still lists never comes back as new after a prune (checked through the poll loop).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.status import status_report
from bot.models import ChatTarget, NewArticle
from bot.news.links import bounded_key
from bot.store.repository import Store
from bot.store.retention import RetentionPolicy
from bot.store.tables import ArticleRow, ChatSeenRow, DeliveryRow, FeedEntryRow
from main import main as run_cli
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, new_article, rss_feed, stories

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=100)
POLICY = RetentionPolicy(max_age_days=60, keep_per_feed=2, sent_days=30, failed_days=90)


async def count(store: Store, table: type) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def feed_with(store: Store, url: str, articles: list[NewArticle], *, at: datetime) -> int:
    feed = await store.get_or_create_feed(url)
    for article in articles:  # one at a time: entry ids follow the list
        await store.store_articles(feed.id, [article], now=at)
    return feed.id


async def test_old_stories_every_subscriber_saw_are_forgotten_with_their_seen_marks(
    store: Store,
) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id)
    old = [new_article(n, published=LONG_AGO) for n in range(1, 6)]
    ids = await store.store_articles(feed.id, old, now=LONG_AGO)
    await store.mark_seen(chat.pk, ids, now=LONG_AGO)
    young = new_article(6, published=NOW)
    [young_id] = await store.store_articles(feed.id, [young], now=NOW - timedelta(days=1))
    await store.mark_seen(chat.pk, [young_id], now=NOW)

    report = await store.prune(POLICY, now=NOW)

    # The newest two entries stay whatever their age (story 5 is as old as 1 to 4).
    assert (report.entries, report.articles, report.seen_marks) == (4, 4, 4)
    assert await count(store, FeedEntryRow) == 2
    assert await count(store, ArticleRow) == 2
    assert await count(store, ChatSeenRow) == 2
    again = await store.prune(POLICY, now=NOW)
    assert (again.entries, again.articles) == (0, 0)


async def test_a_story_a_subscribed_chat_has_not_seen_is_never_forgotten(store: Store) -> None:
    reader = await store.get_or_create_chat(ChatTarget("console", "reader"))
    away = await store.get_or_create_chat(ChatTarget("console", "paused-for-months"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(reader.pk, feed.id)
    await store.subscribe(away.pk, feed.id)
    ids = await store.store_articles(
        feed.id, [new_article(n, published=LONG_AGO) for n in range(1, 6)], now=LONG_AGO
    )
    await store.mark_seen(reader.pk, ids, now=LONG_AGO)
    await store.mark_seen(away.pk, ids[:1], now=LONG_AGO)

    report = await store.prune(POLICY, now=NOW)

    assert report.entries == 1  # only the one both chats saw (and not among the newest two)
    assert [a.id for a in await store.unseen_articles(away.pk)] == sorted(ids[1:], reverse=True)


async def test_a_muted_subscription_does_not_hold_the_prune(store: Store) -> None:
    """Unmuting skips what came while muted, so a muted chat can never be shown it."""
    reader = await store.get_or_create_chat(ChatTarget("console", "reader"))
    muting = await store.get_or_create_chat(ChatTarget("console", "muting"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(reader.pk, feed.id)
    muted, _ = await store.subscribe(muting.pk, feed.id)
    assert await store.set_muted(muted.id, True)
    ids = await store.store_articles(
        feed.id, [new_article(n, published=LONG_AGO) for n in range(1, 6)], now=LONG_AGO
    )
    await store.mark_seen(reader.pk, ids, now=LONG_AGO)

    report = await store.prune(POLICY, now=NOW)

    assert report.entries == 3  # all but the newest two, although "muting" never saw them
    assert await store.set_muted(muted.id, False)
    assert await store.unseen_refs(muting.pk) == []  # and unmuting shows none of them
    assert not await store.set_muted(10**12, True)  # no such subscription


async def test_stories_from_before_a_chat_subscribed_do_not_hold_the_prune(store: Store) -> None:
    feed_id = await feed_with(
        store,
        "https://a.example/feed",
        [new_article(n, published=LONG_AGO) for n in range(1, 5)],
        at=LONG_AGO,
    )
    late = await store.get_or_create_chat(ChatTarget("console", "late"))
    await store.subscribe(late.pk, feed_id)  # watermark: the backlog is not theirs to read

    report = await store.prune(POLICY, now=NOW)

    assert report.entries == 2


async def test_an_article_another_feed_still_carries_stays(store: Store) -> None:
    shared = new_article(1, published=LONG_AGO)
    first = await feed_with(
        store,
        "https://a.example/feed",
        [shared] + [new_article(n, published=LONG_AGO) for n in (2, 3)],
        at=LONG_AGO,
    )
    await feed_with(store, "https://b.example/feed", [shared], at=LONG_AGO)

    report = await store.prune(POLICY, now=NOW)

    assert report.entries == 1  # feed a's copy; feed b's only entry is among its newest
    assert report.articles == 0
    async with store.session() as session:
        remaining = set(await session.scalars(select(FeedEntryRow.feed_id)))
    assert first in remaining
    assert len(remaining) == 2


async def test_hostile_text_does_not_stop_a_prune(store: Store) -> None:
    hostile = [
        NewArticle(
            entry_key=bounded_key(f"guid:\u202e{n}\x00{'é' * 2000}"),
            link_key=None,
            link=f"https://x.example/{n}?q=\x00",
            title="\x00\u202e" + "💥" * 3000,
            author=None,
            published=LONG_AGO,
            text="\x00" * 10,
            summary=["\ud800 lone surrogate"],
            language="en",
        )
        for n in range(4)
    ]
    await feed_with(store, "https://x.example/feed", hostile, at=LONG_AGO)

    report = await store.prune(POLICY, now=NOW)

    assert (report.entries, report.articles) == (2, 2)


async def test_sent_and_failed_deliveries_go_after_their_days_pending_ones_stay(
    store: Store,
) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
    for slot, created in (
        ("old-sent", 40),
        ("new-sent", 10),
        ("old-failed", 100),
        ("pending", 200),
    ):
        await store.commit_digest(
            chat.pk, slot, {"text": slot}, [], now=NOW - timedelta(days=created)
        )
    by_slot = {d.slot: d for d in await store.pending_deliveries()}
    await store.mark_delivered(by_slot["old-sent"].id, now=NOW - timedelta(days=40), message_ids=[])
    await store.mark_delivered(by_slot["new-sent"].id, now=NOW - timedelta(days=10), message_ids=[])
    async with store.session() as session:
        row = await session.get(DeliveryRow, by_slot["old-failed"].id)
        assert row is not None
        row.status = "failed"
        await session.commit()

    report = await store.prune(POLICY, now=NOW)

    assert report.deliveries == 2
    async with store.session() as session:
        assert set(await session.scalars(select(DeliveryRow.slot))) == {"new-sent", "pending"}


async def test_zero_days_keeps_everything(store: Store) -> None:
    await feed_with(
        store,
        "https://a.example/feed",
        [new_article(n, published=LONG_AGO) for n in range(1, 6)],
        at=LONG_AGO,
    )
    report = await store.prune(RetentionPolicy(0, 2, 0, 0), now=NOW)
    assert report.describe() == "0 feed entries, 0 articles, 0 seen marks, 0 deliveries"


async def test_an_item_the_feed_still_lists_never_returns_after_a_prune(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    clock = FakeClock(NOW)
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/schedule instant")
        # The feed goes on publishing; it lists its three newest items at any time.
        for newest in range(2, 9):
            feed_server.serve(
                "/feed.xml", rss_feed(stories(*range(newest, max(newest - 3, 0), -1)))
            )
            clock.advance(days=20)
            await h.scheduler.poll_feeds()
            await h.scheduler.deliver()
        shown = [item.title for reply in h.platform.digests() for item in reply.digest.items]
        assert shown == [f"Story {n}" for n in range(2, 9)]

        h.scheduler.retention = RetentionPolicy(max_age_days=30, keep_per_feed=3)
        report = await h.scheduler.prune()
        assert report.entries >= 3  # Story 1 to 5 are long gone from the feed

        clock.advance(days=1)
        await h.scheduler.poll_feeds()
        await h.scheduler.deliver()
        shown_after = [item.title for reply in h.platform.digests() for item in reply.digest.items]
        assert shown_after == shown  # Story 6, 7 and 8 are still listed, still known


async def test_status_shows_table_sizes(store: Store) -> None:
    await feed_with(
        store,
        "https://a.example/feed",
        [new_article(n, published=LONG_AGO) for n in range(1, 4)],
        at=LONG_AGO,
    )
    report = await status_report(store, now=NOW, default_timezone="UTC")
    tables = report.split("Tables (rows; bounded by NEWSDIGEST_RETENTION_*):\n")[1].splitlines()
    rows = {line.split()[0]: int(line.split()[1]) for line in tables}
    assert (rows["articles"], rows["feed_entries"], rows["deliveries"]) == (3, 3, 0)


def test_main_py_prune_applies_the_configured_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    sent_at = datetime.now(UTC) - timedelta(days=40)

    async def seed() -> None:
        store = await Store.open(database_url)
        chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
        for slot in ("sent 40 days ago", "pending"):
            await store.commit_digest(chat.pk, slot, {"text": slot}, [], now=sent_at)
        [first, _] = await store.pending_deliveries()
        await store.mark_delivered(first.id, now=sent_at, message_ids=[])
        await store.close()

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSDIGEST_RETENTION_SENT_DAYS", "50")
    assert run_cli(["prune"]) == 0
    assert capsys.readouterr().out.strip() == (
        "removed 0 feed entries, 0 articles, 0 seen marks, 0 deliveries"
    )
    monkeypatch.setenv("NEWSDIGEST_RETENTION_SENT_DAYS", "30")
    assert run_cli(["prune"]) == 0
    assert capsys.readouterr().out.strip() == (
        "removed 0 feed entries, 0 articles, 0 seen marks, 1 deliveries"
    )
