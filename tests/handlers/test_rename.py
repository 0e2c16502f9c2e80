"""/rename: a chat's own name for a feed, in /list, in digests and through /export → /import."""

from __future__ import annotations

from pathlib import Path

from bot.app.wiring import open_app
from bot.models import ChatTarget
from bot.news.opml import parse_opml
from handlers.model import Command, Reply, User
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.settings import make_settings


async def test_rename_shows_in_list_digest_and_export(
    console_bot: ConsoleBot, feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1), title="City News"))
    await console_bot.say(f"/subscribe {url}")
    out = await console_bot.say("/rename 1 Morning   Paper")
    assert "1. City News is now called Morning Paper." in out
    assert f"1. Morning Paper — {url}" in await console_bot.say("/list")

    feed_server.serve("/feed.xml", rss_feed(stories(2, 1), title="City News"))
    digest = await console_bot.say("/digest")
    assert "## Morning Paper" in digest
    assert "City News" not in digest

    exported = await console_bot.console.handle_line("/export")
    assert exported is not None
    assert exported.document is not None
    [feed] = parse_opml(exported.document.content)
    assert (feed.url, feed.title) == (url, "Morning Paper")

    # The name survives leaving and coming back through the exported file.
    await console_bot.say("/unsubscribe 1")
    opml = tmp_path / "subscriptions.opml"
    assert opml.read_bytes() == exported.document.content
    assert "1 added" in await console_bot.say(f"/import {opml}")
    assert f"1. Morning Paper — {url}" in await console_bot.say("/list")


async def test_rename_without_a_name_restores_the_feeds_title(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1), title="City News"))
    await console_bot.say(f"/subscribe {url}")
    await console_bot.say("/rename 1 Mine")
    assert "1. is called City News again" in await console_bot.say("/rename 1")
    assert f"1. City News — {url}" in await console_bot.say("/list")


async def test_rename_refuses_bad_input(console_bot: ConsoleBot, feed_server: FeedServer) -> None:
    assert "Missing number" in await console_bot.say("/rename")
    assert "This chat has no subscriptions" in await console_bot.say("/rename 1 Name")
    await console_bot.say(f"/subscribe {feed_server.serve('/f.xml', rss_feed(stories(1)))}")
    assert "There is no subscription number 3: this chat has 1." in await console_bot.say(
        "/rename 3 Name"
    )
    assert "first is not a subscription number" in await console_bot.say("/rename first Name")
    assert "at most 100, please" in await console_bot.say("/rename 1 " + "x" * 101)
    assert "1. Test Feed" in await console_bot.say("/list")


async def test_superscript_and_other_non_ascii_digits_are_not_numbers(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    # "²".isdigit() is True but int("²") fails: these once replied "failed unexpectedly".
    url = feed_server.serve("/f.xml", rss_feed(stories(1), title="City News"))
    await console_bot.say(f"/subscribe {url}")
    for line, answer in [
        ("/rename ² Name", "Error: ² is not a subscription number."),
        ("/rename ١ Name", "Error: ١ is not a subscription number."),  # Arabic-Indic 1
        ("/rename " + "9" * 5000 + " Name", "is not a subscription number."),
        ("/unsubscribe ²", "Error: No subscription matches ²."),
    ]:
        out = await console_bot.say(line)
        assert answer in out, (line, out)
        assert "unexpectedly" not in out
    assert "1. City News" in await console_bot.say("/list")
    # The plain forms still work, "#1" included.
    assert "is now called Mine" in await console_bot.say("/rename #1 Mine")
    assert "Unsubscribed from Mine." in await console_bot.say("/unsubscribe 1")


async def test_fulltext_refuses_a_number_that_is_not_plain_digits(
    database_url: str, clock: FakeClock
) -> None:
    settings = make_settings(database_url, admins=["console:local"])  # /fulltext: operators
    async with open_app(settings, clock=clock) as app:
        target = ChatTarget("console", "local")
        chat = await app.services.store.get_or_create_chat(target)
        feed = await app.services.store.get_or_create_feed("https://feeds.example/a.xml")
        await app.services.store.subscribe(chat.pk, feed.id)

        async def fulltext(*args: str) -> Reply:
            command = Command("console", target, User("local"), "fulltext", args, is_admin=True)
            return await app.registry.dispatch(app.services, command)

        refused = await fulltext("²", "on")
        assert refused.is_error
        assert refused.text.startswith("² is not a subscription number.")
        assert "There is no subscription number 2:" in (await fulltext("2", "on")).text
        switched = await fulltext("#1", "on")
        assert not switched.is_error
        assert switched.text.startswith("Full text on for ")
