"""Composing a digest reads a bounded number of articles in full, whatever the backlog.

A chat shown fewer stories than it receives piles them up; a digest for 5,000 unseen
stories used to load all 5,000 texts. Now only what can still be shown (within the age
bound, the newest NEWSDIGEST_BACKLOG_PER_FEED of each feed) is read in full; the rest is
handled as ids (marked read, counted). "Read in full" is observed as article rows the ORM
builds (tests.support.backlog), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digest.backlog import BacklogPolicy
from bot.digest.composer import DigestComposer
from bot.models import Chat, ChatTarget, NewArticle
from bot.store.repository import Store
from tests.support.backlog import articles_read_in_full, store_quickly

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
BACKLOG = 5000


def numbered(feed: str, n: int, *, published: datetime, title: str | None = None) -> NewArticle:
    """A story whose words no other story shares (letters, not digits: one word each)."""
    tag = "".join("abcdefghij"[int(digit)] for digit in str(n))
    words = f"{feed}{tag}alpha {feed}{tag}beta {feed}{tag}gamma"
    return NewArticle(
        entry_key=f"guid:{feed}-{n}",
        link_key=f"{feed}.example/{n}",
        link=f"https://{feed}.example/{n}",
        title=title or words.title(),
        author=None,
        published=published,
        text=f"{words}.",
        summary=[f"{words}."],
        language="en",
    )


async def chat_with_backlog(store: Store, feed_name: str, count: int) -> Chat:
    """A chat following one feed with ``count`` unseen stories, story n published n minutes
    after story 0 (so the highest numbers are the newest)."""
    target = await store.get_or_create_chat(ChatTarget("console", f"backlog-{feed_name}"))
    feed = await store.get_or_create_feed(f"https://{feed_name}.example/feed")
    await store.subscribe(target.pk, feed.id)
    start = NOW - timedelta(minutes=count)
    batch = [numbered(feed_name, n, published=start + timedelta(minutes=n)) for n in range(count)]
    await store_quickly(store, feed.id, batch, now=NOW - timedelta(hours=1))
    [chat] = [chat for chat in await store.list_chats() if chat.pk == target.pk]
    return chat


async def test_a_huge_backlog_reads_only_the_stories_that_can_be_shown(store: Store) -> None:
    chat = await chat_with_backlog(store, "flood", BACKLOG)
    policy = BacklogPolicy(max_age_days=7, max_per_feed=100)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=10, backlog=policy)
    with articles_read_in_full() as loaded:
        digest = await composer.compose(chat)
    assert digest is not None
    assert [item.link for item in digest.items] == [
        f"https://flood.example/{n}" for n in range(BACKLOG - 1, BACKLOG - 11, -1)
    ]
    assert digest.notes == (
        f"{BACKLOG - 100} older stories that waited over 7 days or went past the newest 100 "
        "of their feed were marked as read.",
    )
    assert digest.more_count == 90
    assert len(loaded) <= 100
    # The 90 within the bound wait for the next digest; everything else was marked read.
    unseen = await store.unseen_articles(chat.pk)
    assert [a.link for a in unseen] == [
        f"https://flood.example/{n}" for n in range(BACKLOG - 11, BACKLOG - 101, -1)
    ]


async def test_filters_still_see_the_text_and_the_count_stays_exact(store: Store) -> None:
    """Filters match text, so the stories they apply to are read to be judged, in bounded
    batches; a hidden story uses no budget and is not counted as past the bounds."""
    chat = await chat_with_backlog(store, "mixed", 1200)
    # The newest 300 are about sport (in their text only): hidden, not counted.
    sport = [
        NewArticle(
            entry_key=f"guid:sport-{n}",
            link_key=f"mixed.example/sport/{n}",
            link=f"https://mixed.example/sport/{n}",
            title=f"Match report {n}",
            author=None,
            published=NOW + timedelta(minutes=n),
            text="The sport pages.",
            summary=[],
            language="en",
        )
        for n in range(300)
    ]
    [subscription] = await store.list_subscriptions(chat.pk)
    await store_quickly(store, subscription.feed.id, sport, now=NOW)
    await store.add_filter(chat.pk, kind="exclude", pattern="sport", is_regex=False)
    [chat] = [row for row in await store.list_chats() if row.pk == chat.pk]
    policy = BacklogPolicy(max_age_days=7, max_per_feed=50)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=5, backlog=policy)
    with articles_read_in_full() as loaded:
        digest = await composer.compose(chat)
    assert digest is not None
    assert [item.link for item in digest.items] == [
        f"https://mixed.example/{n}" for n in range(1199, 1194, -1)
    ]
    assert digest.notes == (
        "1150 older stories that waited over 7 days or went past the newest 50 of their "
        "feed were marked as read.",
    )
    assert len(set(loaded)) == 1500  # every story a filter applies to is judged once
    assert len(await store.unseen_articles(chat.pk)) == 45


async def test_without_bounds_a_safety_cap_limits_what_one_digest_reads(store: Store) -> None:
    """Bounds of 0 mark nothing read; a digest still reads at most READ_LIMIT articles and
    the older ones wait, unread, counted among those left for later digests."""
    from bot.digest.reading import READ_LIMIT

    chat = await chat_with_backlog(store, "endless", READ_LIMIT + 500)
    policy = BacklogPolicy(max_age_days=0, max_per_feed=0)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=10, backlog=policy)
    with articles_read_in_full() as loaded:
        digest = await composer.compose(chat)
    assert digest is not None
    assert digest.items[0].link == f"https://endless.example/{READ_LIMIT + 499}"
    assert digest.notes == ()
    assert digest.more_count == READ_LIMIT + 500 - 10
    assert len(loaded) <= READ_LIMIT
    assert len(await store.unseen_articles(chat.pk)) == READ_LIMIT + 490


async def test_past_a_cap_of_hidden_stories_the_digest_reads_on(store: Store) -> None:
    """Every story the cap let a digest read was hidden: it marks those read and reads
    on, rather than telling the reader there is nothing new while stories wait."""
    from bot.digest.reading import READ_LIMIT

    chat = await chat_with_backlog(store, "wanted", 3)
    [subscription] = await store.list_subscriptions(chat.pk)
    noise = [
        NewArticle(
            entry_key=f"guid:noise-{n}",
            link_key=f"wanted.example/noise/{n}",
            link=f"https://wanted.example/noise/{n}",
            title=f"Celebrity gossip {n}",
            author=None,
            published=NOW + timedelta(minutes=n),
            text="Gossip.",
            summary=[],
            language="en",
        )
        for n in range(READ_LIMIT + 10)
    ]
    await store_quickly(store, subscription.feed.id, noise, now=NOW)
    await store.add_filter(chat.pk, kind="exclude", pattern="gossip", is_regex=False)
    [chat] = [row for row in await store.list_chats() if row.pk == chat.pk]
    composer = DigestComposer(store, clock=lambda: NOW, max_items=5)
    digest = await composer.compose(chat)
    assert digest is not None
    assert [item.link for item in digest.items] == [
        f"https://wanted.example/{n}" for n in (2, 1, 0)
    ]
    assert digest.more_count == 0
    assert await store.unseen_articles(chat.pk) == []


async def test_stories_left_unread_past_the_cap_are_counted_once_and_exactly(
    store: Store,
) -> None:
    """A rule applies to every story, so each is read to be judged, and the cap stops the
    reading: what it left unread cannot be shown now (its feed's budget is full), so it is
    not announced as "more"; the next digest judges it and counts what is past the bound."""
    from bot.digest.reading import READ_LIMIT

    chat = await chat_with_backlog(store, "judged", READ_LIMIT + 500)
    await store.add_filter(chat.pk, kind="exclude", pattern="nothing-matches", is_regex=False)
    [chat] = [row for row in await store.list_chats() if row.pk == chat.pk]
    policy = BacklogPolicy(max_age_days=7, max_per_feed=100)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=10, backlog=policy)
    first = await composer.compose(chat)
    assert first is not None
    assert first.items[0].link == f"https://judged.example/{READ_LIMIT + 499}"
    assert first.more_count == 90
    assert first.notes[0].startswith(f"{READ_LIMIT - 100} older stories")
    # The next digest judges the 90 left within the bound and the 500 left unread: the
    # newest 10 of those fill the feed's budget (they were never past it), 490 are past it.
    second = await composer.compose(chat)
    assert second is not None
    assert second.items[0].link == f"https://judged.example/{READ_LIMIT + 489}"
    assert second.more_count == 90
    assert second.notes[0].startswith("490 older stories")
    assert len(await store.unseen_articles(chat.pk)) == 90
