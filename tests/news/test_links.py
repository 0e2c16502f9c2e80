"""Story identity keys: cosmetic URL differences collapse, different items never do."""

from __future__ import annotations

import pytest

from bot.news.links import (
    MAX_KEY_BYTES,
    article_link_key,
    entry_key,
    is_home_page,
    normalise_link,
)


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/news/story-1",
        "http://example.com/news/story-1/",
        "https://EXAMPLE.com:443/news/story-1",
        "https://example.com/news/story-1?utm_source=rss&utm_medium=feed",
        "https://example.com/news/story-1?fbclid=abc",
    ],
)
def test_cosmetic_variants_share_a_key(variant: str) -> None:
    assert normalise_link(variant) == "example.com/news/story-1"


def test_the_fragment_tells_two_posts_on_one_page_apart() -> None:
    first = normalise_link("https://micro.example/2026/01/15.html#p1")
    second = normalise_link("https://micro.example/2026/01/15.html#p2")
    assert first == "micro.example/2026/01/15.html#p1"
    assert first != second != normalise_link("https://micro.example/2026/01/15.html")


def test_meaningful_query_parameters_are_kept_in_a_stable_order() -> None:
    assert normalise_link("https://example.com/a?id=2&page=1") == "example.com/a?id=2&page=1"
    assert normalise_link("https://example.com/a?page=1&id=2") == "example.com/a?id=2&page=1"
    assert normalise_link("https://example.com/a?id=2") != normalise_link(
        "https://example.com/a?id=3"
    )


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "mailto:x@example.com",
        "not a url",
        "/relative",
        "http://[::1/x",  # malformed IPv6 literal
        "http://example.com:99999/x",  # port out of range
        "http://:80/x",  # no host
        "http:///x",
    ],
)
def test_unusable_links_have_no_key(bad: str | None) -> None:
    assert normalise_link(bad) is None


def test_entry_key_prefers_the_id_then_link_and_title_then_content() -> None:
    assert entry_key("tag:x,2026:1", "https://a.example/1", "T", "body") == "guid:tag:x,2026:1"
    assert (
        entry_key(None, "https://a.example/1?utm_campaign=x", "A  Title", "b")
        == "link:a.example/1 title:a title"
    )
    by_content = entry_key(None, None, "Title", "body")
    assert by_content.startswith("hash:")
    assert by_content == entry_key(None, None, "Title", "body")
    assert by_content != entry_key(None, None, "Title", "other body")


def test_items_sharing_a_link_without_ids_are_told_apart_by_title() -> None:
    home = "https://podcast.example/"
    assert entry_key(None, home, "Episode 1", "") != entry_key(None, home, "Episode 2", "")
    assert entry_key(None, home, "Episode 1", "") == entry_key(None, home, " episode  1", "x")


@pytest.mark.parametrize("guid", ["x" * 5000, "я" * 600, "a\x00b", "a\ud800b"])
def test_long_or_unstorable_keys_are_hashed_to_fit_the_index(guid: str) -> None:
    """Bounded in UTF-8 bytes, not characters: 600 Cyrillic letters are 1200 bytes."""
    key = entry_key(guid, None, "T", "b")
    assert key.startswith("sha256:")
    assert len(key.encode()) <= MAX_KEY_BYTES
    assert key == entry_key(guid, None, "T", "b")


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://www.example.com/", True),
        ("http://example.com", True),
        ("https://example.com/?p=12", False),  # WordPress's article address
        ("https://example.com/#ep-5", False),
        ("https://example.com/news/1", False),
    ],
)
def test_home_pages(url: str, home: bool) -> None:
    key = normalise_link(url)
    assert key is not None
    assert is_home_page(key) is home


def test_only_a_link_that_names_one_article_may_merge_feeds() -> None:
    article = normalise_link("https://site.example/news/1")
    assert article_link_key(article, shared=False) == article
    assert article_link_key(article, shared=True) is None
    assert article_link_key(normalise_link("https://site.example/"), shared=False) is None
    assert article_link_key(article, shared=False, site_key=article) is None
    assert article_link_key(None, shared=False) is None


@pytest.mark.parametrize(
    "hostile",
    [
        "https://example.com/a?q=\ud800",
        "https://example.com/a?\ud800=1",
        "https://example.com/\udc00/x?a=\udfff#\ud800",
        "https://exa\ud800mple.com/a",
        "https://example.com/a?q=\x00&r=\u202e",
        "https://example.com/" + "\u200f" * 5000,
        "http://[\ud800]/x",
        "https://example.com:\ud800/x",
    ],
)
def test_hostile_links_never_raise_and_give_a_storable_key(hostile: str) -> None:
    """Nothing in a link may stop a feed's poll: at worst the link is no link."""
    key = normalise_link(hostile)
    if key is not None:
        assert len(key.encode()) <= MAX_KEY_BYTES  # storable: encodes as UTF-8
        assert "\x00" not in key
        assert key == normalise_link(hostile)
    item = entry_key(None, hostile, "T\ud800", "b\ud800")
    assert len(item.encode()) <= MAX_KEY_BYTES
    assert article_link_key(key, shared=False) in (key, None)


def test_a_lone_surrogate_in_the_query_keeps_the_link_usable() -> None:
    """Only the broken parameter is escaped; the link still names its article."""
    first = normalise_link("https://example.com/a?q=\ud800&utm_source=x")
    assert first is not None
    assert first.startswith("example.com/a?q=")
    assert first != normalise_link("https://example.com/a?q=\ud801")
