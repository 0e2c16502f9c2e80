"""A feed that turns hostile after it was subscribed must not stall anyone else's news.

The poison matrix: each case serves a feed that was clean when the chat subscribed and is
hostile at the next poll (a value PostgreSQL refuses, an over-long field, a link whose host
IDNA refuses, an entity bomb…), next to a healthy feed with a new story. Through the real
poll loop, on SQLite and on PostgreSQL, the healthy feed's story must be stored and
delivered in the same cycle, the hostile feed must be rescheduled (not re-fetched every
tick), and whatever was stored must be clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.models import ChatTarget
from bot.store.repository import Store
from bot.store.tables import ArticleRow, ChatRow, FeedRow, FilterRow, SubscriptionRow
from tests.support.clock import FakeClock
from tests.support.console import harness
from tests.support.feeds import FeedServer, rss_feed

LONG_BODY = " ".join(
    "The regional council approved the budget after a debate that lasted most of the night."
    for _ in range(8)
)  # well over the teaser limit: no article page is fetched for the healthy feed


def good_items(*numbers: int) -> list[dict[str, str]]:
    return [
        {
            "guid": f"good-{n}",
            "title": f"Good story {n}",
            "link": f"https://good.example/{n}",
            "description": f"<p>Good story {n}. {LONG_BODY}</p>",
        }
        for n in numbers
    ]


def json_feed(items: list[dict[str, object]], **top: object) -> str:
    document: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Victim",
        "home_page_url": "https://victim.example/",
        "items": items,
        **top,
    }
    return json.dumps(document)  # ensure_ascii: "\u0000" and lone surrogates as escapes


def json_item(**fields: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": "v-2",
        "url": "https://victim.example/2",
        "title": "Victim story 2",
        "content_text": "A short teaser.",
    }
    item.update(fields)
    return item


CLEAN = json_feed([json_item(id="v-1", url="https://victim.example/1", title="Victim 1")])


@dataclass
class Poison:
    body: str
    content_type: str = "application/feed+json"
    headers: dict[str, str] = field(default_factory=dict)


def entity_bomb() -> str:
    value = "A" * 10_000
    refs = "&a;" * 2_000  # 20 MB if expanded
    return (  # declarations on lines of their own: the form the loose parser expands
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{value}">\n]>\n'
        '<rss version="2.0"><channel><title>Victim</title><link>https://victim.example/</link>'
        "<description>d</description><item><title>Bomb</title><guid>bomb</guid>"
        f"<link>https://victim.example/bomb</link><description>{refs}</description>"
        "</item></channel></rss>"
    )


# 1000 different Han characters: 3000 bytes that do not compress, past the most an entry of
# a PostgreSQL index may hold (about 2700 bytes), yet under the old 1024-character bound.
CJK = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(1000))
POISONS: dict[str, Callable[[], Poison]] = {
    "nul-everywhere": lambda: Poison(
        json_feed(
            [
                json_item(
                    id="v\u00002",
                    title="Bad\u0000title",
                    content_text="Nul\u0000 inside the text.",
                    authors=[{"name": "Eve\u0000"}],
                    url="https://victim.example/a\u0000b",
                )
            ],
            title="Victim\u0000",
        )
    ),
    "lone-surrogates": lambda: Poison(
        json_feed([json_item(id="\ud800", title="x\ud800y", content_text="a\udfffb")])
    ),
    "control-characters": lambda: Poison(
        json_feed([json_item(title="ring\u0007the\u001bbell", content_text="\u0001\u0002")])
    ),
    "lone-surrogate-in-link-query": lambda: Poison(
        json_feed([json_item(url="https://victim.example/a?q=\ud800")])
    ),
    "lone-surrogates-across-the-link": lambda: Poison(
        json_feed([json_item(url="https://victim.example/\udc00?\ud800=\udfff#\ud801")])
    ),
    "link-over-2048": lambda: Poison(
        json_feed([json_item(url="https://victim.example/" + "x" * 5000)])
    ),
    "link-of-many-bytes": lambda: Poison(
        json_feed([json_item(url="https://victim.example/" + CJK)])
    ),
    "id-of-many-bytes": lambda: Poison(json_feed([json_item(id=CJK[:1010])])),
    "etag-and-last-modified-too-long": lambda: Poison(
        json_feed([json_item()]),
        headers={"ETag": '"' + "e" * 1000 + '"', "Last-Modified": "M" * 300},
    ),
    "language-tags-too-long": lambda: Poison(
        json_feed([json_item(language="x" * 100)], language="y" * 100)
    ),
    "titles-and-authors-too-long": lambda: Poison(
        json_feed(
            [json_item(title="T" * 5000, authors=[{"name": "A" * 2000}])],
            title="F" * 5000,
            home_page_url="https://victim.example/" + "h" * 5000,
        )
    ),
    "host-with-empty-label": lambda: Poison(json_feed([json_item(url="http://.example.com/x")])),
    "host-label-over-63": lambda: Poison(
        json_feed([json_item(url="http://" + "a" * 64 + ".example.com/x")])
    ),
    "port-out-of-range": lambda: Poison(json_feed([json_item(url="http://example.com:99999/")])),
    "date-out-of-range": lambda: Poison(
        json_feed([json_item(date_published="9999-12-31T23:59:59-23:59")])
    ),
    "entity-bomb": lambda: Poison(entity_bomb(), content_type="application/rss+xml"),
    "picture-addresses-refused": lambda: Poison(
        json_feed(
            [
                json_item(id="v-2", image="https://img.example/a\u0000b.jpg"),
                json_item(id="v-3", image="https://img.example/\ud800.jpg"),
                json_item(id="v-4", image="https://img.example/" + "p" * 5000),
                json_item(id="v-5", image="http://127.0.0.1:5432/x.png"),
                json_item(id="v-6", image="javascript:alert(1)", banner_image="data:,x"),
                json_item(id="v-7", image=["not", "text"], content_html="<img src='//[::1]/'>"),
            ]
        )
    ),
}


def assert_clean(value: object) -> None:
    if isinstance(value, str):
        assert "\x00" not in value
        assert not any("\ud800" <= ch <= "\udfff" for ch in value)
        assert not any(ch in value for ch in "\x01\x02\x07\x1b")


@pytest.mark.parametrize("case", sorted(POISONS))
async def test_a_feed_turning_hostile_stalls_nobody(
    case: str, database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    good = feed_server.serve("/good.xml", rss_feed(good_items(1), title="Good"))
    victim = feed_server.serve("/victim.json", CLEAN, content_type="application/feed+json")
    # Full text on: the hostile link of a teaser item is fetched (or refused) as a page.
    async with harness(database_url, clock, tmp_path, full_text=True) as h:
        assert "Subscribed" in await h.say(f"/subscribe {good}")
        assert "Subscribed" in await h.say(f"/subscribe {victim}")
        poison = POISONS[case]()
        feed_server.serve(
            "/victim.json", poison.body, content_type=poison.content_type, headers=poison.headers
        )
        feed_server.serve("/good.xml", rss_feed(good_items(2, 1), title="Good"))
        clock.advance(hours=1)

        report = await h.scheduler.poll_feeds()
        assert report.due == 2
        store = h.app.services.store
        feeds = {feed.url: feed for feed in await store.list_feeds()}
        assert feeds[victim].next_poll_at is not None
        assert feeds[victim].next_poll_at > clock()  # rescheduled, not re-fetched every tick
        assert feeds[good].last_error is None

        clock.advance(days=1)
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert digest.digest is not None
        titles = [item.title for item in digest.digest.items]
        assert "Good story 2" in titles
        for item in digest.digest.items:
            for text in (item.title, item.link, item.source, *item.summary):
                assert_clean(text)

        await assert_store_is_clean(store)
        # And the next cycle runs as usual: nothing is stuck.
        feed_server.serve("/good.xml", rss_feed(good_items(3, 2, 1), title="Good"))
        clock.advance(hours=7)
        assert (await h.scheduler.poll_feeds()).due == 2


HOSTILE_LINKS = [
    "https://victim.example/a?q=\ud800",
    "https://victim.example/b?\udfff=1&utm_source=\ud800",
    "https://victim.example/\u202eevil\u202c?q=\u200f#\ud800",
    "https://victim.example/c\u0000d?q=\u0000",
    "https://victim.example/" + "\u05d0" * 5000 + "?q=\ud800",
]


async def test_a_hostile_link_costs_nothing_but_is_stored_like_any_other(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Links a feed turns hostile after the chat subscribed: every item of the feed is
    stored (not only the clean ones), the poll succeeds, and the next poll stores nothing
    twice."""
    victim = feed_server.serve("/victim.json", CLEAN, content_type="application/feed+json")
    async with harness(database_url, clock, tmp_path) as h:
        assert "Subscribed" in await h.say(f"/subscribe {victim}")
        items = [
            json_item(id=None, url=link, title=f"Hostile {n}", content_text=LONG_BODY)
            for n, link in enumerate(HOSTILE_LINKS)
        ]
        items.append(json_item(id="v-9", url="https://victim.example/9", title="Plain story"))
        document = json_feed([{k: v for k, v in item.items() if v is not None} for item in items])
        feed_server.serve("/victim.json", document, content_type="application/feed+json")
        clock.advance(hours=1)
        await h.scheduler.poll_feeds()
        feed = await h.feed()
        assert feed.last_error is None
        store = h.app.services.store
        chat = await store.get_or_create_chat(h.console.target)
        titles = sorted(article.title for article in await store.unseen_articles(chat.pk))
        assert titles == sorted(["Plain story", *(f"Hostile {n}" for n in range(5))])
        await assert_store_is_clean(store)
        clock.advance(hours=7)
        await h.scheduler.poll_feeds()
        assert len(await store.unseen_articles(chat.pk)) == 6  # nothing stored twice


async def assert_store_is_clean(store: Store) -> None:
    async with store.session() as session:
        for table in (ArticleRow, FeedRow):
            for row in await session.scalars(select(table)):
                for column in table.__table__.columns:
                    assert_clean(getattr(row, column.key))
        for article in await session.scalars(select(ArticleRow)):
            assert len(article.text) <= 200_000  # item text is capped after cleaning


HOSTILE = "na\x00me \ud800 \x07 " + "é" * 400


async def test_hostile_values_from_commands_store_the_same_on_every_database(
    store: Store,
) -> None:
    """Every write path with text a chat user controls, cleaned the same on both databases."""
    chat = await store.get_or_create_chat(ChatTarget("telegram", "1"))
    feed = await store.get_or_create_feed("https://feed.example/rss")
    subscription, _ = await store.subscribe(chat.pk, feed.id, custom_title=HOSTILE)
    await store.rename_subscription(subscription.id, HOSTILE)
    await store.add_filter(chat.pk, kind="exclude", pattern=HOSTILE, is_regex=False)
    await store.update_chat_settings(chat.pk, changes={"note\x00": HOSTILE})
    await store.record_poll_failure(feed.id, now=store.clock(), error=HOSTILE * 10)
    await store.disable_feed(feed.id, reason=HOSTILE)
    payload = {"text": HOSTILE, "lines": [HOSTILE]}
    slot = "slot\x00" + "s" * 500
    delivery = await store.commit_digest(chat.pk, slot, payload, [], now=store.clock())
    assert delivery is not None
    await store.record_delivery_failure(delivery, error=HOSTILE, retry_at=None)
    [pending] = await store.pending_deliveries()
    assert_clean(pending.slot)
    assert_clean(pending.payload["text"])
    assert_clean(pending.last_error)
    async with store.session() as session:
        for table in (ChatRow, FeedRow, SubscriptionRow, FilterRow):
            for row in await session.scalars(select(table)):
                for column in table.__table__.columns:
                    value = getattr(row, column.key)
                    assert_clean(value)
                    if isinstance(value, dict):
                        for key, item in value.items():
                            assert_clean(key)
                            assert_clean(item)
    [listed] = await store.list_subscriptions(chat.pk)
    assert listed.custom_title is not None
    assert listed.custom_title.startswith("name")
    assert len(listed.custom_title) <= 256


async def test_an_over_long_feed_address_is_refused_clearly(store: Store) -> None:
    with pytest.raises(ValueError, match="limited to 2048"):
        await store.get_or_create_feed("https://feed.example/" + "x" * 3000)


HOSTILE_IDS = ["g\u0000-1", "g" * 5000, "\u202egnp.1\u202c", "\u200f\u05d0\u05d1", "\ud800-5"]
LONG_TITLE = "Headline \u0000" + "\u05d0" * 5000


async def test_hostile_ids_links_and_titles_keep_their_identity_across_polls(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Story identity through the poll loop with values PostgreSQL or an index would refuse:
    each item stored once, an edited headline on its own link not again, a second item
    on a link the feed used before as a new story — the same on SQLite and PostgreSQL."""
    victim = feed_server.serve("/victim.json", CLEAN, content_type="application/feed+json")
    async with harness(database_url, clock, tmp_path) as h:
        assert "Subscribed" in await h.say(f"/subscribe {victim}")
        store = h.app.services.store
        chat = await store.get_or_create_chat(h.console.target)

        def document(titles: list[str], extra: list[dict[str, object]] | None = None) -> str:
            no_ids = [
                {"url": link, "title": title, "content_text": LONG_BODY}
                for link, title in zip(HOSTILE_LINKS, titles, strict=True)
            ]
            with_ids = [
                {"id": guid, "url": HOSTILE_LINKS[0], "title": f"Id {n}", "content_text": "x"}
                for n, guid in enumerate(HOSTILE_IDS)
            ]
            return json_feed([*(extra or []), *no_ids, *with_ids])

        async def poll(body: str) -> int:
            feed_server.serve("/victim.json", body, content_type="application/feed+json")
            clock.advance(hours=7)
            await h.scheduler.poll_feeds()
            assert (await h.feed()).last_error is None
            return len(await store.unseen_articles(chat.pk))

        titles = [LONG_TITLE, "Two \u202eowt", "Three\u0000", "Four \ud800", "Five"]
        assert await poll(document(titles)) == 10
        assert await poll(document(titles)) == 10  # the same document: nothing twice
        edited = [LONG_TITLE + "!", "Two (corrected)", "Three", "Four", "Five."]
        assert await poll(document(edited)) == 10  # edited headlines: the same stories
        second = {"url": HOSTILE_LINKS[1], "title": "Two, part 2", "content_text": LONG_BODY}
        assert await poll(document(edited, [second])) == 11  # a second item on a used link
        assert await poll(document(edited, [second])) == 11
        await assert_store_is_clean(store)
