"""Discord end to end: the real discord.py against a fake REST API and gateway on 127.0.0.1.

The adapter logs in, syncs its slash commands, receives INTERACTION_CREATE over the fake
gateway and answers through the fake's interaction and webhook routes; digests from the
outbox are posted to channels. What reached the fake is what is checked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.models import ChatTarget
from bot.news.opml import OPMLFeed, build_opml, parse_opml
from handlers.model import Reply
from tests.fakes.discord_api import FakeDiscordAPI
from tests.support import REPO
from tests.support.discord import (
    CHANNEL,
    MANAGE_CHANNELS,
    NO_PERMISSIONS,
    THREAD,
    DiscordHarness,
    text_of,
)
from tests.support.feeds import FeedServer, rss_feed, stories


async def test_slash_commands_are_synced_from_the_registry(dc: DiscordHarness) -> None:
    registered = {command["name"]: command for command in dc.fake.registered_commands()}
    assert list(registered) == [spec.name for spec in dc.app.registry.all()]
    subscribe = registered["subscribe"]
    assert subscribe["options"][0]["name"] == "url"
    assert subscribe["options"][0]["required"] is True
    assert int(subscribe["default_member_permissions"]) == MANAGE_CHANNELS
    assert registered["import"]["options"][0]["type"] == 11  # attachment
    assert registered["help"].get("default_member_permissions") is None


async def test_every_command_happy_path(dc: DiscordHarness, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(*range(2)), title="City News"))
    assert "collect news" in text_of(await dc.slash("start"))
    assert "/subscribe" in text_of(await dc.slash("help"))
    assert "Time zone set to Europe/Berlin." in text_of(
        await dc.slash("timezone", {"zone": "Europe/Berlin"}, permissions=MANAGE_CHANNELS)
    )
    subscribed = await dc.slash("subscribe", {"url": url}, permissions=MANAGE_CHANNELS)
    assert "Subscribed to City News." in text_of(subscribed)
    assert subscribed[0]["type"] == 5  # deferred first: fetching takes time
    assert f"1. City News — {url}" in text_of(await dc.slash("list"))
    feed_server.serve("/feed.xml", rss_feed(stories(*range(3)), title="City News"))
    digest = await dc.slash("digest")
    assert "1 new story." in text_of(digest)
    assert "Story 2" in text_of(digest)
    assert "every 6 hours" in text_of(
        await dc.slash("schedule", {"when": "every 6h"}, permissions=MANAGE_CHANNELS)
    )
    assert "Unsubscribed" in text_of(
        await dc.slash("unsubscribe", {"target": "1"}, permissions=MANAGE_CHANNELS)
    )


@pytest.mark.parametrize(
    ("command", "options", "complaint"),
    [
        ("subscribe", {"url": "notaurl"}, "Could not subscribe"),
        ("unsubscribe", {"target": "5"}, "no subscriptions"),
        ("schedule", {"when": "25:99"}, "not a time of day"),
        ("timezone", {"zone": "Mars/Base"}, "not an IANA time zone"),
        ("import", None, "choose the file in the command's file option"),
        ("help", {"command": "nosuch"}, "There is no /nosuch command"),
    ],
)
async def test_bad_input_is_answered_privately(
    dc: DiscordHarness, command: str, options: dict | None, complaint: str
) -> None:
    responses = await dc.slash(command, options, permissions=MANAGE_CHANNELS)
    assert complaint in text_of(responses)
    assert all(response["ephemeral"] for response in responses if response.get("data"))


async def test_errors_are_ephemeral_and_successes_visible(dc: DiscordHarness) -> None:
    [answer] = await dc.slash("unsubscribe", {"target": "9"}, permissions=MANAGE_CHANNELS)
    assert answer["data"]["flags"] & 64  # ephemeral
    [visible] = await dc.slash("list")
    assert not (visible["data"].get("flags") or 0) & 64


async def test_members_without_manage_permissions_are_refused(
    dc: DiscordHarness, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    refused = await dc.slash("subscribe", {"url": url}, permissions=NO_PERMISSIONS)
    assert "Only administrators of this chat" in text_of(refused)
    assert feed_server.hits == {}
    assert "No subscriptions yet" in text_of(await dc.slash("list", permissions=NO_PERMISSIONS))


async def test_direct_messages_work_for_personal_digests(
    dc: DiscordHarness, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    answer = await dc.slash("subscribe", {"url": url}, dm=True, permissions=NO_PERMISSIONS)
    assert "Subscribed" in text_of(answer)


async def test_commands_in_a_thread_target_the_thread(
    dc: DiscordHarness, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    await dc.slash("subscribe", {"url": url}, channel_id=THREAD, permissions=MANAGE_CHANNELS)
    store = dc.app.services.store
    chat = await store.find_chat(ChatTarget("discord", str(CHANNEL), str(THREAD)))
    assert chat is not None
    assert len(await store.list_subscriptions(chat.pk)) == 1


async def test_opml_import_and_export(dc: DiscordHarness, feed_server: FeedServer) -> None:
    first = feed_server.serve("/a.xml", rss_feed(stories(0), title="Feed A"))
    upload = build_opml([OPMLFeed(first, "Alpha")], title="mine")
    report = await dc.slash(
        "import",
        {"file": ("mine.opml", upload, "text/x-opml")},
        permissions=MANAGE_CHANNELS,
    )
    assert "1 added, 0 already present, 0 failed" in text_of(report)
    exported = await dc.slash("export")
    files = [f for response in exported for f in response.get("files", {}).values()]
    [(filename, content)] = files
    assert filename == "subscriptions.opml"
    assert [(f.url, f.title) for f in parse_opml(content)] == [(first, "Alpha")]


async def outbox_digest(dc: DiscordHarness, target: ChatTarget, count: int) -> OutboxSender:
    store = dc.app.services.store
    chat = await store.get_or_create_chat(target)
    feed = await store.get_or_create_feed("https://feeds.example/rss")
    await store.subscribe(chat.pk, feed.id)
    from bot.models import NewArticle

    articles = [
        NewArticle(
            f"guid:{n}",
            f"news.example/{n}",
            f"https://news.example/{n}",
            f"Story {n} @everyone",
            None,
            None,
            "text",
            [f"Summary {n} with **markdown** <@42>."],
            "en",
        )
        for n in range(count)
    ]
    await store.store_articles(feed.id, articles, now=dc.app.services.clock())
    prepared = await dc.app.services.composer.prepare(chat, max_items=count)
    assert prepared is not None
    digest, ids = prepared
    reply = Reply(text=f"{count} new stories.", digest=digest)
    await store.commit_digest(
        chat.pk, "slot-1", reply_to_payload(reply), ids, now=dc.app.services.clock()
    )
    return OutboxSender(store, {"discord": dc.platform}, clock=dc.app.services.clock)


async def test_digest_is_split_across_messages_and_pings_nobody(dc: DiscordHarness) -> None:
    sender = await outbox_digest(dc, ChatTarget("discord", str(CHANNEL)), 24)
    report = await sender.deliver_pending()
    assert report.sent == 1
    messages = dc.fake.channel_messages(CHANNEL)
    assert len(messages) == 3  # 10 + 10 + 4 embeds
    assert sum(len(m["embeds"]) for m in messages) == 24
    for call in dc.fake.calls_to("POST", f"/channels/{CHANNEL}/messages"):
        assert call.json["allowed_mentions"]["parse"] == []


async def test_missing_access_pauses_the_channel(dc: DiscordHarness) -> None:
    target = ChatTarget("discord", str(CHANNEL))
    sender = await outbox_digest(dc, target, 2)
    dc.fake.fail_next(
        "POST", f"/channels/{CHANNEL}/messages", status=403, code=50001, message="Missing Access"
    )
    report = await sender.deliver_pending()
    assert report.failed == 1
    chat = await dc.app.services.store.find_chat(target)
    assert chat is not None
    assert not chat.active
    assert len(await dc.app.services.store.pending_deliveries()) == 1  # kept, not lost


async def test_unknown_channel_is_paused_like_everywhere_else(dc: DiscordHarness) -> None:
    """One lifecycle policy on every platform: a vanished chat is paused, never deleted, and
    its pending digest is kept (it goes out if the channel comes back and talks again)."""
    target = ChatTarget("discord", "9999")
    sender = await outbox_digest(dc, target, 1)
    report = await sender.deliver_pending()
    assert report.failed == 1
    chat = await dc.app.services.store.find_chat(target)
    assert chat is not None
    assert not chat.active
    [kept] = await dc.app.services.store.pending_deliveries()
    assert kept.last_error is not None
    assert kept.last_error.startswith("gone")
    assert kept.attempts == 0  # a refusal is not an attempt: nothing is used up
    assert (await sender.deliver_pending()).sent == 0  # and nothing is retried meanwhile
    assert len(dc.fake.calls_to("GET", "/channels/9999")) == 1  # asked once, not per batch


async def test_sixty_item_digest_stays_within_every_embed_limit(dc: DiscordHarness) -> None:
    sender = await outbox_digest(dc, ChatTarget("discord", str(CHANNEL)), 60)
    report = await sender.deliver_pending()
    assert report.sent == 1  # the fake rejects anything over Discord's limits with a 400
    messages = dc.fake.channel_messages(CHANNEL)
    assert len(messages) == 6
    titles = [embed["title"] for message in messages for embed in message["embeds"]]
    assert len(titles) == 60
    assert len(set(titles)) == 60


async def test_hostile_feed_text_pings_nobody(dc: DiscordHarness) -> None:
    sender = await outbox_digest(dc, ChatTarget("discord", str(CHANNEL)), 3)
    await sender.deliver_pending()
    for message in dc.fake.channel_messages(CHANNEL):
        assert message["mention_everyone"] is False
        assert message["mentions"] == []
        for embed in message["embeds"]:
            assert "\\*\\*markdown\\*\\*" in embed["description"]


async def test_rate_limited_send_is_retried_and_delivered_once(dc: DiscordHarness) -> None:
    sender = await outbox_digest(dc, ChatTarget("discord", str(CHANNEL)), 2)
    dc.fake.fail_next(
        "POST",
        f"/channels/{CHANNEL}/messages",
        status=429,
        message="rate limited",
        retry_after=0.05,
    )
    report = await sender.deliver_pending()
    assert report.sent == 1
    assert len(dc.fake.channel_messages(CHANNEL)) == 1
    statuses = [c.status for c in dc.fake.calls_to("POST", f"/channels/{CHANNEL}/messages")]
    assert statuses == [429, 200]


async def test_main_answers_a_slash_command_and_exits_cleanly_on_sigint(tmp_path: Path) -> None:
    async with FakeDiscordAPI() as fake:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))},
            "DISCORD_BOT_TOKEN": fake.token,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "main.py"),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_ready(timeout=60)
            await fake.wait_until(lambda: bool(fake.registered_commands()), timeout=30)
            interaction = await fake.send_interaction("start")
            await fake.wait_until(lambda: bool(interaction.responses), timeout=30)
            assert "collect news" in text_of(interaction.responses)
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"discord: stopped" in stderr
