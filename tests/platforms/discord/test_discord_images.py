"""Stories' pictures on Discord, end to end: a feed served from 127.0.0.1 with
media:thumbnail, polled by the real scheduler, posted by discord.py to the fake REST API
as the story embed's thumbnail; /settings images off; a picture Discord refuses.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.app.runner import build_scheduler
from bot.delivery.scheduler import BotScheduler
from bot.models import DigestItem
from bot.platforms.discord.render import DiscordMessage, story_embed, without_thumbnails
from bot.store.tables import DeliveryRow
from tests.support.clock import FakeClock
from tests.support.discord import CHANNEL, MANAGE_CHANNELS, DiscordHarness
from tests.support.feeds import SEED_TITLE, FeedServer, rss_feed, seed_items

PICTURE = "https://img.example.com/news/lead.jpg"


def pictured(*numbers: int) -> list[dict[str, str]]:
    items = seed_items(*numbers)
    for item in items:
        item["thumbnail"] = f"{PICTURE}?n={item['guid']}"
    return items


async def subscribe(dc: DiscordHarness, server: FeedServer) -> BotScheduler:
    url = server.serve("/feed.xml", rss_feed([], title="Seed News"))
    await dc.slash("subscribe", {"url": url}, permissions=MANAGE_CHANNELS)
    return build_scheduler(dc.app, [dc.platform])


async def scheduled_digest(
    dc: DiscordHarness, scheduler: BotScheduler, clock: FakeClock
) -> list[dict]:
    clock.advance(days=1)
    await scheduler.poll_feeds()
    await scheduler.digest_tick()
    return [embed for m in dc.fake.channel_messages(CHANNEL) for embed in m["embeds"]]


async def test_the_story_embed_shows_the_picture_as_its_thumbnail(
    dc: DiscordHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(dc, feed_server)
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    embeds = await scheduled_digest(dc, scheduler, clock)
    thumbnails = {embed["title"]: embed.get("thumbnail", {}).get("url") for embed in embeds}
    assert thumbnails == {
        f"{SEED_TITLE} (1)": f"{PICTURE}?n=seed-1",
        f"{SEED_TITLE} (2)": f"{PICTURE}?n=seed-2",
    }


async def test_images_off_sends_no_thumbnail(
    dc: DiscordHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(dc, feed_server)
    answer = await dc.slash(
        "settings", {"setting": "images", "value": "off"}, permissions=MANAGE_CHANNELS
    )
    assert "images set to off." in answer[-1]["data"]["content"]
    feed_server.serve("/feed.xml", rss_feed(pictured(1), title="Seed News"))
    [embed] = await scheduled_digest(dc, scheduler, clock)
    assert embed["url"] == "https://news.example/seed-1"
    assert "thumbnail" not in embed


async def test_a_refused_picture_costs_only_the_picture(
    dc: DiscordHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    scheduler = await subscribe(dc, feed_server)
    dc.fake.refuse_image(f"{PICTURE}?n=seed-2")
    feed_server.serve("/feed.xml", rss_feed(pictured(1, 2), title="Seed News"))
    embeds = await scheduled_digest(dc, scheduler, clock)
    # Delivered once, both stories, with no thumbnails (the message went out without them).
    assert sorted(embed["title"] for embed in embeds) == [f"{SEED_TITLE} (1)", f"{SEED_TITLE} (2)"]
    assert not any("thumbnail" in embed for embed in embeds)
    posts = dc.fake.calls_to("POST", f"/channels/{CHANNEL}/messages")
    assert [call.status for call in posts] == [400, 200]
    assert await _delivery_statuses(dc) == ["sent"]


async def test_slash_digest_with_a_refused_picture_is_answered(
    dc: DiscordHarness, feed_server: FeedServer
) -> None:
    await subscribe(dc, feed_server)
    dc.fake.refuse_image(f"{PICTURE}?n=seed-1")
    feed_server.serve("/feed.xml", rss_feed(pictured(1), title="Seed News"))
    responses = [r for r in await dc.slash("digest") if r.get("data")]
    embeds = [embed for r in responses for embed in r["data"].get("embeds") or []]
    assert [embed["title"] for embed in embeds] == [f"{SEED_TITLE} (1)"]
    assert "thumbnail" not in embeds[0]
    assert dc.fake.channel_messages(CHANNEL) == []  # answered in place, not posted again


async def _delivery_statuses(dc: DiscordHarness) -> list[str]:
    async with dc.app.services.store.session() as session:
        return list(await session.scalars(select(DeliveryRow.status)))


def test_story_embed_thumbnail_only_for_web_addresses() -> None:
    item = DigestItem(
        title="T", link="https://a.example/1", source="A", published=None, summary=["S."]
    )
    assert story_embed(replace(item, image=PICTURE))["thumbnail"] == {"url": PICTURE}
    assert "thumbnail" not in story_embed(item)
    assert "thumbnail" not in story_embed(replace(item, image="javascript:alert(1)"))
    long = PICTURE + "?" + "x" * 2100
    assert "thumbnail" not in story_embed(replace(item, image=long))


def test_leaving_the_pictures_out_keeps_the_buttons() -> None:
    """A capped digest whose picture Discord refuses is resent without it, Show more too."""
    buttons = [{"type": 1, "components": [{"type": 2, "label": "Show more", "custom_id": "x"}]}]
    message = DiscordMessage(
        content="News",
        embeds=[{"title": "T", "thumbnail": {"url": PICTURE}}],
        components=buttons,
    )
    resent = without_thumbnails(message)
    assert resent.components == buttons
    assert resent.embeds == [{"title": "T"}]
