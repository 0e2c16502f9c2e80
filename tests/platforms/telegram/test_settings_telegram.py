"""/settings on Telegram, end to end: what the Bot API receives for digests.

The real python-telegram-bot talks to the fake Bot API on 127.0.0.1 (the harness of
test_telegram_e2e.py); the scheduled digest goes through the real outbox, so the delivery
options are read back from the stored payload.
"""

from __future__ import annotations

import html
import re

from bot.app.runner import build_scheduler
from bot.models import ChatTarget, StoredArticle
from bot.news.summarise import Summariser
from tests.support.clock import FakeClock
from tests.support.feeds import SEED_TITLE, FeedServer, rss_feed, seed_items
from tests.support.telegram import ADMIN, GROUP, MEMBER, TelegramHarness

SUMMARY_LINE = re.compile(r"</a>\n(?P<summary>[^\n<•][^\n<]*)")  # a text line under a title


async def subscribe(tg: TelegramHarness, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss_feed([], title="Seed News"))
    [answer] = await tg.command(f"/subscribe {url}")
    assert "Subscribed to Seed News." in answer["text"]


async def poll_unseen(tg: TelegramHarness) -> list[StoredArticle]:
    """Poll the private chat's feeds now; what its next digest is made from."""
    store = tg.app.services.store
    chat = await store.get_or_create_chat(ChatTarget("telegram", "1001"))
    await tg.app.services.poller.poll([sub.feed for sub in await store.list_subscriptions(chat.pk)])
    return await store.unseen_articles(chat.pk)


async def setting(tg: TelegramHarness, line: str, **kwargs: object) -> str:
    [answer] = await tg.command(f"/settings {line}", **kwargs)
    return answer["text"]


async def test_settings_change_the_digest_telegram_receives(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await subscribe(tg, feed_server)
    assert "layout set to compact." in await setting(tg, "layout compact")
    assert "silent set to on." in await setting(tg, "silent on")
    feed_server.serve("/feed.xml", rss_feed(seed_items(1, 2), title="Seed News"))
    [compact] = await tg.command("/digest")
    assert compact["disable_notification"] is True
    assert compact["link_preview_options"] == {"is_disabled": True}
    text = compact["text"]
    assert text.startswith("2 new stories.\n\n<b>Your news digest</b>\n\n<b>Seed News</b>\n")
    titles = re.findall(r'• <a href="([^"]+)">([^<]+)</a>', text)
    assert sorted(titles) == [
        (f"https://news.example/seed-{n}", html.escape(f"{SEED_TITLE} ({n})", quote=False))
        for n in (1, 2)
    ]
    assert SUMMARY_LINE.search(text) is None  # titles only

    for line in ("layout full", "sentences 1", "previews on", "silent off"):
        assert "set to" in await setting(tg, line)
    feed_server.serve("/feed.xml", rss_feed(seed_items(1, 2, 3), title="Seed News"))
    [article] = await poll_unseen(tg)
    assert len(article.summary) == 3  # stored with the operator's default
    [full] = await tg.command("/digest")
    assert full.get("disable_notification") in (None, False)
    assert full["link_preview_options"] == {"is_disabled": False}
    [summary] = SUMMARY_LINE.findall(full["text"])
    one = Summariser().summarise(
        article.text, title=article.title, sentences=1, language=article.language
    )
    assert len(one) == 1
    assert html.unescape(summary) == one[0]

    assert "sentences set to 3 (the default)." in await setting(tg, "sentences default")
    feed_server.serve("/feed.xml", rss_feed(seed_items(1, 2, 3, 4), title="Seed News"))
    [article] = await poll_unseen(tg)
    [default] = await tg.command("/digest")
    [summary] = SUMMARY_LINE.findall(default["text"])
    assert html.unescape(summary) == " ".join(article.summary)


async def test_group_members_cannot_change_settings(tg: TelegramHarness) -> None:
    tg.fake.chat_admins[GROUP] = [ADMIN]
    group = {"chat_id": GROUP, "chat_type": "group"}
    refused = await setting(tg, "silent on", user_id=MEMBER, **group)
    assert "Only administrators of this chat can change its settings." in refused
    assert "silent: off (default)" in await setting(tg, "silent", user_id=MEMBER, **group)
    assert "silent set to on." in await setting(tg, "silent on", user_id=ADMIN, **group)


async def test_scheduled_digest_keeps_the_options_it_was_composed_with(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    """The outbox row carries silent/previews/layout: a retry sends what was composed."""
    await subscribe(tg, feed_server)
    await setting(tg, "silent on")
    await setting(tg, "layout compact")
    feed_server.serve("/feed.xml", rss_feed(seed_items(1), title="Seed News"))
    scheduler = build_scheduler(tg.app, [tg.platform])
    clock.advance(days=1)
    await scheduler.poll_feeds()
    # Telegram keeps answering 502: the adapter's own retries run out, the outbox backs off.
    tg.fake.fail_next("sendMessage", error_code=502, description="Bad Gateway", times=4)
    await scheduler.digest_tick()
    [pending] = await tg.app.services.store.pending_deliveries()  # failed, kept
    assert pending.attempts == 1
    await setting(tg, "silent off")  # changed after the digest was composed
    await setting(tg, "layout full")
    assert (await scheduler.deliver()).sent == 0  # not before its back-off is over
    clock.advance(minutes=1)
    report = await scheduler.deliver()
    assert report.sent == 1
    delivered = tg.fake.sent_messages()[-1]
    assert delivered["text"].startswith("1 new story.")
    assert delivered["disable_notification"] is True
    assert delivered["link_preview_options"] == {"is_disabled": True}
    assert SUMMARY_LINE.search(delivered["text"]) is None  # still the compact layout
