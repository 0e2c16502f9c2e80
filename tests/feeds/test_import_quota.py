"""/import near the subscription limit fetches only the feeds it can add.

A chat with one free slot that uploads a 200-feed file must not make the bot fetch 200
feeds: checks go in file order, never more in flight than slots still free, and stop once
the slots are filled. The local feed server counts every request, so "fetched" below means
"the server saw a request".
"""

from __future__ import annotations

from pathlib import Path

from bot.news.opml import OPMLFeed, build_opml
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with
from tests.support.feeds import FeedServer, rss_feed, stories


def serve_feeds(feed_server: FeedServer, count: int) -> list[str]:
    """``count`` working feeds, /0.xml "Feed 0" upwards."""
    return [
        feed_server.serve(f"/{n}.xml", rss_feed(stories(n), title=f"Feed {n}"))
        for n in range(count)
    ]


async def import_urls(bot: ConsoleBot, tmp_path: Path, urls: list[str]) -> str:
    """Upload an OPML file listing ``urls`` (titled "Mine 0", "Mine 1"…) and return the reply."""
    upload = tmp_path / "feeds.opml"
    upload.write_bytes(
        build_opml([OPMLFeed(url, f"Mine {n}") for n, url in enumerate(urls)], title="t")
    )
    return await bot.say(f"/import {upload}")


def per_feed_report(tmp_path: Path) -> list[str]:
    """The report file a long import comes with (the console saves it where it runs)."""
    return (tmp_path / "import-report.txt").read_text(encoding="utf-8").splitlines()


async def test_one_free_slot_and_200_feeds_fetch_one_feed(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server, 200)
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=1) as bot:
        out = await import_urls(bot, tmp_path, urls)
        assert feed_server.hits == {"/0.xml": 1}
        assert "Imported feeds.opml: 1 added, 0 already present, 199 failed." in out
        assert "+ added: Mine 0" in out
        assert "✗ no slot left (199): Mine 1, Mine 2," in out  # one line, not 199
        assert "This chat now follows 1 feeds; the limit is 1 (0 slots left)." in out
        assert "The full list of 200 feeds is in import-report.txt." in out
        report = per_feed_report(tmp_path)
        assert report[0] == "+ Mine 0"
        assert "✗ Mine 1: no slot left" in report
        assert "✗ Mine 199: no slot left" in report
        assert len(report) == 200


async def test_a_broken_feed_frees_its_slot_for_the_next_one(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server, 200)
    urls[0] = f"{feed_server.base_url}/missing.xml"  # a 404
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=1) as bot:
        out = await import_urls(bot, tmp_path, urls)
        assert feed_server.hits == {"/missing.xml": 1, "/1.xml": 1}
        assert "Imported feeds.opml: 1 added, 0 already present, 199 failed." in out
        assert "✗ HTTP 404 Not Found (1): Mine 0" in out
        assert "+ added: Mine 1" in out
        assert "send the same file again" in out  # the 404 can be retried
        report = per_feed_report(tmp_path)
        assert any(line.startswith("✗ Mine 0: could not fetch") for line in report)
        assert "✗ Mine 2: no slot left" in report
        listing = await bot.say("/list")
        assert "1. Mine 1 — " in listing


async def test_three_free_slots_fetch_exactly_three_of_ten_feeds(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    followed = feed_server.serve("/followed.xml", rss_feed(stories(1), title="Followed"))
    urls = serve_feeds(feed_server, 10)
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=4) as bot:
        await bot.say(f"/subscribe {followed}")  # 3 slots left
        # A feed the chat follows, listed among the new ones: no fetch, no slot.
        out = await import_urls(bot, tmp_path, [urls[0], followed, *urls[1:]])
        assert feed_server.hits == {"/followed.xml": 1, "/0.xml": 1, "/1.xml": 1, "/2.xml": 1}
        assert "Imported feeds.opml: 3 added, 1 already present, 7 failed." in out
        assert "= already present: Mine 1" in out  # the followed feed's entry
        assert "+ added: Mine 0, Mine 2, Mine 3" in out
        assert (
            "✗ no slot left (7): Mine 4, Mine 5, Mine 6, Mine 7, Mine 8, Mine 9, Mine 10" in out
        )
        assert "send the same file again" not in out  # nothing a second try would fix
        assert "This chat now follows 4 feeds; the limit is 4 (0 slots left)." in out


async def test_a_failure_among_parallel_checks_lets_exactly_one_more_start(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server, 6)
    urls[0] = f"{feed_server.base_url}/missing.xml"
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=2) as bot:
        out = await import_urls(bot, tmp_path, urls)
        # Two checks at once (two slots); the 404 frees one slot for /2.xml, and that is all.
        assert feed_server.hits == {"/missing.xml": 1, "/1.xml": 1, "/2.xml": 1}
        assert "Imported feeds.opml: 2 added, 0 already present, 4 failed." in out
        assert "✗ no slot left (3): Mine 3, Mine 4, Mine 5" in out


async def test_the_same_feed_listed_twice_is_fetched_and_reported_once(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/dup.xml", rss_feed(stories(1), title="Dup"))
    other = feed_server.serve("/other.xml", rss_feed(stories(2), title="Other"))
    # Spellings /subscribe treats as one feed; parse_opml keeps them (they differ as text).
    variants = [url, f"{url}#again", f"{url}/", f"{url}?utm_source=newsletter", other, url + "#x"]
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        out = await import_urls(bot, tmp_path, variants)
        assert feed_server.hits == {"/dup.xml": 1, "/other.xml": 1}
        assert "Imported feeds.opml: 2 added, 0 already present, 0 failed." in out
        assert "+ added: Mine 0, Mine 4" in out  # under each feed's first entry's title
        assert "Mine 1" not in out
        assert "Mine 2" not in out
        assert "Mine 3" not in out
        listing = await bot.say("/list")
        numbered = [line for line in listing.splitlines()[1:] if line[:1].isdigit()]
        assert [line.split(" — ")[0] for line in numbered] == [
            "1. Mine 0",
            "2. Mine 4",
        ]
