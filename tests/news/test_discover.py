"""Feed discovery from a web page's <link rel="alternate"> tags (no network)."""

from __future__ import annotations

import pytest

from bot.news.discover import discover_feed_links, looks_like_html

PAGE = """<!DOCTYPE html>
<html><head>
<title>News</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="ALTERNATE home" type="Application/Atom+XML" href="atom.xml">
<link rel="alternate" type="application/json" href="https://example.com/wp-json/page/1">
<link rel="alternate" type="application/feed+json" href="//cdn.example.com/feed.json">
<link rel="alternate" type="application/rss+xml" href="/feed.xml#dup">
<link rel="alternate" type="text/html" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml">
<link rel="feed" type="application/rss+xml" href="/not-alternate.xml">
</head><body><p>Hello</body></html>"""


def test_finds_feed_links_in_page_order() -> None:
    assert discover_feed_links(PAGE, "https://example.com/news/") == [
        "https://example.com/feed.xml",
        "https://example.com/news/atom.xml",
        "https://cdn.example.com/feed.json",
        # plain application/json last: sites also use it for API links
        "https://example.com/wp-json/page/1",
    ]


def test_accepts_bytes() -> None:
    assert discover_feed_links(PAGE.encode(), "https://example.com/")[0] == (
        "https://example.com/feed.xml"
    )


def test_base_href_wins_over_the_page_url() -> None:
    page = """<html><head><base href="https://static.example.org/blog/">
    <link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>"""
    assert discover_feed_links(page, "https://example.com/") == [
        "https://static.example.org/blog/atom.xml"
    ]


def test_relative_base_href_resolves_against_the_page_url() -> None:
    page = """<html><head><base href="/sub/">
    <link rel="alternate" type="application/rss+xml" href="rss"></head></html>"""
    assert discover_feed_links(page, "https://example.com/a/b") == ["https://example.com/sub/rss"]


def test_broken_html_still_works() -> None:
    page = b'<html><head><link rel=alternate type="application/rss+xml" href=/r.xml><body><div>'
    assert discover_feed_links(page, "http://example.com/x") == ["http://example.com/r.xml"]


def test_declared_encoding_in_a_string_is_fine() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?><html><head>'
    page += '<link rel="alternate" type="application/rss+xml" href="/r"></head></html>'
    assert discover_feed_links(page, "http://example.com/") == ["http://example.com/r"]


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>No feeds</title></head><body>hi</body></html>",
        "",
        b"   ",
        b"<!-- only a comment -->",
    ],
)
def test_no_feeds_gives_an_empty_list(page: str | bytes) -> None:
    assert discover_feed_links(page, "https://example.com/") == []


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"anything", "text/html; charset=utf-8", True),
        (b"anything", "application/xhtml+xml", True),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html>", None, True),
        (b"<html lang='en'><head>", "text/plain", True),
        (b'<?xml version="1.0"?><rss version="2.0">', "text/plain", False),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', None, False),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "application/json", False),
        (b"", None, False),
    ],
)
def test_looks_like_html(content: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_html(content, content_type) is expected
