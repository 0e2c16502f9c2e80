"""/settings on Discord, end to end: the flags and content discord.py sends.

The real discord.py talks to the fake REST API and gateway on 127.0.0.1 (the harness of
test_discord_e2e.py). /digest answers through the interaction webhook; scheduled digests
are posted to the channel from the outbox.
"""

from __future__ import annotations

from bot.app.runner import build_scheduler
from bot.models import ChatTarget
from bot.news.summarise import Summariser
from bot.platforms.discord.render import escape_markdown
from tests.support.clock import FakeClock
from tests.support.discord import CHANNEL, MANAGE_CHANNELS, DiscordHarness
from tests.support.feeds import SEED_TITLE, FeedServer, rss_feed, seed_items

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
MEMBER = 0


def content_of(responses: list[dict]) -> str:
    return "\n".join(r["data"].get("content") or "" for r in responses if r.get("data"))


async def setting(dc: DiscordHarness, name: str, value: str, *, permissions: int) -> str:
    responses = await dc.slash(
        "settings", {"setting": name, "value": value}, permissions=permissions
    )
    return content_of(responses)


async def subscribe(dc: DiscordHarness, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss_feed([], title="Seed News"))
    answer = await dc.slash("subscribe", {"url": url}, permissions=MANAGE_CHANNELS)
    assert "Subscribed to Seed News." in content_of(answer)


async def test_slash_digest_follows_layout_silent_and_previews(
    dc: DiscordHarness, feed_server: FeedServer
) -> None:
    await subscribe(dc, feed_server)
    assert "layout set to compact." in await setting(
        dc, "layout", "compact", permissions=MANAGE_CHANNELS
    )
    assert "silent set to on." in await setting(dc, "silent", "on", permissions=MANAGE_CHANNELS)
    feed_server.serve("/feed.xml", rss_feed(seed_items(1, 2), title="Seed News"))
    responses = [r for r in await dc.slash("digest") if r.get("data")]
    assert responses
    for response in responses:
        flags = int(response["data"].get("flags") or 0)
        assert flags & SUPPRESS_NOTIFICATIONS
        assert flags & SUPPRESS_EMBEDS  # previews off: Discord must not unfurl the titles
        assert not response["data"].get("embeds")
    content = content_of(responses)
    assert "2 new stories." in content
    assert "**Seed News**" in content
    for n in (1, 2):
        assert f"• [{SEED_TITLE} \\({n}\\)](https://news.example/seed-{n})" in content
    others = [
        line for line in content.splitlines() if line not in ("2 new stories.", "**Seed News**")
    ]
    assert len(others) == 2
    assert all(line.startswith("• [") and line.endswith(")") for line in others)  # no summaries

    assert "previews set to on." in await setting(dc, "previews", "on", permissions=MANAGE_CHANNELS)
    feed_server.serve("/feed.xml", rss_feed(seed_items(1, 2, 3), title="Seed News"))
    responses = [r for r in await dc.slash("digest") if r.get("data")]
    assert not any(int(r["data"].get("flags") or 0) & SUPPRESS_EMBEDS for r in responses)


async def test_members_cannot_change_settings(dc: DiscordHarness) -> None:
    refused = await dc.slash("settings", {"setting": "silent", "value": "on"}, permissions=MEMBER)
    assert "Only administrators of this chat can change its settings." in content_of(refused)
    assert all(response["ephemeral"] for response in refused if response.get("data"))
    shown = await dc.slash("settings", permissions=MEMBER)
    assert "silent: off \\(default\\)" in content_of(shown)  # markdown-escaped


async def test_scheduled_digest_is_silent_and_one_sentence(
    dc: DiscordHarness, feed_server: FeedServer, clock: FakeClock
) -> None:
    await subscribe(dc, feed_server)
    await setting(dc, "silent", "on", permissions=MANAGE_CHANNELS)
    await setting(dc, "sentences", "1", permissions=MANAGE_CHANNELS)
    feed_server.serve("/feed.xml", rss_feed(seed_items(1), title="Seed News"))
    scheduler = build_scheduler(dc.app, [dc.platform])
    clock.advance(days=1)
    await scheduler.poll_feeds()
    store = dc.app.services.store
    chat = await store.get_or_create_chat(ChatTarget("discord", str(CHANNEL)))
    [article] = await store.unseen_articles(chat.pk)
    assert len(article.summary) == 3  # stored with the operator's default
    await scheduler.digest_tick()
    [call] = dc.fake.calls_to("POST", f"/channels/{CHANNEL}/messages")
    assert call.json["flags"] & SUPPRESS_NOTIFICATIONS
    assert not call.json["flags"] & SUPPRESS_EMBEDS  # it carries our own story embed
    [message] = dc.fake.channel_messages(CHANNEL)
    [embed] = message["embeds"]
    assert embed["url"] == "https://news.example/seed-1"
    one = Summariser().summarise(
        article.text, title=article.title, sentences=1, language=article.language
    )
    assert len(one) == 1
    assert embed["description"] == escape_markdown(one[0])
