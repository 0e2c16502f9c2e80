"""The digest composer: grouping, cap, seen-marking, and the outbox's JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.payloads import digest_from_dict, digest_to_dict
from bot.digest.composer import DigestComposer, build_digest
from bot.models import ChatTarget, NewArticle, StoredArticle
from bot.store.repository import Store

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def stored(n: int, source: str) -> StoredArticle:
    return StoredArticle(
        id=n,
        title=f"Story {n}",
        link=f"https://news.example/{n}",
        source=source,
        published=NOW - timedelta(hours=n),
        first_seen=NOW,
        summary=[f"First sentence of {n}.", f"Second sentence of {n}."],
        text="",
    )


def test_build_digest_groups_by_source_in_order_of_newest_story() -> None:
    digest = build_digest(
        [stored(1, "B"), stored(2, "A"), stored(3, "B")], title="Morning", more_count=4
    )
    assert [s.source for s in digest.sections] == ["B", "A"]
    assert [i.title for i in digest.sections[0].items] == ["Story 1", "Story 3"]
    assert digest.more_count == 4
    assert len(digest.items) == 3


def test_digest_survives_a_json_round_trip() -> None:
    digest = build_digest([stored(1, "A"), stored(2, "B")], title="T", more_count=1)
    assert digest_from_dict(digest_to_dict(digest)) == digest


async def test_composer_caps_and_marks_only_what_it_showed(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    feed = await store.get_or_create_feed("https://a.example/feed")
    await store.subscribe(chat.pk, feed.id)
    articles = [
        NewArticle(
            f"guid:{n}",
            f"a.example/{n}",
            f"https://a.example/{n}",
            f"Story {n}",
            None,
            NOW - timedelta(hours=n),
            "text",
            [f"Summary {n}."],
            "en",
        )
        for n in range(1, 6)
    ]
    await store.store_articles(feed.id, articles, now=NOW)
    composer = DigestComposer(store, clock=lambda: NOW, max_items=3)
    first = await composer.compose(chat)
    assert first is not None
    assert [i.title for i in first.items] == ["Story 1", "Story 2", "Story 3"]
    assert first.more_count == 2
    second = await composer.compose(chat)
    assert second is not None
    assert [i.title for i in second.items] == ["Story 4", "Story 5"]
    assert second.more_count == 0
    assert await composer.compose(chat) is None
