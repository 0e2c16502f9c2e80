"""The store, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: each article once, no floods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.models import ChatTarget, NewArticle
from bot.store.repository import Store
from bot.store.tables import Base
from tests.support.backlog import articles_read_in_full, store_quickly
from tests.support.feeds import new_article

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def article(n: int, *, link: str | None = None, guid: str | None = "same") -> NewArticle:
    return new_article(
        n,
        published=NOW - timedelta(hours=n),
        link=link,
        entry_key=f"guid:{guid}-{n}" if guid else f"link:news.example/{n}",
    )


async def test_migrations_create_every_table_and_match_models(store: Store) -> None:
    async with store.engine.connect() as connection:

        def diff(sync_connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(sync_connection, opts={"compare_type": False})
            return compare_metadata(context, Base.metadata)

        assert await connection.run_sync(diff) == []


async def test_migrating_twice_is_harmless(database_url: str) -> None:
    first = await Store.open(database_url)
    await first.get_or_create_chat(ChatTarget("console", "x"))
    await first.close()
    second = await Store.open(database_url)
    assert await second.find_chat(ChatTarget("console", "x")) is not None
    await second.close()


async def test_chat_targets_are_unique_per_thread(store: Store) -> None:
    main = await store.get_or_create_chat(ChatTarget("telegram", "-100"))
    topic = await store.get_or_create_chat(ChatTarget("telegram", "-100", "7"))
    again = await store.get_or_create_chat(ChatTarget("telegram", "-100"))
    assert main.pk == again.pk
    assert topic.pk != main.pk
    assert topic.target.thread_id == "7"


async def test_same_guid_twice_is_stored_once(store: Store) -> None:
    feed = await store.get_or_create_feed("https://a.example/feed")
    first = await store.store_articles(feed.id, [article(1), article(2)], now=NOW)
    second = await store.store_articles(feed.id, [article(1), article(2), article(3)], now=NOW)
    assert len(first) == 2
    assert len(second) == 1
    known = await store.known_entry_keys(feed.id, ["guid:same-1", "guid:same-9"])
    assert known == {"guid:same-1"}


async def test_same_link_in_two_feeds_is_one_article_shown_once(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed_a = await store.get_or_create_feed("https://a.example/feed")
    feed_b = await store.get_or_create_feed("https://b.example/feed")
    await store.subscribe(chat.pk, feed_a.id)
    await store.subscribe(chat.pk, feed_b.id)
    shared = "https://news.example/shared-story"
    ids_a = await store.store_articles(feed_a.id, [article(1, link=shared, guid="a")], now=NOW)
    ids_b = await store.store_articles(feed_b.id, [article(1, link=shared, guid="b")], now=NOW)
    assert ids_a == ids_b  # the second feed points at the stored article
    unseen = await store.unseen_articles(chat.pk)
    assert [a.link for a in unseen] == [shared]
    assert unseen[0].source == "https://a.example/feed"


async def test_new_subscriber_does_not_get_the_backlog(store: Store) -> None:
    feed = await store.get_or_create_feed("https://a.example/feed")
    early = await store.get_or_create_chat(ChatTarget("console", "early"))
    await store.subscribe(early.pk, feed.id)
    await store.store_articles(feed.id, [article(1), article(2)], now=NOW)
    late = await store.get_or_create_chat(ChatTarget("console", "late"))
    await store.subscribe(late.pk, feed.id)
    assert len(await store.unseen_articles(early.pk)) == 2
    assert await store.unseen_articles(late.pk) == []
    await store.store_articles(feed.id, [article(3)], now=NOW)
    assert [a.title for a in await store.unseen_articles(late.pk)] == ["Story 3"]


async def test_mark_seen_hides_articles_and_is_idempotent(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id)
    ids = await store.store_articles(feed.id, [article(1), article(2)], now=NOW)
    await store.mark_seen(chat.pk, ids[:1], now=NOW)
    await store.mark_seen(chat.pk, ids[:1], now=NOW)
    assert [a.id for a in await store.unseen_articles(chat.pk)] == ids[1:]


async def test_unseen_is_newest_first_with_summary_lines(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id)
    await store.store_articles(feed.id, [article(3), article(1), article(2)], now=NOW)
    unseen = await store.unseen_articles(chat.pk)
    assert [a.title for a in unseen] == ["Story 1", "Story 2", "Story 3"]
    assert unseen[0].summary == ["Summary of story 1."]
    assert unseen[0].published == NOW - timedelta(hours=1)


async def test_a_large_backlog_is_listed_as_ids_and_read_in_full_only_as_asked(
    store: Store,
) -> None:
    """A digest lists every unseen article light (ids, feed, times) and reads in full only
    those it asks for: with 5,000 waiting, reading the newest 100 returns 100 rows."""
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id, custom_title="My feed")
    await store_quickly(store, feed.id, [article(n) for n in range(5000)], now=NOW)
    refs = await store.unseen_refs(chat.pk)
    assert len(refs) == 5000
    assert [ref.published for ref in refs[:2]] == [NOW, NOW - timedelta(hours=1)]
    assert {ref.source for ref in refs} == {"My feed"}
    with articles_read_in_full() as loaded:
        newest = await store.articles_for(refs[:100])
    assert len(loaded) == 100
    assert [a.id for a in newest] == [ref.id for ref in refs[:100]]
    assert [a.title for a in newest[:2]] == ["Story 0", "Story 1"]
    assert newest[0].summary == ["Summary of story 0."]
    assert newest[0].source == "My feed"
    assert newest[0].subscription_id == refs[0].subscription_id
    # Whole, the two agree with what unseen_articles returns.
    assert [a.id for a in await store.unseen_articles(chat.pk)] == [ref.id for ref in refs]


async def test_subscriptions_are_numbered_and_removable(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feeds = [await store.get_or_create_feed(f"https://{n}.example/feed") for n in "abc"]
    for feed in feeds:
        _, created = await store.subscribe(chat.pk, feed.id)
        assert created
    _, created_again = await store.subscribe(chat.pk, feeds[0].id)
    assert not created_again
    listed = await store.list_subscriptions(chat.pk)
    assert [(s.position, s.feed.url) for s in listed] == [
        (1, "https://a.example/feed"),
        (2, "https://b.example/feed"),
        (3, "https://c.example/feed"),
    ]
    assert await store.unsubscribe(listed[1].id)
    assert [s.feed.url for s in await store.list_subscriptions(chat.pk)] == [
        "https://a.example/feed",
        "https://c.example/feed",
    ]


async def test_poll_state_is_recorded(store: Store) -> None:
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.record_poll_failure(feed.id, now=NOW, error="HTTP 500")
    failing = await store.get_feed(feed.id)
    assert failing is not None
    assert failing.last_error == "HTTP 500"
    await store.record_poll_success(
        feed.id, now=NOW, etag='"v1"', last_modified="Thu, 15 Jan 2026 08:00:00 GMT", title="A"
    )
    healthy = await store.get_feed(feed.id)
    assert healthy is not None
    assert (healthy.etag, healthy.last_error, healthy.title) == ('"v1"', None, "A")


async def test_outbox_slot_is_unique_per_chat(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    payload = {"title": "Digest", "sections": [], "more_count": 0}
    first = await store.commit_digest(chat.pk, "2026-01-15T08:00", payload, [], now=NOW)
    duplicate = await store.commit_digest(chat.pk, "2026-01-15T08:00", payload, [], now=NOW)
    assert first is not None
    assert duplicate is None
    pending = await store.pending_deliveries()
    assert [(d.id, d.slot, d.payload) for d in pending] == [(first, "2026-01-15T08:00", payload)]
    await store.mark_delivered(first, now=NOW, message_ids=["m1"])
    assert await store.pending_deliveries() == []


async def test_chat_can_be_paused_and_resumed(store: Store) -> None:
    target = ChatTarget("telegram", "-5")
    await store.get_or_create_chat(target)
    assert await store.set_chat_active(target, False)
    assert not await store.set_chat_active(target, False)  # already paused: no change
    paused = await store.find_chat(target)
    assert paused is not None
    assert not paused.active
    assert await store.set_chat_active(target, True)


async def test_moving_a_chat_keeps_and_merges_subscriptions(store: Store) -> None:
    old = await store.get_or_create_chat(ChatTarget("telegram", "-1"))
    feed_a = await store.get_or_create_feed("https://a.example/feed")
    feed_b = await store.get_or_create_feed("https://b.example/feed")
    await store.subscribe(old.pk, feed_a.id)
    await store.subscribe(old.pk, feed_b.id)
    await store.move_chat("telegram", "-1", "-1001")
    moved = await store.find_chat(ChatTarget("telegram", "-1001"))
    assert moved is not None
    assert moved.pk == old.pk
    assert await store.find_chat(ChatTarget("telegram", "-1")) is None
    # Merging into a chat the bot already knows under the new id:
    other = await store.get_or_create_chat(ChatTarget("telegram", "-2"))
    await store.subscribe(other.pk, feed_a.id)
    await store.move_chat("telegram", "-2", "-1001")
    urls = [s.feed.url for s in await store.list_subscriptions(moved.pk)]
    assert sorted(urls) == ["https://a.example/feed", "https://b.example/feed"]
    assert await store.find_chat(ChatTarget("telegram", "-2")) is None


async def test_commit_digest_marks_seen_and_moves_the_slot_together(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id)
    ids = await store.store_articles(feed.id, [article(1), article(2)], now=NOW)
    slot = NOW + timedelta(hours=1)
    payload = {"text": "2 new stories."}
    assert await store.commit_digest(chat.pk, "s1", payload, ids, now=NOW, slot_time=slot)
    assert await store.unseen_articles(chat.pk) == []
    updated = await store.find_chat(chat.target)
    assert updated is not None
    assert updated.last_digest_at == slot
    # The same slot again changes nothing.
    assert await store.commit_digest(chat.pk, "s1", payload, [], now=NOW) is None
    assert len(await store.pending_deliveries()) == 1


def episode(n: int, show: str) -> NewArticle:
    """Episode ``n`` of a show whose items all link to its page, without ids."""
    return NewArticle(
        entry_key=f"link:{show}|episode {n}",
        link_key=None,
        entry_link_key=show,
        link=f"https://{show}",
        title=f"Episode {n}",
        author=None,
        published=NOW,
        text="",
        summary=[],
        language="en",
    )


async def test_a_feeds_history_under_a_link_is_its_newest_entries(store: Store) -> None:
    show = "radio.example/shows/nüit-talk-\u200b\U0001f399"  # odd Unicode in the key
    other = "radio.example/other"
    feed = await store.get_or_create_feed("https://radio.example/feed")
    elsewhere = await store.get_or_create_feed("https://elsewhere.example/feed")
    await store.store_articles(feed.id, [episode(n, show) for n in range(1, 8)], now=NOW)
    await store.store_articles(feed.id, [episode(1, other)], now=NOW)
    await store.store_articles(elsewhere.id, [episode(n, show) for n in (8, 9)], now=NOW)

    carried = await store.carried_links(feed.id, [show, other, "radio.example/none"], newest=3)
    assert [entry.title for entry in carried[show]] == ["Episode 5", "Episode 6", "Episode 7"]
    assert [entry.title for entry in carried[other]] == ["Episode 1"]
    assert set(carried) == {show, other}
    everything = await store.carried_links(feed.id, [show], newest=100)
    assert [entry.title for entry in everything[show]] == [f"Episode {n}" for n in range(1, 8)]
