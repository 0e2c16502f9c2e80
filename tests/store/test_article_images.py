"""A story's picture in the store and the outbox, on SQLite and (with TEST_DATABASE_URL)
PostgreSQL: written at ingest, read back for digests, hostile values never stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.delivery.payloads import payload_to_reply, reply_to_payload
from bot.models import ChatTarget, Digest, DigestItem, DigestSection, Reply
from bot.store.repository import Store
from tests.support.feeds import new_article

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
PICTURE = "https://img.example.com/a/lead.jpg?w=1200"


async def _unseen_images(store: Store, images: list[str | None]) -> list[str | None]:
    feed = await store.get_or_create_feed("https://a.example/feed")
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    await store.subscribe(chat.pk, feed.id)
    articles = [
        replace(new_article(n, published=NOW), image=image) for n, image in enumerate(images)
    ]
    await store.store_articles(feed.id, articles, now=NOW)
    unseen = await store.unseen_articles(chat.pk)
    by_title = {article.title: article.image for article in unseen}
    return [by_title[f"Story {n}"] for n in range(len(images))]


async def test_the_picture_is_stored_and_read_back(store: Store) -> None:
    assert await _unseen_images(store, [PICTURE, None]) == [PICTURE, None]


@pytest.mark.parametrize(
    "hostile",
    [
        "https://img.example.com/a\x00b.jpg",  # PostgreSQL refuses NUL in text
        "https://img.example.com/\ud800.jpg",  # no UTF-8 encoding
        "https://img.example.com/\x07bell.jpg",
        "https://img.example.com/" + "x" * 3000,  # over the bound: dropped, never cut
        "javascript:alert(1)",
        "",
    ],
)
async def test_hostile_pictures_are_not_stored(store: Store, hostile: str) -> None:
    """Whatever reaches the store past the parser is stored the same on both databases:
    as no picture, never a cleaned-up address that the parser did not vet."""
    assert await _unseen_images(store, [hostile, PICTURE]) == [None, PICTURE]


async def test_odd_unicode_in_a_picture_address_round_trips(store: Store) -> None:
    odd = "https://img.example.com/\u202eevil\u202c/\u05d0\u05d1/\U0001f600.png"
    assert await _unseen_images(store, [odd]) == [odd]


async def test_the_picture_travels_in_the_outbox_payload(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    item = DigestItem(
        title="T", link="https://a.example/1", source="A", published=None, summary=["S."]
    )
    digest = Digest(
        title="D",
        sections=[DigestSection("A", [replace(item, image=PICTURE), item])],
    )
    payload = reply_to_payload(Reply(text="2 new stories.", digest=digest))
    assert await store.commit_digest(chat.pk, "slot-1", payload, [], now=NOW) is not None
    [pending] = await store.pending_deliveries()
    reply = payload_to_reply(pending.payload)
    assert reply.digest is not None
    assert [i.image for i in reply.digest.items] == [PICTURE, None]


def test_payloads_from_before_pictures_and_damaged_ones_still_read() -> None:
    older = {
        "text": "1 new story.",
        "digest": {
            "title": "D",
            "sections": [{"source": "A", "items": [{"title": "T", "source": "A"}]}],
        },
    }
    reply = payload_to_reply(older)
    assert reply.digest is not None
    assert reply.digest.items[0].image is None
    damaged = older["digest"]["sections"][0]["items"][0]  # type: ignore[index]
    for value in ("javascript:alert(1)", 42, ["x"]):
        damaged["image"] = value
        reply = payload_to_reply(older)
        assert reply.digest is not None
        assert reply.digest.items[0].image is None


async def test_articles_stored_before_the_column_have_none(store: Store) -> None:
    """An article row written before pictures (image NULL) reads as no picture."""
    assert await _unseen_images(store, [PICTURE]) == [PICTURE]
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE articles SET image = NULL"))
    chat = await store.get_or_create_chat(ChatTarget("console", "c"))
    assert [a.image for a in await store.unseen_articles(chat.pk)] == [None]
