"""The bundled demo feed: it must parse cleanly and carry the seed article in full."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from bot.models import ParsedArticle, ParsedFeed
from bot.news.parse import parse_feed
from tests.support import FIXTURES, REPO

SAMPLE_FEED = REPO / "config" / "sample-feed.xml"
SEED_ARTICLE = FIXTURES / "seed-article.txt"

SEED_TITLE = "US, Iraq to Start Talks on Future of US Military Presence"
SEED_LINK = (
    "https://news.antiwar.com/2024/01/25/us-iraq-to-start-talks-on-future-of-us-military-presence/"
)
CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


@pytest.fixture(scope="module")
def feed() -> ParsedFeed:
    return parse_feed(SAMPLE_FEED.read_bytes(), "https://example-news.test/sample-feed.xml")


@pytest.fixture(scope="module")
def seed(feed: ParsedFeed) -> ParsedArticle:
    matches = [article for article in feed.articles if article.title == SEED_TITLE]
    assert len(matches) == 1
    return matches[0]


def seed_paragraphs() -> list[str]:
    """The seed file: title, standfirst, body paragraphs, then the author note."""
    return SEED_ARTICLE.read_text(encoding="utf-8").strip().split("\n\n")


def test_sample_feed_is_well_formed_utf8_rss20() -> None:
    raw = SAMPLE_FEED.read_bytes()
    raw.decode("utf-8")
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(raw)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"


def test_sample_feed_has_five_items(feed: ParsedFeed) -> None:
    assert feed.format == "rss20"
    assert feed.title == "Newsdigest sample feed"
    assert feed.site_url == "https://example-news.test/"
    assert feed.language == "en"
    assert len(feed.articles) == 5


def test_seed_item(seed: ParsedArticle) -> None:
    assert seed.author == "Dave DeCamp"
    assert seed.link == SEED_LINK
    assert seed.guid == SEED_LINK
    assert seed.published is not None
    assert seed.published.date() == date(2024, 1, 25)
    assert seed.published.tzinfo == UTC
    assert "Sources told CNN that the US and Iraq would use a military commission" in seed.text
    assert len(seed.text.split("\n\n")) >= 8


def test_seed_item_carries_the_whole_body_verbatim(seed: ParsedArticle) -> None:
    paragraphs = seed_paragraphs()
    assert paragraphs[0] == SEED_TITLE
    author_note = next(i for i, p in enumerate(paragraphs) if p.startswith("Author:"))
    assert seed.text.split("\n\n") == paragraphs[2:author_note]


def test_seed_item_description_is_the_standfirst() -> None:
    standfirst = seed_paragraphs()[1]
    root = ET.fromstring(SAMPLE_FEED.read_bytes())
    items = root.findall("./channel/item")
    seed_item = next(item for item in items if item.findtext("title") == SEED_TITLE)
    assert seed_item.findtext("description") == standfirst
    assert seed_item.findtext(DC_CREATOR) == "Dave DeCamp"
    assert seed_item.findtext("pubDate", "").startswith("Thu, 25 Jan 2024")
    content = seed_item.findtext(CONTENT_NS) or ""
    assert content.count("<p>") >= 8


def test_every_item_is_complete(feed: ParsedFeed) -> None:
    root = ET.fromstring(SAMPLE_FEED.read_bytes())
    for item in root.findall("./channel/item"):
        for tag in ("title", "link", "guid", "pubDate", "description", DC_CREATOR, CONTENT_NS):
            assert (item.findtext(tag) or "").strip(), (item.findtext("title"), tag)
    for article in feed.articles:
        assert article.guid
        assert article.author
        assert article.published is not None
        assert article.published.tzinfo == UTC
        assert article.link
        assert article.link.startswith("https://")
        assert len(article.text.split("\n\n")) >= 4


def test_invented_items_use_the_fictional_domain(feed: ParsedFeed) -> None:
    invented = [article for article in feed.articles if article.title != SEED_TITLE]
    assert len(invented) == 4
    for article in invented:
        assert article.link
        assert article.link.startswith("https://example-news.test/")


def test_items_are_newest_first(feed: ParsedFeed) -> None:
    dates = [article.published or datetime.min.replace(tzinfo=UTC) for article in feed.articles]
    assert dates == sorted(dates, reverse=True)


def test_boilerplate_in_the_demo_is_cleaned(feed: ParsedFeed) -> None:
    text = "\n\n".join(article.text for article in feed.articles)
    for noise in ("appeared first on", "Share this", "Read more", "Image:", "<p>", "&rsquo;"):
        assert noise not in text
