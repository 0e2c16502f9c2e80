"""Every shared command through the console platform: happy paths and bad input.

The bot runs for real: a SQLite (and PostgreSQL, when configured) store, the real fetcher
against feeds served from 127.0.0.1, the real parser and summariser.
"""

from __future__ import annotations

import io
import socket

import pytest

from bot.app.wiring import open_app
from bot.models import ChatTarget
from bot.platforms.console.adapter import ConsolePlatform
from handlers.model import Command, User
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed
from tests.support.settings import make_settings

BODY = (
    "The city council approved the new tram line on Tuesday after a long debate. "
    "Construction is expected to start next spring and last three years. "
    "Opponents argued that the budget was too optimistic. "
    "Supporters said the line would cut commuting times in half for the eastern districts."
)


def items(*numbers: int) -> list[dict[str, str]]:
    return [
        {
            "guid": f"story-{n}",
            "title": f"Story number {n}",
            "link": f"https://news.example/story-{n}",
            "description": f"<p>{BODY}</p><p>Story {n} has its own details.</p>",
        }
        for n in numbers
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_start_introduces_the_bot(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/start")
    assert "collect news" in out
    assert "/subscribe <url>" in out


async def test_help_lists_every_command_and_explains_one(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/help")
    for name in ("start", "help", "subscribe", "unsubscribe", "list", "digest"):
        assert f"/{name}" in out
    detail = await console_bot.say("/help subscribe")
    assert "Usage: /subscribe <url>" in detail
    assert "only chat administrators" in detail
    missing = await console_bot.say("/help nosuch")
    assert missing.startswith("Error: There is no /nosuch command")


async def test_unknown_command_is_answered(console_bot: ConsoleBot) -> None:
    assert "Unknown command /frobnicate" in await console_bot.say("/frobnicate now")


async def test_subscribe_list_unsubscribe_round_trip(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(items(1, 2, 3, 4), title="City News"))
    out = await console_bot.say(f"/subscribe {url}")
    assert "Subscribed to City News." in out
    assert "It has 4 stories now; those are marked as read." in out
    assert "• Story number 1" in out
    assert "Story number 4" not in out  # a short preview, not a flood
    listing = await console_bot.say("/list")
    assert f"1. City News — {url}" in listing
    gone = await console_bot.say("/unsubscribe 1")
    assert "Unsubscribed from City News." in gone
    assert "No subscriptions yet" in await console_bot.say("/list")


async def test_unsubscribe_by_url(console_bot: ConsoleBot, feed_server: FeedServer) -> None:
    first = feed_server.serve("/a.xml", rss_feed(items(1), title="Feed A"))
    second = feed_server.serve("/b.xml", rss_feed(items(2), title="Feed B"))
    await console_bot.say(f"/subscribe {first}")
    await console_bot.say(f"/subscribe {second}")
    assert "Unsubscribed from Feed A." in await console_bot.say(f"/unsubscribe {first}")
    assert "1. Feed B" in await console_bot.say("/list")


async def test_first_poll_does_not_flood_then_new_items_arrive(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(items(1, 2, 3)))
    await console_bot.say(f"/subscribe {url}")
    assert "No new stories since your last digest." in await console_bot.say("/digest")
    feed_server.serve("/feed.xml", rss_feed(items(4, 1, 2, 3)))
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Story number 4" in out
    assert "Story number 1" not in out
    assert "https://news.example/story-4" in out
    assert "city council approved the new tram line" in out  # the summary
    assert "No new stories" in await console_bot.say("/digest")


async def test_digest_without_subscriptions(console_bot: ConsoleBot) -> None:
    assert "No subscriptions yet, so no news." in await console_bot.say("/digest")


async def test_digest_reports_a_feed_that_fails(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(items(1)), content_type="application/xml")
    await console_bot.say(f"/subscribe {url}")
    feed_server.serve("/feed.xml", "gone", content_type="text/plain", status=500)
    out = await console_bot.say("/digest")
    assert "No new stories since your last digest." in out
    assert "Could not refresh Test Feed" in out
    assert "500" in out
    listing = await console_bot.say("/list")
    assert "failing since 2026-01-15 09:00: the server answered HTTP 500" in listing


async def test_subscribe_finds_the_feed_of_a_web_page(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    feed_url = feed_server.serve("/news/rss", rss_feed(items(1), title="Discovered"))
    page = (
        "<html><head><title>Site</title>"
        '<link rel="alternate" type="application/rss+xml" href="/news/rss">'
        "</head><body>Hello</body></html>"
    )
    page_url = feed_server.serve("/", page, content_type="text/html; charset=utf-8")
    out = await console_bot.say(f"/subscribe {page_url}")
    assert "Subscribed to Discovered." in out
    assert f"Feed: {feed_url}" in out
    again = await console_bot.say(f"/subscribe {feed_url}")
    assert again.startswith("Error: Already subscribed: 1. Discovered")


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("not a url", "Too many arguments"),
        ("notaurl", "not"),
        ("ftp://example.com/feed", "ftp"),
        ("javascript:alert(1)", "javascript"),
    ],
)
async def test_subscribe_rejects_bad_urls(
    console_bot: ConsoleBot, argument: str, expected: str
) -> None:
    out = await console_bot.say(f"/subscribe {argument}")
    assert out.startswith("Error:")
    assert expected in out
    assert "No subscriptions yet" in await console_bot.say("/list")


async def test_subscribe_without_argument_shows_usage(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/subscribe")
    assert "Missing url" in out
    assert "Usage: /subscribe <url>" in out


async def test_subscribe_to_unreachable_host(console_bot: ConsoleBot) -> None:
    out = await console_bot.say(f"/subscribe http://127.0.0.1:{free_port()}/feed.xml")
    assert out.startswith("Error: Could not subscribe")
    assert "No subscriptions yet" in await console_bot.say("/list")


async def test_subscribe_to_missing_page(console_bot: ConsoleBot, feed_server: FeedServer) -> None:
    out = await console_bot.say(f"/subscribe {feed_server.base_url}/missing.xml")
    assert out.startswith("Error: Could not subscribe")
    assert "404" in out


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body><p>No feeds here.</p></body></html>", "text/html"),
        ("just some words", "text/plain"),
        ('{"hello": "world"}', "application/json"),
    ],
)
async def test_subscribe_to_something_that_is_not_a_feed(
    console_bot: ConsoleBot, feed_server: FeedServer, body: str, content_type: str
) -> None:
    url = feed_server.serve("/thing", body, content_type=content_type)
    out = await console_bot.say(f"/subscribe {url}")
    assert out.startswith("Error:")
    assert "feed" in out
    assert "No subscriptions yet" in await console_bot.say("/list")


async def test_subscribe_twice_is_refused(console_bot: ConsoleBot, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(items(1), title="Once"))
    await console_bot.say(f"/subscribe {url}")
    out = await console_bot.say(f"/subscribe {url}")
    assert out.startswith("Error: Already subscribed: 1. Once")
    assert feed_server.hits["/feed.xml"] == 1  # refused before fetching again


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("7", "There is no subscription number 7: this chat has 1."),
        ("https://nowhere.example/feed", "No subscription matches"),
    ],
)
async def test_unsubscribe_bad_target(
    console_bot: ConsoleBot, feed_server: FeedServer, argument: str, expected: str
) -> None:
    await console_bot.say(f"/subscribe {feed_server.serve('/f.xml', rss_feed(items(1)))}")
    out = await console_bot.say(f"/unsubscribe {argument}")
    assert out.startswith("Error:")
    assert expected in out
    assert "1. Test Feed" in await console_bot.say("/list")


async def test_unsubscribe_with_no_subscriptions(console_bot: ConsoleBot) -> None:
    assert "This chat has no subscriptions." in await console_bot.say("/unsubscribe 1")


async def test_private_addresses_are_refused_by_default(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(items(1)))
    settings = make_settings(database_url, allow_private_urls=False)
    async with open_app(settings, clock=clock) as app:
        output = io.StringIO()
        console = ConsolePlatform(app.registry, app.services, stdin=io.StringIO(), stdout=output)
        await console.handle_line(f"/subscribe {url}")
        assert output.getvalue().startswith("Error:")
        assert "NEWSDIGEST_ALLOW_PRIVATE_URLS" in output.getvalue()
    assert feed_server.hits == {}


async def test_digest_cap_leaves_the_rest_for_next_time(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed([]))
    settings = make_settings(database_url, digest_max_items=2)
    async with open_app(settings, clock=clock) as app:
        output = io.StringIO()
        console = ConsolePlatform(app.registry, app.services, stdin=io.StringIO(), stdout=output)
        await console.handle_line(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(items(1, 2, 3)))
        first = await console.handle_line("/digest")
        assert first is not None
        assert first.digest is not None
        assert len(first.digest.items) == 2
        assert first.digest.more_count == 1
        assert "and 1 more" in output.getvalue()
        second = await console.handle_line("/digest")
        assert second is not None
        assert second.digest is not None
        assert len(second.digest.items) == 1
        assert second.digest.more_count == 0


async def test_non_admins_cannot_change_subscriptions(console_bot: ConsoleBot) -> None:
    app = console_bot.app
    command = Command(
        platform="telegram",
        target=ChatTarget("telegram", "-100"),
        user=User("5"),
        name="subscribe",
        args=("https://example.com/feed",),
        is_admin=False,
    )
    reply = await app.registry.dispatch(app.services, command)
    assert reply.is_error
    assert "Only administrators of this chat can use /subscribe" in reply.text
    listing = await app.registry.dispatch(
        app.services,
        Command("telegram", ChatTarget("telegram", "-100"), User("5"), "list", is_admin=False),
    )
    assert not listing.is_error
