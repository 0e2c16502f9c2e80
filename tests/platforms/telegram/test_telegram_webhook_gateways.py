"""Several gateway processes behind one Telegram webhook URL (a load balancer in front).

Each gateway registers the webhook at start; Telegram keeps the last registration, secret
included, and sends every update with that secret to the one URL, where the balancer hands
it to any gateway. Two real adapters (python-telegram-bot's webhook servers) on one
database; the test plays Telegram and the balancer, posting updates to each in turn with
the secret Telegram holds. Store: SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from bot.models import ChatTarget
from config.settings import Settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.outbox import enqueue_digest, outbox_for
from tests.support.settings import make_settings
from tests.support.telegram import TelegramHarness, free_port, started

HOOK_URL = "https://bot.example.org/telegram/hook"
ASKERS = range(3001, 3007)  # six private chats, one command each
READERS = range(4001, 4005)  # four chats with a digest waiting


def gateway_settings(
    fake: FakeTelegramAPI, database_url: str, port: int, **extra: object
) -> Settings:
    return make_settings(
        database_url,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_url=HOOK_URL,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        **extra,
    )


@pytest.fixture
async def gateways(
    fake: FakeTelegramAPI, database_url: str, clock: FakeClock
) -> AsyncIterator[list[tuple[TelegramHarness, str]]]:
    """Two gateways on one database, no TELEGRAM_WEBHOOK_SECRET: each and its local hook."""
    async with AsyncExitStack() as stack:
        running = []
        for _ in range(2):
            port = free_port()
            settings = gateway_settings(fake, database_url, port)
            harness = await stack.enter_async_context(started(fake, settings, clock))
            running.append((harness, f"http://127.0.0.1:{port}/telegram/hook"))
        yield running


async def test_commands_through_a_balancer_are_answered_once_each(
    fake: FakeTelegramAPI, gateways: list[tuple[TelegramHarness, str]]
) -> None:
    async with httpx.AsyncClient() as client:
        for turn, chat_id in enumerate(ASKERS):
            update_id = fake.send_command("/help", chat_id=chat_id, user_id=chat_id)
            _, hook = gateways[turn % 2]
            posted = await client.post(
                hook, json=fake.take_update(update_id), headers=fake.webhook_headers()
            )
            assert posted.status_code == 200, (turn, posted.status_code)
    await fake.wait_for_call("sendMessage", count=len(ASKERS))
    for harness, _ in gateways:
        await asyncio.wait_for(harness.platform.wait_idle(), timeout=30)
    assert [len(fake.sent_messages(chat_id)) for chat_id in ASKERS] == [1] * len(ASKERS)
    first, second = fake.calls_to("setWebhook")
    assert first.params == second.params  # the same registration: starting one more is a no-op


async def test_digests_waiting_are_sent_once_by_either_gateway(
    fake: FakeTelegramAPI, gateways: list[tuple[TelegramHarness, str]]
) -> None:
    app = gateways[0][0].app
    for n, chat_id in enumerate(READERS):
        await enqueue_digest(app, ChatTarget("telegram", str(chat_id)), 2, first=10 * n)
    reports = await asyncio.gather(
        *(outbox_for(h.app, h.platform).deliver_pending() for h, _ in gateways)
    )
    assert sum(report.sent for report in reports) == len(READERS)
    assert [len(fake.sent_messages(chat_id)) for chat_id in READERS] == [1] * len(READERS)


async def test_a_long_polling_process_meeting_another_says_to_use_a_webhook(
    fake: FakeTelegramAPI,
    tg: TelegramHarness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram answers 409 to getUpdates while another process polls the same token."""
    fake.fail_next(
        "getUpdates",
        error_code=409,
        description="Conflict: terminated by other getUpdates request; make sure that only "
        "one bot instance is running",
    )
    await fake.wait_until(lambda: "TELEGRAM_WEBHOOK_URL" in caplog.text, timeout=15)
    [record] = [r for r in caplog.records if "TELEGRAM_WEBHOOK_URL" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert "another process" in record.getMessage()
