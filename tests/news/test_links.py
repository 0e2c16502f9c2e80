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
