"""A backlog a reader can keep up with: every feed a fair share, a bound on what waits.

With 23 feeds a chat needed 30 /digest to catch up and one prolific feed filled 18 of 20
places. Now a digest takes stories round by round across feeds, and what waited longer than
NEWSDIGEST_BACKLOG_DAYS, or beyond the newest NEWSDIGEST_BACKLOG_PER_FEED of its feed, is
marked read with a one-line note. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest.backlog import BacklogPolicy
from bot.digest.composer import DigestComposer
from bot.models import ChatTarget, NewArticle
from bot.store.repository import Store
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, rss_feed, stories

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
EXPIRED_NOTE = "3 older stories that waited over 7 days were marked as read."


def article(feed: str, n: int, *, seen: datetime) -> NewArticle:
    """A story whose words no other story shares: same-story grouping keeps it alone."""
    tag = "".join("abcdefghij"[int(digit)] for digit in str(n))  # letters: one word each
    words = f"{feed}{tag}alpha {feed}{tag}beta {feed}{tag}gamma"
    return NewArticle(
        entry_key=f"guid:{feed}-{n}",
        link_key=f"{feed}.example/{n}",
        link=f"https://{feed}.example/{n}",
        title=words.title(),
        author=None,
        published=seen,
        text=f"{words}.",
        summary=[f"{words}."],
        language="en",
    )


async def chat_following(store: Store, counts: dict[str, int], *, now: datetime = NOW) -> int:
    """A chat following one feed per name, each with that many new stories (newest last)."""
    chat = await store.get_or_create_chat(ChatTarget("console", "backlog"))
    for name, count in counts.items():
        feed = await store.get_or_create_feed(f"https://{name}.example/feed")
        await store.subscribe(chat.pk, feed.id)
        for n in range(count):
            seen = now - timedelta(minutes=count - n)
            await store.store_articles(feed.id, [article(name, n, seen=seen)], now=seen)
    return chat.pk


async def test_a_prolific_feed_cannot_crowd_out_the_others(store: Store) -> None:
    chat_pk = await chat_following(store, {"busy": 30, "quiet": 2, "calm": 2})
    [chat] = [chat for chat in await store.list_chats() if chat.pk == chat_pk]
    composer = DigestComposer(store, clock=lambda: NOW, max_items=6)
    digest = await composer.compose(chat)
    assert digest is not None
    assert not any(item.also for item in digest.items)  # every story stands alone
    sources = Counter(item.link.split("//")[1].split(".")[0] for item in digest.items if item.link)
    assert sources == {"busy": 2, "quiet": 2, "calm": 2}
    assert digest.more_count == 28
    # The busy feed gets the places the others leave once they are read.
    following = await composer.compose(chat)
    assert following is not None
    assert {item.link.split("//")[1].split(".")[0] for item in following.items if item.link} == {
        "busy"
    }
    assert len(following.items) == 6


async def test_stories_past_the_bounds_are_marked_read_and_counted(store: Store) -> None:
    chat_pk = await chat_following(store, {"busy": 12, "quiet": 1})
    old = await store.get_or_create_feed("https://old.example/feed")
    await store.subscribe(chat_pk, old.id)
    stale = NOW - timedelta(days=9)
    await store.store_articles(old.id, [article("old", 1, seen=stale)], now=stale)
    [chat] = [chat for chat in await store.list_chats() if chat.pk == chat_pk]
    policy = BacklogPolicy(max_age_days=7, max_per_feed=5)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=20, backlog=policy)
    digest = await composer.compose(chat)
    assert digest is not None
    links = [item.link for item in digest.items]
    assert len(links) == 6  # the newest 5 of the busy feed and the quiet one
    assert "https://busy.example/11" in links
    assert "https://busy.example/6" not in links
    assert "https://old.example/1" not in links
    assert digest.notes == (
        "8 older stories that waited over 7 days or went past the newest 5 of their feed "
        "were marked as read.",
    )
    assert await store.unseen_articles(chat.pk) == []  # nothing waits forever
    assert await composer.compose(chat) is None


async def test_bounds_of_zero_keep_everything(store: Store) -> None:
    chat_pk = await chat_following(store, {"busy": 12})
    [chat] = [chat for chat in await store.list_chats() if chat.pk == chat_pk]
    composer = DigestComposer(
        store,
        clock=lambda: NOW + timedelta(days=30),
        max_items=20,
        backlog=BacklogPolicy(max_age_days=0, max_per_feed=0),
    )
    digest = await composer.compose(chat)
    assert digest is not None
    assert len(digest.items) == 12
    assert digest.notes == ()


async def test_the_bound_counts_only_stories_the_filters_let_through(store: Store) -> None:
    """A feed whose newest stories are all hidden by a filter: the per-feed bound applies
    to what the chat wants, so the wanted stories within it are shown, not expired."""
    chat = await store.get_or_create_chat(ChatTarget("console", "filtered-backlog"))
    feed = await store.get_or_create_feed("https://mixed.example/feed")
    await store.subscribe(chat.pk, feed.id)
    for n in range(13):  # three wanted stories first, then ten hidden ones (newest)
        seen = NOW - timedelta(minutes=13 - n)
        new = article("mixed", n, seen=seen)
        if n >= 3:
            new = replace(new, title=f"Sport {new.title}")
        await store.store_articles(feed.id, [new], now=seen)
    await store.add_filter(chat.pk, kind="exclude", pattern="sport", is_regex=False)
    [chat] = [row for row in await store.list_chats() if row.pk == chat.pk]
    composer = DigestComposer(
        store, clock=lambda: NOW, max_items=20, backlog=BacklogPolicy(max_per_feed=5)
    )
    digest = await composer.compose(chat)
    assert digest is not None
    assert sorted(item.link or "" for item in digest.items) == [
        f"https://mixed.example/{n}" for n in range(3)
    ]
    assert digest.notes == ()  # nothing the chat wants went past the bound
    assert await store.unseen_articles(chat.pk) == []  # the hidden ones are marked read


async def test_a_digest_command_announces_stories_that_all_went_past_the_bounds(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Nothing left to show, yet stories were marked read: /digest says so, never
    "No new stories", and the announcement is settled like any digest."""
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path, backlog_days=7, backlog_per_feed=0) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(4, 3, 2, 1)))
        await h.scheduler.poll_feeds()
        await h.say("/pause")  # nothing is sent on schedule meanwhile
        clock.advance(days=8)
        out = await h.say("/digest")
        assert EXPIRED_NOTE in out
        assert "No new stories" not in out
        store = h.app.services.store
        assert await store.pending_deliveries() == []  # the command sent it itself
        assert "No new stories since your last digest." in await h.say("/digest")


async def test_a_scheduled_slot_announces_stories_that_all_went_past_the_bounds(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path, backlog_days=7, backlog_per_feed=0) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(4, 3, 2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=8)  # the bot was down; the stories waited too long
        assert await h.scheduler.enqueue_due_digests() == 1  # through the outbox
        [pending] = await h.app.services.store.pending_deliveries()
        await h.scheduler.deliver()
        [(_, reply)] = h.platform.sent
        assert reply.digest is None
        assert EXPIRED_NOTE in (reply.text, *reply.lines)
        assert await h.app.services.store.pending_deliveries() == []
        assert await h.app.services.store.unseen_articles(pending.chat.pk) == []
        clock.advance(days=1)
        await h.scheduler.digest_tick()
        assert len(h.platform.sent) == 1  # announced once
