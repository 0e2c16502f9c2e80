"""Operator limits: the per-chat rate of fetching commands, the allow-list of chats, and the
number of feeds a chat may follow. Time is a FakeClock throughout: nothing sleeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.runner import build_scheduler
from bot.models import ChatTarget
from bot.news.opml import OPMLFeed, build_opml
from config.settings import ConfigError, load_settings
from handlers.access import may_receive_digests
from handlers.rate_limit import TokenBucketLimiter
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.console import RecordingPlatform, chat_in, console_bot_with
from tests.support.discord import CHANNEL, GUILD, MANAGE_CHANNELS, THREAD, text_of
from tests.support.discord import settings_for as discord_settings
from tests.support.discord import started as discord_started
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import settings_for as telegram_settings
from tests.support.telegram import started as telegram_started

# -- the token bucket -----------------------------------------------------------------------


def test_bucket_allows_a_burst_then_one_per_interval(clock: FakeClock) -> None:
    limiter = TokenBucketLimiter(per_minute=6, burst=2, clock=clock)
    assert limiter.acquire("chat") == 0.0
    assert limiter.acquire("chat") == 0.0
    assert limiter.acquire("chat") == pytest.approx(10.0)  # 6 a minute: one per 10 s
    clock.advance(seconds=4)
    assert limiter.acquire("chat") == pytest.approx(6.0)  # refusals spend nothing
    clock.advance(seconds=6)
    assert limiter.acquire("chat") == 0.0
    assert limiter.acquire("chat") == pytest.approx(10.0)
    clock.advance(minutes=30)  # refills up to the burst, never beyond
    assert [limiter.acquire("chat") for _ in range(3)] == [0.0, 0.0, pytest.approx(10.0)]


def test_buckets_are_independent_per_key(clock: FakeClock) -> None:
    limiter = TokenBucketLimiter(per_minute=1, burst=1, clock=clock)
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(60.0)
    assert limiter.acquire("b") == 0.0


def test_a_clock_stepping_back_mints_no_tokens(clock: FakeClock) -> None:
    limiter = TokenBucketLimiter(per_minute=60, burst=1, clock=clock)
    assert limiter.acquire("a") == 0.0
    clock.advance(seconds=-3600)
    assert limiter.acquire("a") == pytest.approx(1.0)
    clock.advance(seconds=1)
    assert limiter.acquire("a") == 0.0


def test_bucket_needs_a_positive_rate(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucketLimiter(per_minute=0, burst=1, clock=clock)


# -- the rate limit in the command registry ------------------------------------------------


async def test_fetching_commands_are_limited_per_chat(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with console_bot_with(
        database_url, clock, tmp_path, command_rate_per_minute=6, command_burst=3
    ) as bot:
        assert "Subscribed" in await bot.say(f"/subscribe {url}")
        assert "Missing url" in await bot.say("/subscribe")  # refused input costs no token
        for _ in range(2):
            assert "No new stories" in await bot.say("/digest")
        hits = feed_server.hits["/feed.xml"]
        slow = await bot.say("/digest")
        assert slow.startswith("Error: Slow down: try again in 10 s.")
        assert "limited to 6 a minute per chat" in slow
        assert feed_server.hits["/feed.xml"] == hits  # the feed was not fetched
        assert "1. Test Feed" in await bot.say("/list")  # commands that do not fetch: free
        upload = tmp_path / "one.opml"
        upload.write_bytes(build_opml([OPMLFeed(url, "One")], title="one"))
        assert "Slow down" in await bot.say(f"/import {upload}")
        clock.advance(seconds=7)
        assert "try again in 3 s" in await bot.say("/digest")
        # Another chat has its own bucket; a thread of this chat shares this one.
        other = chat_in(bot, ChatTarget("console", "elsewhere"))
        assert "No subscriptions yet" in await other.say("/digest")
        thread = chat_in(bot, ChatTarget("console", "local", "thread-1"))
        assert "Slow down" in await thread.say("/digest")
        clock.advance(seconds=3)
        assert "No new stories" in await bot.say("/digest")


async def test_operators_and_a_zero_rate_are_not_limited(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with console_bot_with(
        database_url, clock, tmp_path, command_burst=1, admins=["console:local"]
    ) as bot:
        for _ in range(5):
            assert "No subscriptions yet" in await bot.say("/digest")
    async with console_bot_with(
        database_url, clock, tmp_path, command_rate_per_minute=0, command_burst=1
    ) as bot:
        for _ in range(5):
            assert "No subscriptions yet" in await bot.say("/digest")


async def test_default_rate_allows_six_in_a_row(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        for _ in range(6):
            assert "No subscriptions yet" in await bot.say("/digest")
        assert "Slow down: try again in 10 s." in await bot.say("/digest")


# -- the allow-list --------------------------------------------------------------------------


def test_allowed_chats_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().allowed_chats == []
    monkeypatch.setenv("NEWSDIGEST_ALLOWED_CHATS", "telegram:-1001, discord:1000 ,")
    settings = load_settings()
    assert settings.allowed_chats == ["telegram:-1001", "discord:1000"]
    assert settings.is_chat_allowed("telegram", "-1001")
    assert not settings.is_chat_allowed("telegram", "1000")
    assert settings.is_chat_allowed("discord", "77", space_id="1000")
    assert not settings.is_chat_allowed("discord", "77")
    monkeypatch.setenv("NEWSDIGEST_ALLOWED_CHATS", "-1001")
    with pytest.raises(ConfigError, match="platform:chat_id"):
        load_settings()


async def test_chats_off_the_list_are_refused_politely(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with console_bot_with(
        database_url, clock, tmp_path, allowed_chats=["console:trusted"]
    ) as bot:
        for line in ("/start", "/help", f"/subscribe {url}", "/nosuchcommand"):
            out = await bot.say(line)
            assert out.startswith("Error: Sorry, this bot is private"), line
            assert "add console:local to NEWSDIGEST_ALLOWED_CHATS" in out
        assert feed_server.hits == {}
        assert await bot.app.services.store.find_chat(bot.console.target) is None
        trusted = chat_in(bot, ChatTarget("console", "trusted"))
        assert "Subscribed" in await trusted.say(f"/subscribe {url}")


async def test_chats_off_the_list_receive_no_digests(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    # Both chats subscribed while the bot was open to everyone…
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        await bot.say(f"/subscribe {url}")
        await chat_in(bot, ChatTarget("console", "trusted")).say(f"/subscribe {url}")
    # …then the operator restricted it to one of them.
    feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
    async with console_bot_with(
        database_url, clock, tmp_path, allowed_chats=["console:trusted"]
    ) as bot:
        platform = RecordingPlatform()
        scheduler = build_scheduler(bot.app, [platform])
        clock.advance(days=1)
        await scheduler.poll_feeds()
        await scheduler.digest_tick()
        assert [target.chat_id for target, _ in platform.sent] == ["trusted"]


async def test_telegram_chat_allow_list(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = telegram_settings(fake, tmp_path, allowed_chats=["telegram:-5005"])
    async with telegram_started(fake, settings, clock) as tg:
        [refused] = await tg.command("/help", chat_id=1001, user_id=42)
        assert "this bot is private" in refused["text"]
        assert "telegram:1001" in refused["text"]
        [answer] = await tg.command("/help", chat_id=-5005, chat_type="group", user_id=42)
        assert "/subscribe" in answer["text"]


async def test_discord_server_entry_admits_its_channels_and_their_digests(
    tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with FakeDiscordAPI() as api:
        settings = discord_settings(api, tmp_path, allowed_chats=[f"discord:{GUILD}"])
        async with discord_started(api, settings, clock) as dc:
            answer = await dc.slash("subscribe", {"url": url}, permissions=MANAGE_CHANNELS)
            assert "Subscribed" in text_of(answer)
            dm = await dc.slash("list", dm=True)
            assert "this bot is private" in text_of(dm)
            assert "whole server" not in text_of(dm)  # a DM belongs to no server
            store = dc.app.services.store
            chat = await store.find_chat(ChatTarget("discord", str(CHANNEL)))
            assert chat is not None
            assert may_receive_digests(settings, chat)  # the server was remembered
            elsewhere = settings.model_copy(update={"allowed_chats": ["discord:1"]})
            assert not may_receive_digests(elsewhere, chat)


async def test_discord_channel_entry_admits_its_threads_and_names_the_server(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with FakeDiscordAPI() as api:
        settings = discord_settings(api, tmp_path, allowed_chats=["discord:31337"])
        async with discord_started(api, settings, clock) as dc:
            refused = text_of(await dc.slash("list")).replace("\\", "")  # markdown escapes
            assert f"add discord:{CHANNEL} (or the whole server, discord:{GUILD})" in refused
        settings = discord_settings(api, tmp_path, allowed_chats=[f"discord:{CHANNEL}"])
        async with discord_started(api, settings, clock) as dc:
            assert "No subscriptions yet" in text_of(await dc.slash("list", channel_id=THREAD))


# -- subscriptions per chat -------------------------------------------------------------------


def test_subscription_limit_defaults_to_100(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().max_subscriptions_per_chat == 100
    monkeypatch.setenv("NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT", "0")
    with pytest.raises(ConfigError, match="greater than or equal to 1"):
        load_settings()


async def test_subscribe_refuses_a_full_chat_without_fetching(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    first = feed_server.serve("/a.xml", rss_feed(stories(1), title="Feed A"))
    second = feed_server.serve("/b.xml", rss_feed(stories(2), title="Feed B"))
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=1) as bot:
        assert "Subscribed to Feed A." in await bot.say(f"/subscribe {first}")
        full = await bot.say(f"/subscribe {second}")
        assert full.startswith(
            "Error: This chat follows 1 feeds and the limit is 1: 0 subscription slots left."
        )
        assert "/unsubscribe <number>" in full
        assert "/b.xml" not in feed_server.hits
        assert "Already subscribed: 1. Feed A" in await bot.say(f"/subscribe {first}")
        await bot.say("/unsubscribe 1")
        assert "Subscribed to Feed B." in await bot.say(f"/subscribe {second}")


async def test_import_stops_at_the_limit_and_says_how_many_slots_remain(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = [
        feed_server.serve(f"/{n}.xml", rss_feed(stories(n), title=f"Feed {n}")) for n in range(4)
    ]
    upload = tmp_path / "many.opml"
    feeds = [OPMLFeed(url, f"Mine {n}") for n, url in enumerate(urls)]
    upload.write_bytes(build_opml(feeds, title="t"))
    async with console_bot_with(database_url, clock, tmp_path, max_subscriptions_per_chat=3) as bot:
        await bot.say(f"/subscribe {urls[0]}")
        out = await bot.say(f"/import {upload}")
        assert "Imported many.opml: 2 added, 1 already present, 1 failed." in out
        assert "+ added: Mine 1, Mine 2" in out
        assert "= already present: Mine 0" in out
        assert "✗ no slot left (1): Mine 3" in out
        assert "This chat now follows 3 feeds; the limit is 3 (0 slots left)." in out
        hits = dict(feed_server.hits)
        again = await bot.say(f"/import {upload}")
        assert "0 added, 3 already present, 1 failed" in again
        assert feed_server.hits == hits  # a full chat fetches nothing for an import
        listing = await bot.say("/list")
        numbered = [line for line in listing.splitlines()[1:] if line[:1].isdigit()]
        assert [line.split(" — ")[0] for line in numbered] == [
            "1. Feed 0",
            "2. Mine 1",
            "3. Mine 2",
        ]
