"""Discord delivery from the outbox and interaction answers, end to end through the fake.

The real adapter (discord.py), outbox, delivery policy and store (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set) against tests/fakes/discord_api.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.wiring import App
from bot.delivery.policy import retry_delay
from bot.models import ChatTarget
from bot.store.tables import DeliveryRow
from tests.fakes.discord_api import FakeDiscordAPI
from tests.support.clock import FakeClock
from tests.support.discord import CHANNEL, DiscordHarness, started
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
