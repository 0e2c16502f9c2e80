"""Upgrading a database stored under the old identity rules loses nothing and resends nothing.

The old rules keyed link-only items by their link (``link:<key>``) and merged articles on
the link without its fragment. Migration 0005 re-keys what is stored; these tests build a
revision-0004 database the way the old code filled it (real feeds: a micro-blog whose
posts are ``day.html#anchor`` permalinks, and Macworld's feed without guids), upgrade it,
and poll the same documents again through the real pipeline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.app.wiring import open_app
from bot.models import ChatTarget, Feed, ParsedFeed
from bot.news.links import normalise_link
from bot.news.parse import parse_feed
from bot.store.database import create_engine
from bot.store.repository import Store
from tests.support import FIXTURES
from tests.support.clock import FakeClock
from tests.support.feeds import rss_feed
from tests.support.migrations import OLD_CHAT, OldEntry, migrate_to, seed_revision_0004
from tests.support.settings import make_settings

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
MICROBLOG = ("http://scripting.com/rss.xml", "rss2_scripting-news_derived_anchor-permalinks.xml")
NO_GUIDS = ("https://www.macworld.com/index.rss", "rss2_macworld_no-guid_enclosure-images.xml")
TARGET = ChatTarget("telegram", "42")


def parsed(source: tuple[str, str]) -> ParsedFeed:
    url, name = source
    return parse_feed((FIXTURES / "feeds" / name).read_bytes(), url)


def old_link_key(link: str | None) -> str | None:
    """The old normalisation: the same, but with the fragment dropped."""
    return normalise_link(link.split("#", 1)[0]) if link else None


async def seed_old_database(database_url: str) -> None:
    """Revision 0004, filled as the old code did: both feeds read and their stories shown."""
    store = await Store.open(database_url)
    await store.close()
    await migrate_to(database_url, "downgrade", "0004")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as db:
            chat_pk = (
                await db.execute(
                    text(
                        "INSERT INTO chats (platform, chat_id, thread_id, settings, active, "
                        "created_at) VALUES ('telegram', '42', '', '{}', :t, :now) RETURNING id"
                    ),
                    {"t": True, "now": NOW},
                )
            ).scalar_one()
            article_ids: dict[str, int] = {}
            for source in (MICROBLOG, NO_GUIDS):
                feed_id = (
                    await db.execute(
                        text(
                            "INSERT INTO feeds (url, consecutive_failures, disabled, full_text, "
                            "created_at) VALUES (:url, 0, :f, :f, :now) RETURNING id"
                        ),
                        {"url": source[0], "f": False, "now": NOW},
                    )
                ).scalar_one()
                await db.execute(
                    text(
                        "INSERT INTO subscriptions (chat_pk, feed_id, start_entry_id, created_at)"
                        " VALUES (:chat, :feed, 0, :now)"
                    ),
                    {"chat": chat_pk, "feed": feed_id, "now": NOW},
                )
                for article in parsed(source).articles:
                    key = old_link_key(article.link)
                    assert key is not None
                    entry_key = f"guid:{article.guid}" if article.guid else f"link:{key}"
                    if key not in article_ids:
                        article_ids[key] = (
                            await db.execute(
                                text(
                                    "INSERT INTO articles (link_key, link, title, text, summary, "
                                    "created_at) VALUES (:key, :link, :title, '', '', :now) "
                                    "RETURNING id"
                                ),
                                {
                                    "key": key,
                                    "link": article.link,
                                    "title": article.title,
                                    "now": NOW,
                                },
                            )
                        ).scalar_one()
                        await db.execute(
                            text("INSERT INTO chat_seen VALUES (:c, :a, :now)"),
                            {"c": chat_pk, "a": article_ids[key], "now": NOW},
                        )
                    exists = await db.execute(
                        text("SELECT 1 FROM feed_entries WHERE feed_id = :f AND entry_key = :k"),
                        {"f": feed_id, "k": entry_key},
                    )
                    if exists.first() is None:
                        await db.execute(
                            text(
                                "INSERT INTO feed_entries (feed_id, entry_key, article_id, "
                                "first_seen_at) VALUES (:f, :k, :a, :now)"
                            ),
                            {
                                "f": feed_id,
                                "k": entry_key,
                                "a": article_ids[key],
                                "now": NOW,
                            },
                        )
    finally:
        await engine.dispose()


async def test_upgrade_keeps_every_stored_item_known_and_nothing_is_sent_again(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    await seed_old_database(database_url)
    async with open_app(make_settings(database_url), clock=clock) as app:  # upgrades to head
        store, ingestor = app.services.store, app.services.ingestor
        chat = await store.find_chat(TARGET)
        assert chat is not None
        feeds: dict[str, Feed] = {feed.url: feed for feed in await store.list_feeds()}
        for source in (MICROBLOG, NO_GUIDS):
            new_ids = await ingestor.store_parsed(
                feeds[source[0]], parsed(source), fetch_pages=False
            )
            assert new_ids == [], f"{source[1]}: stored items came back as new"
        assert await store.unseen_articles(chat.pk) == []

        # From now on the new rules hold: a new post on a day page already stored is new.
        document = (FIXTURES / "feeds" / MICROBLOG[1]).read_text()
        post = (
            "<item><title>A new post on a known day</title>"
            "<link>http://scripting.com/2017/06/26.html#a999999</link>"
            "<guid>http://scripting.com/2017/06/26.html#a999999</guid>"
            "<pubDate>Mon, 26 Jun 2017 23:00:00 GMT</pubDate>"
            "<description>Something new.</description></item>"
        )
        document = document.replace("<item>", post + "<item>", 1)
        new_ids = await ingestor.store_parsed(
            feeds[MICROBLOG[0]], parse_feed(document.encode(), MICROBLOG[0]), fetch_pages=False
        )
        assert len(new_ids) == 1
        [unseen] = await store.unseen_articles(chat.pk)
        assert unseen.title == "A new post on a known day"


async def test_upgrade_rewrites_link_only_keys_and_keeps_fragments(
    database_url: str, clock: FakeClock
) -> None:
    await seed_old_database(database_url)
    async with open_app(make_settings(database_url), clock=clock):
        pass
    engine = create_engine(database_url)
    try:
        async with engine.connect() as db:
            keys = (await db.execute(text("SELECT entry_key FROM feed_entries"))).scalars().all()
            links = (
                (
                    await db.execute(
                        text(
                            "SELECT e.link_key FROM feed_entries e "
                            "JOIN feeds f ON f.id = e.feed_id WHERE f.url = :url"
                        ),
                        {"url": MICROBLOG[0]},
                    )
                )
                .scalars()
                .all()
            )
            articles = (await db.execute(text("SELECT link_key FROM articles"))).scalars().all()
    finally:
        await engine.dispose()
    link_only = [key for key in keys if key.startswith("link:")]
    assert link_only
    assert all(" title:" in key for key in link_only)
    assert all(link and "#a" in link for link in links)  # each entry's own anchor
    assert any(key and "#a" in key for key in articles)


FERRY = "https://news.example/2026/01/15/ferry-terminal"
A_FEED, B_FEED = "https://a.example/feed.xml", "https://b.example/feed.xml"


def one_item_feed(title: str, link: str, url: str) -> ParsedFeed:
    body = "<p>The harbour authority opened the new ferry terminal on Monday.</p>"
    document = rss_feed([{"title": title, "link": link, "description": body}])
    return parse_feed(document.encode(), url)


async def test_an_item_merged_into_another_feeds_article_stays_known_after_the_upgrade(
    database_url: str, clock: FakeClock
) -> None:
    """Before 0005, feed B's item without an id was merged into the article feed A brought
    first; the upgrade keys B's entry with A's title. B's own title must still be known."""
    key = "news.example/2026/01/15/ferry-terminal"
    await seed_revision_0004(
        database_url,
        [
            OldEntry(A_FEED, f"link:{key}", key, FERRY, "Ferry terminal opens"),
            OldEntry(B_FEED, f"link:{key}", key, FERRY, "ignored: merged into A's article"),
        ],
        now=NOW,
    )
    async with open_app(make_settings(database_url), clock=clock) as app:
        store, ingestor = app.services.store, app.services.ingestor
        feeds = {feed.url: feed for feed in await store.list_feeds()}
        b_item = one_item_feed(
            "Harbour gets its new ferry terminal", FERRY + "?utm_source=b", B_FEED
        )
        assert await ingestor.store_parsed(feeds[B_FEED], b_item, fetch_pages=False) == []
        a_item = one_item_feed("Ferry terminal opens", FERRY, A_FEED)
        assert await ingestor.store_parsed(feeds[A_FEED], a_item, fetch_pages=False) == []
        chat = await store.find_chat(OLD_CHAT)
        assert chat is not None
        assert await store.unseen_articles(chat.pk) == []
        # A new story of feed B is still new.
        market = one_item_feed("Market hall plans", "https://news.example/market", B_FEED)
        assert len(await ingestor.store_parsed(feeds[B_FEED], market, fetch_pages=False)) == 1
        # Recognised once, B's entry carries B's title: a second item of B on the same link
        # (the link turns shared, so titles count) is the only new story.
        body = "<p>Boats leave every hour.</p>"
        both = rss_feed(
            [
                {"title": "Ferry timetable", "link": FERRY, "description": body},
                {
                    "title": "Harbour gets its new ferry terminal",
                    "link": FERRY,
                    "description": body,
                },
            ]
        )
        shared = parse_feed(both.encode(), B_FEED)
        assert len(await ingestor.store_parsed(feeds[B_FEED], shared, fetch_pages=False)) == 1


C_FEED = "https://c.example/feed.xml"
# Links that had two 0004 keys and have one now: the old rules turned a path of "//" into
# no path at all, so "example.com//?p=12" was "example.com?p=12" next to "example.com/?p=12".
COLLIDING = [
    OldEntry(
        A_FEED, "link:wp.example?p=12", "wp.example?p=12", "https://wp.example//?p=12", "Notes"
    ),
    OldEntry(
        B_FEED, "link:wp.example/?p=12", "wp.example/?p=12", "https://wp.example/?p=12", "Notes"
    ),
    OldEntry(A_FEED, "link:wp.example", "wp.example", "https://wp.example//", "Front page"),
    OldEntry(B_FEED, "link:wp.example/", "wp.example/", "https://wp.example/", "Front page"),
    # One feed carrying both spellings under one title: their new entry keys collide too.
    OldEntry(C_FEED, "link:wp.example?p=7", "wp.example?p=7", "https://wp.example//?p=7", "Same"),
    OldEntry(C_FEED, "link:wp.example/?p=7", "wp.example/?p=7", "https://wp.example/?p=7", "Same"),
]


async def test_old_keys_that_normalise_alike_now_upgrade_without_a_collision(
    database_url: str, clock: FakeClock
) -> None:
    await seed_revision_0004(database_url, COLLIDING, now=NOW)
    async with open_app(make_settings(database_url), clock=clock) as app:  # upgrades to head
        store, ingestor = app.services.store, app.services.ingestor
        feeds = {feed.url: feed for feed in await store.list_feeds()}
        for entry in COLLIDING:  # every item the feeds carried is still known
            again = one_item_feed(entry.title, entry.link, entry.feed_url)
            assert (
                await ingestor.store_parsed(feeds[entry.feed_url], again, fetch_pages=False) == []
            )
        chat = await store.find_chat(OLD_CHAT)
        assert chat is not None
        assert await store.unseen_articles(chat.pk) == []
        # One article keeps the key, so a new feed carrying the link merges into it: the
        # chat, which saw it, is not shown it again.
        d_feed = await store.get_or_create_feed("https://d.example/feed.xml")
        await store.subscribe(chat.pk, d_feed.id)
        notes = one_item_feed("Notes (reposted)", "https://wp.example/?p=12", d_feed.url)
        await ingestor.store_parsed(d_feed, notes, fetch_pages=False)
        assert await store.unseen_articles(chat.pk) == []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as db:
            keys = (await db.execute(text("SELECT link_key FROM articles"))).scalars().all()
    finally:
        await engine.dispose()
    assert keys.count("wp.example/?p=12") == 1
    assert len([key for key in keys if key]) == len({key for key in keys if key})
