"""Telegram webhook mode refuses forged updates even when the operator set no secret.

The webhook URL is public by nature; without a secret token anyone who finds it can POST an
update "from" a group's admin and run its commands. The real python-telegram-bot runs
against the fake Bot API: the secret it registered with setWebhook is read back from the
fake, as Telegram would send it, and requests are made to the bot's own webhook server.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from bot.models import ChatTarget
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import ADMIN, GROUP, free_port, settings_for, started

HOOK_URL = "https://bot.example.org/telegram/hook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


async def test_webhook_without_a_configured_secret_refuses_forged_updates(
    fake: FakeTelegramAPI,
    tmp_path: Path,
    clock: FakeClock,
    feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    url = feed_server.serve("/feed.xml", rss_feed(stories(0), title="Group News"))
    fake.chat_admins[GROUP] = [ADMIN]
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    settings = settings_for(
        fake,
        tmp_path,
        telegram_webhook_url=HOOK_URL,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    group = {"chat_id": GROUP, "chat_type": "group", "user_id": ADMIN}

    def update(text: str) -> dict:
        update_id = fake.send_command(text, **group)  # type: ignore[arg-type]
        return next(u for u in fake.pending_updates if u["update_id"] == update_id)

    async with started(fake, settings, clock) as tg, httpx.AsyncClient() as client:
        [registration] = fake.calls_to("setWebhook")
        assert registration.params["url"] == HOOK_URL
        secret = registration.params.get("secret_token")
        assert secret is not None
        assert TELEGRAM_SECRET_TOKEN.fullmatch(secret)
        assert "the webhook secret is derived from the bot token" in caplog.text
        assert secret not in caplog.text

        genuine = await client.post(
            hook, json=update(f"/subscribe {url}"), headers={SECRET_HEADER: secret}
        )
        assert genuine.status_code == 200
        await fake.wait_for_call("sendMessage")
        await tg.platform.wait_idle()
        assert "Subscribed to Group News." in fake.sent_messages()[0]["text"]

        forged = update("/unsubscribe 1")
        for headers in ({}, {SECRET_HEADER: "guessed"}, {SECRET_HEADER: ""}):
            refused = await client.post(hook, json=forged, headers=headers)
            assert refused.status_code == 403, headers

        listed = await client.post(hook, json=update("/list"), headers={SECRET_HEADER: secret})
        assert listed.status_code == 200
        await fake.wait_for_call("sendMessage", count=2)
        await tg.platform.wait_idle()
        texts = [message["text"] for message in fake.sent_messages()]
        assert len(texts) == 2  # the forged /unsubscribe got no answer: it never ran
        assert "1. Group News" in texts[1]
        store = tg.app.services.store
        chat = await store.find_chat(ChatTarget("telegram", str(GROUP)))
        assert chat is not None
        assert [sub.display_title for sub in await store.list_subscriptions(chat.pk)] == [
            "Group News"
        ]
