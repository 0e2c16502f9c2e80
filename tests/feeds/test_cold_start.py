"""A cold start summarises only what a digest can show.

Summarising is most of what storing a new story costs (~9 ms an article), and a cold start
(every feed with its whole document new) summarised stories no chat would ever see: the
backlog a chat subscribes to (stored only to be marked read) and, on any poll, items
beyond the newest NEWSDIGEST_BACKLOG_PER_FEED of the document, which the backlog bound
marks read at once. They are now stored with an empty summary, and a digest that does show
one (another feed carrying the story, a filter that hid the newer ones) summarises it
then, the way it already re-summarises for a chat with its own summary settings. Through
the real subscribe flow, poll loop and composer, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.models import ChatTarget
from bot.store.repository import Store
from bot.store.tables import ArticleRow
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, rss_feed, seed_items


async def stored_summaries(store: Store) -> dict[str, str]:
    """Each stored article's summary, by title."""
    async with store.engine.connect() as connection:
        rows = await connection.execute(select(ArticleRow.title, ArticleRow.summary))
        return {title: summary for title, summary in rows.all()}


def dated(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """The items with publication times an hour apart, the first one the newest."""
    count = len(items)
    return [
        {**item, "pubDate": f"Thu, 15 Jan 2026 {count - n:02d}:00:00 +0000"}
        for n, item in enumerate(items)
    ]


async def test_items_past_the_backlog_bound_are_stored_without_a_summary(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path, backlog_per_feed=3) as h:
        store = h.app.services.store
        chat = await store.get_or_create_chat(ChatTarget("console", "cold"))
        items = dated(seed_items(1, 2, 3, 4, 5, 6))  # seed-1 is the newest
        url = feed_server.serve("/cold.xml", rss_feed(items))
        await store.subscribe(chat.pk, (await store.get_or_create_feed(url)).id)

        report, new_ids = await h.scheduler.poller.poll_due()

        assert (report.fetched, len(new_ids)) == (1, 6)
        summaries = await stored_summaries(store)
        newest = {item["title"] for item in items[:3]}
        assert {title for title, summary in summaries.items() if summary} == newest
        digest = await h.app.services.composer.compose(chat)
        assert digest is not None
        assert {item.title for item in digest.items} == newest
        assert all(item.summary for item in digest.items)


async def test_a_subscribe_backlog_is_summarised_only_when_a_digest_shows_it(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        services = h.app.services
        store = services.store
        items = seed_items(1, 2)
        first = feed_server.serve("/first.xml", rss_feed(items, title="First"))
        reader = await store.get_or_create_chat(ChatTarget("console", "reader"))
        added = await services.subscriber.add(reader, first)
        assert added.subscription is not None

        # The backlog is marked read for this chat: nothing was summarised for it.
        assert set((await stored_summaries(store)).values()) == {""}

        # A second feed carries the same stories: its chat is shown them, summarised now.
        second = feed_server.serve("/second.xml", rss_feed(items, title="Second"))
        other = await store.get_or_create_chat(ChatTarget("console", "other"))
        await store.subscribe(other.pk, (await store.get_or_create_feed(second)).id)
        report, new_ids = await h.scheduler.poller.poll_due()  # both feeds fall due
        assert (report.fetched, report.failed, len(new_ids)) == (2, 0, 2)
        digest = await services.composer.compose(other)

        assert digest is not None
        assert {item.title for item in digest.items} == {item["title"] for item in items}
        for item in digest.items:
            assert item.summary
            assert len(item.summary) == services.settings.summary_sentences
        assert await services.composer.compose(reader) is None  # still read for the reader
