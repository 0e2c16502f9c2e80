"""What every adapter does the same: refuse first, answer in order, settle the outbox.

End to end with the real python-telegram-bot and discord.py against the fake servers:

- a chat outside NEWSDIGEST_ALLOWED_CHATS is refused before the bot downloads its upload,
  asks who its admins are, or shows "thinking…";
- a long digest and a command answer to the same chat never interleave;
- two /digest at once: one digest, the other answer says one is being prepared, and the
  /digest that was answered is settled in the outbox (sent, not left pending).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.digest.composer import build_digest
from bot.models import ChatTarget, Reply, StoredArticle
from bot.news.opml import OPMLFeed, build_opml
from handlers.commands.digest import BEING_PREPARED
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.discord import MANAGE_CHANNELS
from tests.support.discord import settings_for as discord_settings
from tests.support.discord import started as discord_started
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import GROUP, settings_for, started

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
OPML = build_opml([OPMLFeed("https://feeds.example/a.xml", "A")], title="mine")
TITLE_LINK = re.compile(r'<a href="[^"]+">(Story \d+)</a>')


async def test_telegram_refuses_a_chat_outside_the_allow_list_before_any_lookup(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(fake, tmp_path, allowed_chats=["telegram:1"])
    async with started(fake, settings, clock) as tg:
        stored = fake.register_file(OPML, file_name="big.opml")
        document = {"file_name": "big.opml", "content": OPML, "mime_type": "text/x-opml"}
        [refusal] = await tg.command(
            "/import", chat_id=GROUP, chat_type="group", user_id=77, document=document
        )
        assert "this bot is private" in refusal["text"]
        assert "telegram:-5005" in refusal["text"]
        assert fake.calls_to("getFile") == []
        assert fake.calls_to("getChatAdministrators") == []
        assert stored.file_id not in str(fake.calls)
        assert await tg.app.services.store.find_chat(ChatTarget("telegram", str(GROUP))) is None


async def test_discord_refuses_a_channel_outside_the_allow_list_before_any_download(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with FakeDiscordAPI() as api:
        settings = discord_settings(api, tmp_path, allowed_chats=["discord:1"])
        async with discord_started(api, settings, clock) as dc:
            interaction = await api.send_interaction(
                "import", {"file": ("mine.opml", OPML, "text/x-opml")}, permissions=MANAGE_CHANNELS
            )
            await api.wait_until(lambda: bool(interaction.responses))
            await asyncio.wait_for(dc.platform.wait_idle(), timeout=30)
            assert interaction.callback_type == 4  # answered at once: no "thinking…" first
            [answer] = interaction.responses
            assert "this bot is private" in answer["data"]["content"]
            assert answer["data"]["flags"] & 64  # ephemeral: only the asker sees it
            assert api.file_downloads == []


def long_digest_payload(count: int) -> dict:
    articles = [
        StoredArticle(
            id=n,
            title=f"Story number {n} about the long night of the council budget",
            link=f"https://news.example/{n}",
            source="Council News",
            published=NOW - timedelta(minutes=n),
            first_seen=NOW,
            summary=["The council met until dawn. " * 6, "Nobody agreed on anything. " * 5],
            text="",
        )
        for n in range(count)
    ]
    digest = build_digest(articles)
    return reply_to_payload(Reply(text=f"{count} new stories.", digest=digest))


async def test_a_long_digest_and_a_command_answer_never_interleave(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    async with started(fake, settings_for(fake, tmp_path), clock) as tg:
        store = tg.app.services.store
        chat = await store.get_or_create_chat(ChatTarget("telegram", "1001"))
        await store.commit_digest(chat.pk, "slot", long_digest_payload(30), [], now=clock())
        outbox = OutboxSender(store, {"telegram": tg.platform}, clock=clock)
        delivering = asyncio.create_task(outbox.deliver_pending())
        await fake.wait_for_call("sendMessage")  # the digest has started going out
        fake.send_command("/help")
        await delivering
        await fake.wait_until(lambda: any("/subscribe" in t for t in texts(fake)))
        await asyncio.wait_for(tg.platform.wait_idle(), timeout=30)
    sent = texts(fake)
    digest_parts = [i for i, text in enumerate(sent) if "Story number" in text]
    [help_answer] = [i for i, text in enumerate(sent) if "/subscribe" in text]
    assert len(digest_parts) >= 3  # long enough to be split
    assert digest_parts == list(range(digest_parts[0], digest_parts[-1] + 1))  # contiguous
    assert help_answer > digest_parts[-1]  # and the answer waited its turn


def texts(fake: FakeTelegramAPI) -> list[str]:
    return [call.params["text"] for call in fake.calls_to("sendMessage") if call.ok]


async def test_two_digest_commands_at_once_show_each_story_once_and_settle_the_outbox(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    async with started(fake, settings_for(fake, tmp_path), clock) as tg:
        await tg.command(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(*range(1, 13))))
        before = len(texts(fake))
        fake.send_command("/digest")
        fake.send_command("/digest")
        await fake.wait_until(lambda: len(texts(fake)) >= before + 2)
        await asyncio.wait_for(tg.platform.wait_idle(), timeout=30)
        answers = texts(fake)[before:]
        store = tg.app.services.store
        counts = await store.delivery_counts()
    assert sum(BEING_PREPARED in text for text in answers) == 1
    shown = [title for text in answers for title in TITLE_LINK.findall(text)]
    assert len(shown) == 12
    assert len(set(shown)) == 12
    assert (counts.sent, counts.waiting, counts.retrying) == (1, 0, 0)
