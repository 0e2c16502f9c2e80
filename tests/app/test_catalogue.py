"""The topic catalogue: the file is validated at start, /browse shows it, topics subscribe.

Catalogues in these tests point at feeds served from 127.0.0.1; the shipped example is only
parsed, never fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import main
from bot.models import ChatTarget
from config.catalogue import Catalogue, load_catalogue, parse_catalogue
from config.settings import ConfigError, load_settings
from tests.support import REPO
from tests.support.clock import FakeClock
from tests.support.console import chat_in, console_bot_with
from tests.support.feeds import FeedServer, rss_feed, stories


def write_catalogue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def local_catalogue(tmp_path: Path, server: FeedServer) -> Path:
    """Two topics of local feeds; /missing.xml is never served (a 404)."""
    base = server.base_url
    return write_catalogue(
        tmp_path,
        f"""
[topics.local]
title = "Local news"
description = "What happens in town."
feeds = [
  {{ title = "Town Hall", url = "{base}/town.xml" }},
  {{ title = "Harbour Gazette", url = "{base}/harbour.xml" }},
  {{ title = "Gone Weekly", url = "{base}/missing.xml" }},
]

[topics.sport]
feeds = [{{ title = "Stadium", url = "{base}/stadium.xml" }}]
""",
    )


def serve_local_feeds(server: FeedServer) -> None:
    server.serve("/town.xml", rss_feed(stories(1, 2), title="Town Hall Feed"))
    server.serve("/harbour.xml", rss_feed(stories(3), title="Harbour Feed"))
    server.serve("/stadium.xml", rss_feed(stories(4), title="Stadium Feed"))


def test_the_shipped_catalogue_is_valid() -> None:
    catalogue = load_catalogue(REPO / "config" / "catalogue.toml")
    assert 3 <= len(catalogue.topics) <= 5
    for topic in catalogue.topics:
        assert len(topic.feeds) >= 2, topic.name
        assert all(feed.url.startswith("https://") and feed.title for feed in topic.feeds)
    assert catalogue.get("WORLD") is catalogue.get("world") is not None


def test_a_missing_file_is_an_empty_catalogue(tmp_path: Path) -> None:
    assert load_catalogue(tmp_path / "nowhere.toml") == Catalogue()


def test_catalogue_keeps_file_order_and_defaults() -> None:
    catalogue = parse_catalogue(
        '[topics.b]\nfeeds = [{ title = " B1 ", url = "https://b.example/feed" }]\n'
        '[topics.a]\ntitle = "Alpha"\nfeeds = [{ title = "A1", url = "https://a.example/rss" }]\n'
    )
    assert catalogue.names == ["b", "a"]
    first = catalogue.topics[0]
    assert (first.title, first.description, first.feeds[0].title) == ("b", "", "B1")
    assert catalogue.get("a") is not None
    assert catalogue.get("a").title == "Alpha"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[topics.world\n", "not valid TOML"),
        ('[topics."World News"]\nfeeds = []\n', "topic 'World News': names are"),
        ("[topics.world]\nfeeds = []\n", "topic 'world': needs a non-empty 'feeds' list"),
        ('[topics.world]\nfeeds = [{ title = "X" }]\n', "topic 'world', feed 1: has no 'url'"),
        (
            '[topics.world]\nfeeds = [{ url = "https://a.example/f" }]\n',
            "topic 'world', feed 1: has no 'title'",
        ),
        (
            '[topics.world]\nfeeds = [{ title = "X", url = "ftp://a.example/f" }]\n',
            "topic 'world', feed 1: ftp: URLs are not supported",
        ),
        (
            '[topics.world]\nfeed = [{ title = "X", url = "https://a.example/f" }]\n',
            "topic 'world': unknown key(s) feed",
        ),
        (
            '[topics.world]\nfeeds = [{ title = "X", url = "https://a.example/f" },'
            ' { title = "Y", url = "https://a.example/f" }]\n',
            "lists https://a.example/f twice",
        ),
        (
            '[topics.world]\ntitle = 3\nfeeds = [{ title = "X", url = "https://a.example/f" }]\n',
            "'title' must be a string",
        ),
        ('[world]\nfeeds = [{ title = "X", url = "https://a.example/f" }]\n', "top-level key"),
    ],
)
def test_malformed_catalogues_stop_the_bot_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, complaint: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_catalogue(tmp_path, text)
    monkeypatch.setenv("NEWSDIGEST_CATALOGUE", str(path))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"NEWSDIGEST_CATALOGUE={path}" in message
    assert complaint in message


def test_check_config_reports_a_broken_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_catalogue(tmp_path, "[topics.world]\nfeeds = []\n")
    monkeypatch.setenv("NEWSDIGEST_CATALOGUE", str(path))
    assert main.main(["check-config"]) == 1
    assert "needs a non-empty 'feeds' list" in capsys.readouterr().err


async def test_browse_lists_topics_and_details(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_local_feeds(feed_server)
    catalogue = local_catalogue(tmp_path, feed_server)
    async with console_bot_with(database_url, clock, tmp_path, catalogue_path=catalogue) as bot:
        listing = await bot.say("/browse")
        assert listing.startswith("Topics (2):")
        assert "local — Local news (3 feeds)" in listing
        assert "   · Harbour Gazette" in listing
        assert "sport — sport (1 feed)\n" in listing
        assert feed_server.hits == {}  # browsing fetches nothing
        await bot.say(f"/subscribe {feed_server.base_url}/harbour.xml")
        details = await bot.say("/browse local")
        assert details.startswith("Local news (topic:local):")
        assert "What happens in town." in details
        assert f"1. Town Hall — {feed_server.base_url}/town.xml\n" in details
        assert f"2. Harbour Gazette — {feed_server.base_url}/harbour.xml (followed here)" in details
        assert "Follow all 3 with /subscribe topic:local" in details
        unknown = await bot.say("/browse weather")
        assert unknown.startswith("Error: There is no topic 'weather'. Topics: local, sport.")


async def test_subscribing_to_a_topic_reports_every_feed(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_local_feeds(feed_server)
    catalogue = local_catalogue(tmp_path, feed_server)
    async with console_bot_with(database_url, clock, tmp_path, catalogue_path=catalogue) as bot:
        await bot.say(f"/subscribe {feed_server.base_url}/harbour.xml")
        out = await bot.say("/subscribe topic:local")
        assert out.startswith("Topic Local news: 1 added, 1 already present, 1 failed.")
        assert "+ added: Town Hall" in out
        assert "= already present: Harbour Gazette" in out
        assert "✗ HTTP 404 Not Found (1): Gone Weekly" in out
        listing = await bot.say("/list")
        assert "1. Harbour Feed" in listing  # subscribed by hand: its own title stays
        assert "2. Town Hall" in listing  # the catalogue's title names the subscription
        assert "Gone Weekly" not in listing
        again = await bot.say("/subscribe TOPIC:sport")
        assert again.startswith("Topic sport: 1 added")
        # The topic's stories were marked as read, like any new subscription.
        assert "No new stories" in await bot.say("/digest")


async def test_unknown_topic_lists_the_valid_ones(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    catalogue = local_catalogue(tmp_path, feed_server)
    async with console_bot_with(database_url, clock, tmp_path, catalogue_path=catalogue) as bot:
        out = await bot.say("/subscribe topic:weather")
        assert out.startswith("Error: There is no topic 'weather'. Topics: local, sport.")
        assert "No subscriptions yet" in await bot.say("/list")
        assert feed_server.hits == {}


async def test_without_a_catalogue_browse_says_so(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    missing = tmp_path / "none.toml"
    async with console_bot_with(database_url, clock, tmp_path, catalogue_path=missing) as bot:
        assert "no topic catalogue" in await bot.say("/browse")
        assert "Error: This bot has no topic catalogue" in await bot.say("/subscribe topic:x")


async def test_topic_subscription_stops_at_the_chat_limit(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_local_feeds(feed_server)
    feed_server.serve("/missing.xml", rss_feed(stories(5), title="Gone Feed"))
    catalogue = local_catalogue(tmp_path, feed_server)
    async with console_bot_with(
        database_url, clock, tmp_path, catalogue_path=catalogue, max_subscriptions_per_chat=2
    ) as bot:
        out = await bot.say("/subscribe topic:local")
        assert out.startswith("Topic Local news: 2 added, 0 already present, 1 failed.")
        assert "✗ no slot left (1): Gone Weekly" in out
        assert "now follows 2 feeds; the limit is 2 (0 slots left)" in out
        full = await bot.say("/subscribe topic:sport")
        assert full.startswith("Error: Topic sport: 0 added, 0 already present, 1 failed.")
        assert feed_server.hits.get("/stadium.xml") is None  # a full chat fetches nothing


async def test_topics_work_the_same_in_another_chat(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_local_feeds(feed_server)
    catalogue = local_catalogue(tmp_path, feed_server)
    async with console_bot_with(database_url, clock, tmp_path, catalogue_path=catalogue) as bot:
        await bot.say("/subscribe topic:sport")
        other = chat_in(bot, ChatTarget("console", "other"))
        assert (await other.say("/subscribe topic:sport")).startswith("Topic sport: 1 added")
