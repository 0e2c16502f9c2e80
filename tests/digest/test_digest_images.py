"""Stories' pictures from the feed to the digest, and ``/settings images``, through the real
bot (store, fetcher against 127.0.0.1, parser, poll loop, composer) on SQLite and, with
TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.digest.composer import stories_digest, without_images
from bot.digest.stories import Story
from bot.models import StoredArticle
from bot.store.tables import ArticleRow
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, harness
from tests.support.feeds import FeedServer, rss_feed, seed_items

PICTURE = "https://img.example.com/news/lead.jpg"


def pictured(*numbers: int, image: str = PICTURE) -> list[dict[str, str]]:
    items = seed_items(*numbers)
    for item in items:
        item["thumbnail"] = f"{image}?n={item['guid']}"
    return items


async def subscribe_then_publish(
    bot: ConsoleBot, server: FeedServer, items: list[dict[str, str]]
) -> None:
    url = server.serve("/feed.xml", rss_feed([], title="Pictures"))
    assert "Subscribed" in await bot.say(f"/subscribe {url}")
    server.serve("/feed.xml", rss_feed(items, title="Pictures"))


async def test_digest_items_carry_their_pictures(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, pictured(1, 2))
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    assert sorted(item.image or "" for item in reply.digest.items) == [
        f"{PICTURE}?n=seed-1",
        f"{PICTURE}?n=seed-2",
    ]


async def test_images_off_and_the_compact_layout_show_none(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    assert "images set to off." in await console_bot.say("/settings images off")
    await subscribe_then_publish(console_bot, feed_server, pictured(1))
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    assert [item.image for item in reply.digest.items] == [None]

    await console_bot.say("/settings images on")
    await console_bot.say("/settings layout compact")
    feed_server.serve("/feed.xml", rss_feed(pictured(2, 1), title="Pictures"))
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    assert [item.image for item in reply.digest.items] == [None]


HOSTILE_PICTURES = [
    "http://127.0.0.1/admin/snapshot.jpg",
    "javascript:alert(document.cookie)",
    "data:image/png;base64,iVBORw0KGgo=",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/x.png",
    "http://localhost/x.png",
    "https://img.example.com/a\x00b.jpg",
    "https://img.example.com/" + "x" * 5000,
]


async def test_a_feed_turning_to_hostile_pictures_polls_and_delivers_without_them(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """The poll loop and the scheduled digest, not only /subscribe: a subscribed feed
    whose later items point their pictures into private networks or at scripts."""
    url = feed_server.serve("/feed.xml", rss_feed(pictured(1), title="Pictures"))
    async with harness(database_url, clock, tmp_path) as h:
        assert "Subscribed" in await h.say(f"/subscribe {url}")
        hostile = []
        for n, image in enumerate(HOSTILE_PICTURES, start=10):
            [item] = seed_items(n)
            item["thumbnail"] = image
            hostile.append(item)
        feed_server.serve("/feed.xml", rss_feed([*hostile, *pictured(2, 1)], title="Pictures"))
        clock.advance(hours=1)

        report = await h.scheduler.poll_feeds()
        assert report.due == 1
        feed = await h.feed()
        assert feed.last_error is None

        clock.advance(days=1)
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert digest.digest is not None
        images = {item.title: item.image for item in digest.digest.items}
        assert len(images) == len(HOSTILE_PICTURES) + 1
        assert [image for image in images.values() if image] == [f"{PICTURE}?n=seed-2"]

        async with h.app.services.store.session() as session:
            stored = set(await session.scalars(select(ArticleRow.image)))
        assert stored == {None, f"{PICTURE}?n=seed-1", f"{PICTURE}?n=seed-2"}


async def test_the_console_shows_the_picture_address_under_the_story(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, pictured(1))
    out = await console_bot.say("/digest")
    assert "  https://news.example/seed-1\n" in out
    assert f"  [image] {PICTURE}?n=seed-1" in out
    await console_bot.say("/settings images off")
    feed_server.serve("/feed.xml", rss_feed(pictured(2, 1), title="Pictures"))
    assert "[image]" not in await console_bot.say("/digest")


def _article(n: int, source: str, image: str | None) -> StoredArticle:
    when = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    return StoredArticle(
        id=n,
        title=f"Quake {n}",
        link=f"https://{source}.example/{n}",
        source=source,
        published=when,
        first_seen=when,
        summary=["A quake."],
        text="A quake.",
        image=image,
    )


def test_a_story_without_a_picture_takes_another_outlets() -> None:
    lone = Story(best=_article(1, "a", None), others=(_article(2, "b", f"{PICTURE}?b"),))
    own = Story(best=_article(3, "c", f"{PICTURE}?c"), others=(_article(4, "d", f"{PICTURE}?d"),))
    bare = Story(best=_article(5, "e", None))
    digest = stories_digest([lone, own, bare])
    assert [item.image for item in digest.items] == [f"{PICTURE}?b", f"{PICTURE}?c", None]
    assert [item.image for item in without_images(digest).items] == [None, None, None]
