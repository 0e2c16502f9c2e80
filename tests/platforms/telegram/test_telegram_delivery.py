"""Telegram delivery from the outbox, end to end through the fake Bot API.

The real adapter, outbox, delivery policy and store (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) against tests/fakes/telegram_api.py: what reached the fake,
and what the store says afterwards, is what is checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import ChatTarget
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.outbox import enqueue_digest, outbox_for
from tests.support.settings import make_settings
from tests.support.telegram import ADMIN, GROUP, TelegramHarness, started

GROUP_TARGET = ChatTarget("telegram", str(GROUP))


@pytest.fixture
async def bot(
    fake: FakeTelegramAPI, database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[TelegramHarness]:
    """The bot against the fake, on the test database (SQLite, or PostgreSQL too)."""
    settings = make_settings(
        database_url, telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url
    )
    async with started(fake, settings, clock) as harness:
        yield harness


@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: not enough rights to send text messages to the chat",
        "Bad Request: have no rights to send a message",
        "Bad Request: CHAT_WRITE_FORBIDDEN",
        "Bad Request: CHAT_RESTRICTED",
        "Bad Request: need administrator rights in the channel chat",
    ],
)
async def test_a_bot_that_may_no_longer_post_pauses_the_chat_and_keeps_the_digest(
    bot: TelegramHarness, description: str
) -> None:
    store = bot.app.services.store
    await enqueue_digest(bot.app, GROUP_TARGET, 2)
    sender = outbox_for(bot.app, bot.platform)
    bot.fake.restrict_posting(GROUP, description)
    report = await sender.deliver_pending()
    assert report.failed == 1
    chat = await store.find_chat(GROUP_TARGET)
    assert chat is not None
    assert not chat.active  # paused like a 403, not a rejected message
    [kept] = await store.pending_deliveries()
    assert kept.attempts == 0  # the refusal uses up nothing
    assert (await sender.deliver_pending()).sent == 0  # and is not retried meanwhile
    assert len(bot.fake.calls_to("sendMessage")) == 1

    bot.fake.allow_posting(GROUP)  # an admin gives the right back, and someone talks
    bot.fake.chat_admins[GROUP] = [ADMIN]
    await bot.command("/list", chat_id=GROUP, chat_type="group", user_id=ADMIN)
    assert (await sender.deliver_pending()).sent == 1
    [digest] = [m for m in bot.fake.sent_messages(GROUP) if "Story 0" in m["text"]]
    assert "Story 1" in digest["text"]
    assert await store.pending_deliveries() == []
