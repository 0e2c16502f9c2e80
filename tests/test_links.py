"""Dedupe keys: cosmetic URL differences collapse, different articles never do."""

from __future__ import annotations

import pytest

from bot.news.links import MAX_KEY_LENGTH, entry_key, normalise_link


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/news/story-1",
        "http://example.com/news/story-1/",
        "https://EXAMPLE.com:443/news/story-1#comments",
        "https://example.com/news/story-1?utm_source=rss&utm_medium=feed",
        "https://example.com/news/story-1?fbclid=abc",
    ],
)
def test_cosmetic_variants_share_a_key(variant: str) -> None:
    assert normalise_link(variant) == "example.com/news/story-1"


def test_meaningful_query_parameters_are_kept_in_a_stable_order() -> None:
    assert normalise_link("https://example.com/a?id=2&page=1") == "example.com/a?id=2&page=1"
    assert normalise_link("https://example.com/a?page=1&id=2") == "example.com/a?id=2&page=1"
    assert normalise_link("https://example.com/a?id=2") != normalise_link(
        "https://example.com/a?id=3"
    )


@pytest.mark.parametrize("bad", [None, "", "mailto:x@example.com", "not a url", "/relative"])
def test_unusable_links_have_no_key(bad: str | None) -> None:
    assert normalise_link(bad) is None


def test_entry_key_prefers_guid_then_link_then_content() -> None:
    assert entry_key("tag:x,2026:1", "https://a.example/1", "T", "body") == "guid:tag:x,2026:1"
    assert entry_key(None, "https://a.example/1?utm_campaign=x", "T", "b") == "link:a.example/1"
    by_content = entry_key(None, None, "Title", "body")
    assert by_content.startswith("hash:")
    assert by_content == entry_key(None, None, "Title", "body")
    assert by_content != entry_key(None, None, "Title", "other body")


def test_very_long_keys_are_hashed_to_fit_the_column() -> None:
    key = entry_key("x" * 5000, None, "T", "b")
    assert key.startswith("sha256:")
    assert len(key) <= MAX_KEY_LENGTH
