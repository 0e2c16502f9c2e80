"""Telegram delivery from the outbox, end to end through the fake Bot API.

The real adapter, outbox, delivery policy and store (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) against tests/fakes/telegram_api.py: what reached the fake,
and what the store says afterwards, is what is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.wiring import App
from bot.delivery.policy import retry_delay
from bot.models import ChatTarget
from bot.store.tables import DeliveryRow
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


def stories_in(messages: list[dict]) -> list[str]:
    """Every story title in the messages Telegram accepted, as often as it was shown."""
    return [title for m in messages for title in re.findall(r">(Story \d+)</a>", m["text"])]


async def delivered_ids(app: App, delivery_id: int) -> list[str]:
    """The message ids the outbox recorded for a delivery it marked sent."""
    async with app.services.store.session() as session:
        row = await session.get(DeliveryRow, delivery_id)
        assert row is not None
        assert row.status == "sent"
        return list((row.message_ids or {})["ids"])


async def test_a_split_digest_resumes_at_the_message_that_failed(
    bot: TelegramHarness, clock: FakeClock
) -> None:
    delivery = await enqueue_digest(bot.app, GROUP_TARGET, 16, words=100)
    sender = outbox_for(bot.app, bot.platform)
    # Part 1 is accepted; part 2 meets a 502 more times than the adapter retries itself.
    bot.fake.fail_next("sendMessage", error_code=502, description="Bad Gateway", after=1, times=4)
    assert (await sender.deliver_pending()).failed == 1
    assert len(bot.fake.sent_messages(GROUP)) == 1
    clock.advance(seconds=retry_delay(1).total_seconds())
    assert (await sender.deliver_pending()).sent == 1
    messages = bot.fake.sent_messages(GROUP)
    assert len(messages) >= 3
    assert sorted(stories_in(messages)) == sorted(f"Story {n}" for n in range(16))  # once each
    ids = await delivered_ids(bot.app, delivery)
    assert len(ids) == len(messages) == len(set(ids))  # every part counted once


async def test_a_restart_between_two_messages_of_a_digest_sends_the_rest_once(
    fake: FakeTelegramAPI, database_url: str, clock: FakeClock
) -> None:
    settings = make_settings(
        database_url, telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url
    )
    async with started(fake, settings, clock) as first:
        delivery = await enqueue_digest(first.app, GROUP_TARGET, 16, words=100)
        fake.hold_next("sendMessage", after=1)  # part 2 never gets through: the process dies
        sending = asyncio.create_task(outbox_for(first.app, first.platform).deliver_pending())
        await fake.wait_until(lambda: len(fake.calls_to("sendMessage")) == 2)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        fake.release()
    assert len(fake.sent_messages(GROUP)) == 1
    clock.advance(minutes=30)  # whatever the dead process held has expired by now
    async with started(fake, settings, clock) as second:
        assert (await outbox_for(second.app, second.platform).deliver_pending()).sent == 1
        messages = fake.sent_messages(GROUP)
        assert sorted(stories_in(messages)) == sorted(f"Story {n}" for n in range(16))
        ids = await delivered_ids(second.app, delivery)
        assert len(ids) == len(messages) == len(set(ids))
