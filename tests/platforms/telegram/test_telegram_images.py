"""The lead story's picture on Telegram, end to end: a feed served from 127.0.0.1 with
media:thumbnail, polled by the real scheduler, sent by python-telegram-bot to the fake Bot
API as the first message's link preview; /settings images off; a picture Telegram refuses
(the digest still arrives, once); hostile picture addresses never reach Telegram.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app.runner import build_scheduler
from bot.delivery.scheduler import BotScheduler
from bot.platforms.telegram.errors import picture_refused
from bot.store.tables import DeliveryRow
from tests.support.clock import FakeClock
from tests.support.feeds import SEED_TITLE, FeedServer, rss_feed, seed_items
from tests.support.telegram import TelegramHarness

PICTURE = "https://img.example.com/news/lead.jpg"
LEAD = f"{PICTURE}?n=seed-2"  # the newest story leads the digest
PREVIEW = {"url": LEAD, "prefer_large_media": True, "show_above_text": True}


def pictured(*numbers: int, words: int = 0) -> list[dict[str, str]]:
    items = seed_items(*numbers)
    for item in items:
        item["thumbnail"] = f"{PICTURE}?n={item['guid']}"
        item["description"] += "<p>" + " ".join(f"filler{n}." for n in range(words)) + "</p>"
    return items


async def subscribe(tg: TelegramHarness, server: FeedServer) -> BotScheduler:
    url = server.serve("/feed.xml", rss_feed([], title="Seed News"))
    [answer] = await tg.command(f"/subscribe {url}")
    assert "Subscribed to Seed News." in answer["text"]
    return build_scheduler(tg.app, [tg.platform])


async def scheduled_digest(
    tg: TelegramHarness, scheduler: BotScheduler, clock: FakeClock
) -> list[dict]:
    before = len(tg.fake.sent_messages())
    clock.advance(days=1)
    await scheduler.poll_feeds()
    await scheduler.digest_tick()
    return tg.fake.sent_messages()[before:]


async def delivery_statuses(tg: TelegramHarness) -> list[str]:
    async with tg.app.services.store.session() as session:
        return list(await session.scalars(select(DeliveryRow.status)))


async def test_the_lead_picture_is_the_first_messages_preview(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(tg, feed_server)
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    [message] = await scheduled_digest(tg, scheduler, clock)
    assert message["text"].startswith("2 new stories.")
    assert message["link_preview_options"] == PREVIEW


async def test_only_the_first_message_of_a_long_digest_shows_it(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(tg, feed_server)
    await tg.command("/settings sentences 5")
    feed_server.serve("/feed.xml", rss_feed(pictured(*range(1, 13), words=400), title="N"))
    messages = await scheduled_digest(tg, scheduler, clock)
    assert len(messages) > 1
    assert messages[0]["link_preview_options"]["url"] == f"{PICTURE}?n=seed-12"
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in messages[1:])


async def test_images_off_keeps_the_previews_setting(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(tg, feed_server)
    [answer] = await tg.command("/settings images off")
    assert "images set to off." in answer["text"]
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    [message] = await scheduled_digest(tg, scheduler, clock)
    assert message["link_preview_options"] == {"is_disabled": True}


@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: failed to get HTTP URL content",
        "Bad Request: wrong file identifier/HTTP URL specified",
        "Bad Request: WEBPAGE_MEDIA_EMPTY",
    ],
)
async def test_a_refused_picture_still_delivers_the_digest_once(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock, description: str
) -> None:
    scheduler = await subscribe(tg, feed_server)
    tg.fake.refuse_image(LEAD, description)
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    [message] = await scheduled_digest(tg, scheduler, clock)
    assert message["text"].startswith("2 new stories.")
    assert f"{SEED_TITLE} (1)" in message["text"]
    assert message["link_preview_options"] == {"is_disabled": True}
    refused = [call for call in tg.fake.calls_to("sendMessage") if not call.ok]
    assert [call.params["link_preview_options"]["url"] for call in refused] == [LEAD]
    assert await delivery_statuses(tg) == ["sent"]
    [chat] = await tg.app.services.store.list_chats()
    assert chat.active  # a picture never pauses a chat


async def test_a_retried_delivery_whose_picture_is_refused_repeats_nothing(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    """A long digest whose first attempt failed (Telegram down) is retried from the
    outbox; the picture refused then costs only the picture: each part once, in order."""
    scheduler = await subscribe(tg, feed_server)
    await tg.command("/settings sentences 5")
    tg.fake.fail_next("sendMessage", error_code=502, description="Bad Gateway", times=4)
    tg.fake.refuse_image(f"{PICTURE}?n=seed-12")
    feed_server.serve("/feed.xml", rss_feed(pictured(*range(1, 13), words=400), title="N"))
    assert await scheduled_digest(tg, scheduler, clock) == []
    clock.advance(minutes=1)
    assert (await scheduler.deliver()).sent == 1
    sent = tg.fake.sent_messages()
    first = next(i for i, m in enumerate(sent) if m["text"].startswith("12 new stories."))
    parts = sent[first:]
    assert len(parts) > 1
    assert sum(m["text"].startswith("12 new stories.") for m in sent) == 1
    shown = [f"({n})" for n in range(1, 13) for m in parts if f"{SEED_TITLE} ({n})" in m["text"]]
    assert sorted(shown) == sorted(f"({n})" for n in range(1, 13))  # each story once
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in parts)
    assert await delivery_statuses(tg) == ["sent"]


async def test_the_slash_digest_answer_survives_a_refused_picture(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await subscribe(tg, feed_server)
    tg.fake.refuse_image(LEAD)
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    [answer] = await tg.command("/digest")
    assert answer["text"].startswith("2 new stories.")
    assert answer["link_preview_options"] == {"is_disabled": True}


HOSTILE = [
    "http://127.0.0.1:9/admin.png",
    "javascript:alert(1)",
    "http://10.0.0.1/x.png",
    "http://localhost/x.png",
]


async def test_hostile_picture_addresses_never_reach_telegram(
    tg: TelegramHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    """A subscribed feed whose later items carry private or script addresses: polled and
    delivered as usual by the scheduler, no preview pointing anywhere."""
    scheduler = await subscribe(tg, feed_server)
    items = []
    for n, image in enumerate(HOSTILE, start=1):
        [item] = seed_items(n)
        item["thumbnail"] = image
        items.append(item)
    feed_server.serve("/feed.xml", rss_feed(items, title="Seed News"))
    messages = await scheduled_digest(tg, scheduler, clock)
    assert messages
    assert messages[0]["text"].startswith(f"{len(HOSTILE)} new stories.")
    for call in tg.fake.calls_to("sendMessage"):
        assert "url" not in (call.params.get("link_preview_options") or {})
    [feed] = await tg.app.services.store.list_feeds()
    assert feed.last_error is None


def test_which_refusals_are_about_the_picture() -> None:
    assert picture_refused("Bad Request: failed to get HTTP URL content")
    assert picture_refused("Bad Request: WEBPAGE_CURL_FAILED")
    assert not picture_refused("Bad Request: can't parse entities: Unsupported start tag")
    assert not picture_refused("Bad Request: chat not found")
    assert not picture_refused("Bad Request: message is too long")
