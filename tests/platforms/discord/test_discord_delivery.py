"""Discord delivery from the outbox and interaction answers, end to end through the fake.

The real adapter (discord.py), outbox, delivery policy and store (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set) against tests/fakes/discord_api.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app.wiring import App
from bot.delivery.policy import retry_delay
from bot.models import ChatTarget
from bot.store.tables import DeliveryRow
from tests.fakes.discord_api import FakeDiscordAPI
from tests.support.clock import FakeClock
from tests.support.discord import CHANNEL, MANAGE_CHANNELS, DiscordHarness, started
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.outbox import enqueue_digest, outbox_for
from tests.support.settings import make_settings

TARGET = ChatTarget("discord", str(CHANNEL))


@pytest.fixture
async def bot(database_url: str, clock: FakeClock) -> AsyncIterator[DiscordHarness]:
    """The bot against the fake, on the test database (SQLite, or PostgreSQL too)."""
    async with FakeDiscordAPI() as fake:
        settings = make_settings(
            database_url,
            discord_bot_token=fake.token,
            discord_api_base_url=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        )
        async with started(fake, settings, clock) as harness:
            yield harness


async def delivered_ids(app: App, delivery_id: int) -> list[str]:
    async with app.services.store.session() as session:
        row = await session.get(DeliveryRow, delivery_id)
        assert row is not None
        assert row.status == "sent"
        return list((row.message_ids or {})["ids"])


async def test_a_split_digest_resumes_at_the_message_that_failed(
    bot: DiscordHarness, clock: FakeClock
) -> None:
    delivery = await enqueue_digest(bot.app, TARGET, 24)  # 10 + 10 + 4 embeds
    sender = outbox_for(bot.app, bot.platform)
    bot.fake.fail_next(
        "POST", f"/channels/{CHANNEL}/messages", status=503, message="unavailable", after=1
    )
    assert (await sender.deliver_pending()).failed == 1
    assert len(bot.fake.channel_messages(CHANNEL)) == 1
    clock.advance(seconds=retry_delay(1).total_seconds())
    assert (await sender.deliver_pending()).sent == 1
    messages = bot.fake.channel_messages(CHANNEL)
    titles = [embed["title"] for message in messages for embed in message["embeds"]]
    assert sorted(titles) == sorted(f"Story {n}" for n in range(24))  # each once
    assert len(messages) == 3
    ids = await delivered_ids(bot.app, delivery)
    assert sorted(ids) == sorted(str(m["id"]) for m in messages)


WEBHOOK = r"/webhooks/\d+/[^/]+"
CALLBACK = r"/interactions/\d+/[^/]+/callback"


async def subscribed_with_news(bot: DiscordHarness, feed_server: FeedServer) -> None:
    """The channel follows a feed that has one story it has not seen."""
    url = feed_server.serve("/feed.xml", rss_feed(stories(1), title="City News"))
    await bot.slash("subscribe", {"url": url}, permissions=MANAGE_CHANNELS)
    feed_server.serve("/feed.xml", rss_feed(stories(2, 1), title="City News"))


def digest_posted(bot: DiscordHarness) -> bool:
    """Whether the channel shows the digest with the new story."""
    posted = bot.fake.channel_messages(CHANNEL)
    return any("Story 2" in embed["title"] for m in posted for embed in m["embeds"])


async def assert_posted_in_channel_and_not_paused(bot: DiscordHarness) -> None:
    store = bot.app.services.store
    chat = await store.find_chat(TARGET)
    assert chat is not None
    assert chat.active  # the interaction expired, not the channel
    assert digest_posted(bot)
    assert await store.pending_deliveries() == []  # answered, and settled as sent


@pytest.mark.parametrize(
    ("code", "message"), [(10015, "Unknown Webhook"), (10062, "Unknown interaction")]
)
async def test_an_expired_interaction_token_answers_in_the_channel_instead(
    bot: DiscordHarness, feed_server: FeedServer, code: int, message: str
) -> None:
    await subscribed_with_news(bot, feed_server)
    # /digest took longer than the interaction's 15 minutes: its follow-up is refused.
    bot.fake.fail_next("POST", WEBHOOK, status=404, code=code, message=message)
    await bot.slash("digest")
    await assert_posted_in_channel_and_not_paused(bot)


async def test_a_missed_acknowledgement_still_runs_the_command_and_answers_in_the_channel(
    bot: DiscordHarness, feed_server: FeedServer
) -> None:
    await subscribed_with_news(bot, feed_server)
    # The three seconds to acknowledge passed (a busy loop): the deferral is refused.
    bot.fake.fail_next("POST", CALLBACK, status=404, code=10062, message="Unknown interaction")
    await bot.fake.send_interaction("digest")
    await bot.fake.wait_until(lambda: digest_posted(bot))
    await asyncio.wait_for(bot.platform.wait_idle(), timeout=30)
    await assert_posted_in_channel_and_not_paused(bot)
