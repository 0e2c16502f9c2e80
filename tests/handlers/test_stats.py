"""/stats: bot-wide figures for the operators in NEWSDIGEST_ADMINS, a refusal for others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import ChatTarget
from bot.store.repository import Store
from handlers.commands.stats import utc_day_start
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.console import console_bot_with
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import settings_for, started

OPERATOR = "console:local"  # the console's user is "local"


def test_today_is_the_utc_day_of_the_clock() -> None:
    evening_in_tokyo = datetime.fromisoformat("2026-01-16T01:30:00+09:00")  # 15 Jan UTC
    assert utc_day_start(evening_in_tokyo) == datetime(2026, 1, 15, tzinfo=UTC)


async def test_non_operators_are_refused(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    # Owning the chat is not enough, and an operator on another platform is someone else.
    async with console_bot_with(database_url, clock, tmp_path, admins=["telegram:local"]) as bot:
        out = await bot.say("/stats")
        assert out.startswith("Error: Sorry, /stats is for the operators of this bot only.")
        assert "Chats:" not in out


async def test_operators_see_chats_feeds_articles_and_deliveries(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    a = feed_server.serve("/a.xml", rss_feed(stories(1, 2), title="Feed A"))
    b = feed_server.serve("/b.xml", rss_feed(stories(3), title="Feed B"))
    c = feed_server.serve("/c.xml", rss_feed(stories(6), title="Feed C"))
    async with console_bot_with(database_url, clock, tmp_path, admins=[OPERATOR]) as bot:
        store = bot.app.services.store
        for url in (a, b, c):
            assert "Subscribed" in await bot.say(f"/subscribe {url}")  # 4 articles, 15 Jan
        other = ChatTarget("telegram", "555")
        await store.get_or_create_chat(other)
        await store.set_chat_active(other, False)
        feed_c = await store.find_feed(c)
        assert feed_c is not None
        await store.disable_feed(feed_c.id, reason="410 Gone")

        clock.advance(hours=15, minutes=30)  # 16 Jan 00:30 UTC: a new day
        feed_server.serve("/a.xml", rss_feed(stories(5, 1, 2), title="Feed A"))
        feed_server.serve("/b.xml", "down", content_type="text/plain", status=500)
        assert "1 new story." in await bot.say("/digest")  # 1 article today; B now failing

        chat = await store.get_or_create_chat(bot.console.target)
        ids = [
            await store.commit_digest(chat.pk, f"slot-{n}", {"text": "x"}, [], now=clock())
            for n in range(3)
        ]
        assert all(ids)
        await store.mark_delivered(ids[0], now=clock(), message_ids=["1"])  # type: ignore[arg-type]
        await store.record_delivery_failure(  # type: ignore[arg-type]
            ids[1], error="502 Bad Gateway", retry_at=clock() + timedelta(minutes=1)
        )

        out = await bot.say("/stats")
    assert out.splitlines() == [
        "Bot statistics at 2026-01-16 00:30 UTC:",
        "Chats: 1 active of 2",
        "Feeds: 3 (1 failing, 1 disabled)",
        "Articles: 1 stored today (2026-01-16 UTC), 5 in total",
        "Deliveries: 1 waiting, 1 retrying, 2 sent, 0 failed",  # the /digest answer too
    ]


async def test_store_figures_partition_feeds_and_deliveries(store: Store) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    chat = await store.get_or_create_chat(ChatTarget("discord", "1"))
    ok = await store.get_or_create_feed("https://ok.example/feed")
    failing = await store.get_or_create_feed("https://failing.example/feed")
    await store.get_or_create_feed("https://disabled.example/feed")
    await store.record_poll_failure(failing.id, now=now, error="timeout")
    disabled = await store.find_feed("https://disabled.example/feed")
    assert disabled is not None
    await store.record_poll_failure(disabled.id, now=now, error="410")
    await store.disable_feed(disabled.id, reason="410 Gone")
    assert ok.id
    empty = await store.operator_stats(day_start=now)
    assert empty["failing_feeds"] == 1  # a disabled feed counts as disabled only
    assert empty["disabled_feeds"] == 1
    assert empty["feeds"] == 3
    assert (empty["deliveries_waiting"], empty["deliveries_sent"]) == (0, 0)
    delivery = await store.commit_digest(chat.pk, "s", {"text": "x"}, [], now=now)
    assert delivery is not None
    await store.record_delivery_failure(delivery, error="boom", retry_at=now)
    figures = await store.operator_stats(day_start=now)
    assert (figures["deliveries_retrying"], figures["deliveries_failed"]) == (1, 0)
    await store.record_delivery_failure(
        delivery, error="400 Bad Request", retry_at=None, give_up=True
    )
    figures = await store.operator_stats(day_start=now)
    assert (figures["deliveries_retrying"], figures["deliveries_failed"]) == (0, 1)
    assert await store.pending_deliveries() == []  # given up on: no longer sent
    other = await store.commit_digest(chat.pk, "t", {"text": "x"}, [], now=now)
    assert other is not None
    await store.mark_delivered(other, now=now, message_ids=[])
    figures = await store.operator_stats(day_start=now)
    assert (figures["deliveries_failed"], figures["deliveries_sent"]) == (1, 1)


async def test_stats_on_telegram_depend_on_the_user_not_the_chat(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(fake, tmp_path, admins=["telegram:900"])
    async with started(fake, settings, clock) as tg:
        await tg.command("/start", chat_id=42, user_id=42)  # a command registers its chat
        [refused] = await tg.command("/stats", chat_id=43, user_id=43)
        assert "/stats is for the operators of this bot only" in refused["text"]
        [answer] = await tg.command("/stats", chat_id=900, user_id=900)
        assert "Bot statistics at 2026-01-15 09:00 UTC:" in answer["text"]
        # Chats 42 and 900; a refused command (chat 43) registers nothing.
        assert "Chats: 2 active of 2" in answer["text"]
