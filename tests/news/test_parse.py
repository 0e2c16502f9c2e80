"""Feed bytes → ParsedFeed on real-world documents (tests/fixtures/feeds, see PROVENANCE.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import ParsedFeed
from bot.news.parse import (
    MAX_ITEM_TEXT_CHARS,
    MAX_TITLE_CHARS,
    FeedParseError,
    neutralise_internal_subsets,
    parse_feed,
)
from tests.support import FIXTURES, REPO

FEEDS = FIXTURES / "feeds"

TECHCRUNCH = "rss2_techcrunch_content-encoded_blank-line-before-xml-decl.xml"
DARING_ATOM = "atom_daringfireball_xml-base.xml"
QEMU = "atom_qemu_relative-xml-base_relative-links.xml"
SAMRUBY = "atom_samruby_xhtml_relative-links_blank-line-before-xml-decl.xml"
GOOGLE_ALERTS = "atom_google-alerts_html-in-titles_redirect-links.xml"
BIORXIV = "rdf_biorxiv-plant-biology_dc.xml"
HEISE = "rdf_heise-online_no-dates_no-guids.xml"
LAUT = "rdf_laut-de_iso-8859-1.xml"
IBASH = "rss2_ibash-org-ru_windows-1251.xml"
CERCLE_PSY = "rss2_le-cercle-psy_undeclared-iso-8859-1.xml"
UOL = "rss2_uol-noticias_undeclared-latin1_localized-dates.xml"
MACWORLD = "rss2_macworld_no-guid_enclosure-images.xml"
KATIE_FLOYD = "rss2_katie-floyd_future-dated-item.xml"
DARING_JSON = "jsonfeed10_daringfireball.json"
JSON11 = "jsonfeed11_handmade_authors-language.json"
TRUNCATED_JSON = "jsonfeed10_allthis_truncated-invalid.json"
RSS_IN_JSON = "rss-in-json_scripting-news_not-jsonfeed.json"
# A news article page, not a feed: it lives with the full-text extraction fixtures.
HTML_PAGE = "../pages/page_la-nacion_cuestion-mapuche.html"
RSS091 = "rss091_handmade.xml"
RSS092 = "rss092_handmade.xml"
HEISE_DEVELOPER = "atom_heise-developer.xml"
PAPPACODA = "atom_pappacoda_xhtml_xml-base_italian.xml"

FEED_FILES = [
    TECHCRUNCH,
    DARING_ATOM,
    QEMU,
    SAMRUBY,
    GOOGLE_ALERTS,
    BIORXIV,
    HEISE,
    LAUT,
    IBASH,
    CERCLE_PSY,
    UOL,
    MACWORLD,
    KATIE_FLOYD,
    DARING_JSON,
    JSON11,
    RSS091,
    RSS092,
    HEISE_DEVELOPER,
    PAPPACODA,
]

# Markup that must never reach the summariser. (Escaped tags that are really text, such as
# "<td>" in a post about HTML or an IRC nick like "<L29Ah>", are legitimate text.)
TAG_RE = re.compile(
    r"</?(?:p|a|b|i|em|strong|span|div|img|br|ul|ol|li|h[1-6]|figure|script|style|iframe)"
    r"(?:\s[^<>]*)?/?>"
)


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def parse(name: str, url: str = "https://feeds.example.test/feed", **kwargs: object) -> ParsedFeed:
    return parse_feed(load(name), url, **kwargs)  # type: ignore[arg-type]


# --- every fixture ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", FEED_FILES)
def test_every_fixture_parses_into_clean_articles(name: str) -> None:
    feed = parse(name)
    assert feed.title
    assert feed.articles
    for article in feed.articles:
        assert article.title
        assert article.title == article.title.strip()
        assert not TAG_RE.search(article.title)
        assert article.link is None or article.link.startswith(("http://", "https://"))
        assert not TAG_RE.search(article.text), article.text[:200]
        assert "\n\n\n" not in article.text
        assert article.text == article.text.strip()


@pytest.mark.parametrize("name", FEED_FILES)
def test_published_dates_are_aware_utc(name: str) -> None:
    for article in parse(name).articles:
        if article.published is not None:
            assert article.published.tzinfo is not None
            assert article.published.utcoffset() == timedelta(0)


# --- RSS 2.0 ---------------------------------------------------------------------------------


def test_rss20_content_encoded_gives_clean_full_text() -> None:
    feed = parse(TECHCRUNCH, "https://techcrunch.com/feed/")
    assert feed.format == "rss20"
    assert feed.title == "TechCrunch"
    assert feed.site_url == "http://techcrunch.com"
    assert feed.language == "en"
    assert len(feed.articles) == 20
    first = feed.articles[0]
    assert first.title == (
        "Angie’s List Sets Price Range IPO At $11 To $13 Per Share; Valued At Over $600M"
    )
    assert first.guid == "http://techcrunch.com/?p=446154"
    # feedburner:origLink, not the feedproxy.google.com redirector in <link>
    assert first.link == (
        "http://techcrunch.com/2011/11/02/"
        "angies-list-prices-ipo-at-11-to-13-per-share-valued-at-over-600m/"
    )
    assert first.author == "Leena Rao"
    assert first.published == datetime(2011, 11, 2, 17, 25, 27, tzinfo=UTC)
    assert first.language == "en"
    # content:encoded (several paragraphs), not the shorter description
    assert first.text.startswith("Angie’s List, which offers consumers a way to review")
    assert "accumulated deficit of $160.6 million" in first.text
    assert first.text.count("\n\n") >= 3
    for article in feed.articles:
        assert "feedburner" not in article.text.lower()
        assert "doubleclick" not in article.text.lower()
        assert "&amp;" not in article.text
        assert "&#" not in article.text


def test_rss20_without_guids_has_guid_none_and_a_link() -> None:
    feed = parse(MACWORLD)
    assert len(feed.articles) == 30
    for article in feed.articles:
        assert article.guid is None
        assert article.link
        assert article.link.startswith("https://")
    assert feed.articles[0].link == (
        "https://www.techhive.com/article/3212828/connected-home/best-smart-lock.html#tk.rss_all"
    )
    assert feed.articles[0].author == "Christopher Null"


def test_future_dated_item_keeps_its_date() -> None:
    first = parse(KATIE_FLOYD).articles[0]
    assert first.published == datetime(2016, 8, 25, 22, 20, tzinfo=UTC)


def test_unparseable_dates_become_none() -> None:
    feed = parse(UOL)
    assert feed.format == "rss"
    assert all(article.published is None for article in feed.articles)
    assert "simulações" in feed.articles[0].title


# --- RSS 0.9x --------------------------------------------------------------------------------


def test_rss091() -> None:
    feed = parse(RSS091, "https://example-news.test/gazette/rss")
    assert feed.format.startswith("rss091")
    assert feed.language == "en-us"
    assert [a.title for a in feed.articles] == [
        "Café on Mill Street wins local award",
        "School choir to tour in spring",
    ]
    assert feed.articles[0].text == "The Mill Street café was named the town's best small business."
    assert all(a.guid is None and a.published is None for a in feed.articles)


def test_rss092_item_without_title_gets_one_from_its_text() -> None:
    feed = parse(RSS092, "https://example-news.test/notes/rss")
    assert feed.format == "rss092"
    untitled, titled = feed.articles
    assert untitled.text == (
        "The river path reopens on Monday after the flood damage was repaired."
    )
    assert untitled.title.startswith("The river path reopens on Monday")
    assert untitled.link == "https://example-news.test/notes/river-path"
    assert titled.title == "Night bus trial extended"


def test_rss090_rdf_without_guids_or_dates() -> None:
    feed = parse(HEISE)
    assert feed.format == "rss090"
    assert feed.title == "heise online News"
    assert len(feed.articles) == 60
    for article in feed.articles:
        assert article.guid is None
        assert article.published is None
        assert article.link
        assert article.link.startswith("https://www.")
        assert article.link.endswith("?wt_mc=rss.ho.beitrag.rdf")
    assert feed.articles[1].title == "Mega-Deal: IBM übernimmt Red Hat"


# --- RSS 1.0 ---------------------------------------------------------------------------------


def test_rss10_rdf() -> None:
    feed = parse(BIORXIV)
    assert feed.format == "rss10"
    assert feed.title == "bioRxiv Subject Collection: Plant Biology"
    assert len(feed.articles) == 30
    first = feed.articles[0]
    assert first.link == "http://biorxiv.org/cgi/content/short/743294v1?rss=1"
    assert first.guid == first.link  # rdf:about is the item's identifier
    assert first.published == datetime(2019, 8, 27, tzinfo=UTC)  # date-only dc:date
    assert first.author
    assert first.author.startswith("Kaur, M., Shukla, A.")
    assert first.text.startswith("Inositol pyrophosphates")


# --- Atom ------------------------------------------------------------------------------------


def test_atom_prefers_the_alternate_link_and_keeps_the_tag_id() -> None:
    feed = parse(DARING_ATOM, "https://daringfireball.net/feeds/main")
    assert feed.format == "atom10"
    assert feed.site_url == "https://daringfireball.net/"
    second = feed.articles[1]
    assert second.title == "Virgin Mobile Partners With Apple to Go iPhone-Only With $1 Service"
    assert second.link == "http://tidbits.com/article/17308"
    assert second.guid == "tag:daringfireball.net,2017:/linked//6.33852"
    assert second.author == "John Gruber"
    assert second.published == datetime(2017, 6, 26, 23, 51, 11, tzinfo=UTC)
    assert second.language == "en"  # xml:lang on the content element
    assert second.text.startswith("Josh Centers, writing for TidBITS")


def test_atom_relative_links_resolve_against_the_feed_url() -> None:
    feed = parse(QEMU, "https://www.qemu.org/feed.xml")
    assert feed.title == "QEMU"
    assert feed.site_url == "https://www.qemu.org/"
    assert len(feed.articles) == 10
    first = feed.articles[0]
    assert first.title == "QEMU version 10.1.0 released"
    assert first.link == "https://www.qemu.org/2025/08/26/qemu-10-1-0/"
    assert first.published == datetime(2025, 8, 26, 23, 25, tzinfo=UTC)
    assert first.text.startswith("We’d like to announce the availability of the QEMU 10.1.0")
    for article in feed.articles:
        assert article.link
        assert article.link.startswith("https://www.qemu.org/")


def test_atom_with_blank_line_before_xml_declaration_and_xhtml_content() -> None:
    feed = parse(SAMRUBY, "https://intertwingly.net/blog/index.atom")
    assert feed.format == "atom10"
    assert len(feed.articles) == 20
    first = feed.articles[0]
    assert first.title == "Plex"
    assert first.link == "https://intertwingly.net/blog/2013/01/30/Plex"
    assert first.published == datetime(2013, 1, 30, 18, 12, 3, tzinfo=UTC)  # from <updated>
    assert "Plex is the media center software ecosystem I’ve been waiting for" in first.text


def test_atom_html_titles_lose_their_markup() -> None:
    feed = parse(GOOGLE_ALERTS)
    assert len(feed.articles) == 20
    for article in feed.articles:
        assert "<b>" not in article.title
        assert "</b>" not in article.title
        assert article.author is None  # the feed has empty <author><name/></author>
        assert article.link
        assert article.link.startswith("https://www.google.com/url?")
    assert feed.articles[0].title == (
        "Report offers Prediction of Automotive Slack Market by Top key players like Haldex, "
        "Meritor, Bendix ..."
    )
    assert feed.articles[1].title == (
        "Slack Stock Has a Compelling Story and the Numbers to Back It Up"
    )
    assert feed.site_url is None  # its only <link> is a tag: URI


# --- JSON Feed -------------------------------------------------------------------------------


def test_json_feed_10() -> None:
    feed = parse(DARING_JSON, "https://daringfireball.net/feeds/json")
    assert feed.format == "json1.0"
    assert feed.title == "Daring Fireball"
    assert feed.site_url == "https://daringfireball.net/"
    assert len(feed.articles) == 48
    first = feed.articles[0]
    assert first.title == "The Talk Show: ‘I Do Like Throwing a Baby’"
    assert first.link == "https://daringfireball.net/linked/2017/06/26/the-talk-show-195"
    assert first.guid == "https://daringfireball.net/linked/2017/06/26/the-talk-show-195"
    assert first.author == "John Gruber"
    assert first.published == datetime(2017, 6, 27, 0, 54, 17, tzinfo=UTC)
    assert first.text.startswith("New episode of America’s favorite 3-star podcast")


def test_json_feed_11_authors_language_and_relative_urls() -> None:
    feed = parse(JSON11, "https://example-news.test/feed.json")
    assert feed.format == "json1.1"
    assert feed.title == "Example News & Views"
    assert feed.language == "en-GB"
    ferry, library, note = feed.articles
    assert ferry.author == "Jana Novak, Olu Adeyemi"
    assert ferry.language == "en-GB"
    assert ferry.published == datetime(2024, 2, 1, 7, 30, tzinfo=UTC)
    assert ferry.text == (
        "The harbour ferry is back in service after six weeks of repairs.\n\n"
        "Timetables are unchanged."
    )
    assert library.language == "fr"
    assert library.author == "Élodie Marchand"
    assert library.link == "https://example-news.test/2024/02/02/nouvelle-bibliotheque/"
    assert library.text.startswith("La nouvelle bibliothèque du quartier ouvre samedi.\n\n")
    assert note.link == "https://elsewhere.example.test/story"
    assert note.author == "Example News Desk"  # inherited from the feed
    assert note.published is None
    assert note.title.startswith("Short note without a title")
    assert note.guid == "urn:example-news:2024:0003"


def test_json_feed_with_utf8_bom() -> None:
    feed = parse_feed(b"\xef\xbb\xbf" + load(JSON11), "https://example-news.test/feed.json")
    assert len(feed.articles) == 3


# --- character encodings ---------------------------------------------------------------------


def test_iso_8859_1_rdf_decodes_german_text() -> None:
    feed = parse(LAUT)
    titles = [a.title for a in feed.articles]
    assert "Michael Jackson: Video der letzten Probe veröffentlicht" in titles
    assert any("Überlaufen" in a.text for a in feed.articles)


def test_windows_1251_rss_decodes_cyrillic() -> None:
    feed = parse(IBASH)
    assert feed.language == "ru"
    first = feed.articles[0]
    assert first.title == "Цитата #17703"
    assert "жаба программер" in first.text
    assert first.text.count("\n\n") == 3  # <br /> between the lines of the quote


def test_undeclared_iso_8859_1_rss_decodes_french_accents() -> None:
    feed = parse(CERCLE_PSY)
    first = feed.articles[0]
    assert first.title == "Perturbateurs endocriniens : quels effets sur le cerveau ?"
    assert "nombre d'études montrent" in first.text
    assert "être à l'origine" in first.text


# --- languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "language"),
    [
        (PAPPACODA, "it"),  # Atom xml:lang on <feed>, inherited by every entry
        (LAUT, "de"),  # dc:language on every RDF item
        (IBASH, "ru"),  # RSS <language>
        (MACWORLD, "en-us"),
    ],
)
def test_declared_languages_reach_every_item(name: str, language: str) -> None:
    assert {article.language for article in parse(name).articles} == {language}


@pytest.mark.parametrize(
    ("name", "language", "at_least"),
    [
        (HEISE_DEVELOPER, "de", 15),  # German Atom feed that declares no language: all 15
        (CERCLE_PSY, "fr", 9),  # French RSS without <language>: 9 of 10 (one is too short)
        (UOL, "pt", 10),  # Brazilian RSS with an empty <language>: 10 of 15
    ],
)
def test_undeclared_languages_are_detected_never_guessed_wrong(
    name: str, language: str, at_least: int
) -> None:
    feed = parse(name)
    assert not feed.language
    detected = [article.language for article in feed.articles]
    assert set(detected) <= {language, None}
    assert detected.count(language) >= at_least
    # What stays unknown is what is too short to tell.
    for article in feed.articles:
        if article.language is None:
            assert len(f"{article.title} {article.text}") < 300


@pytest.mark.parametrize(
    "content_type",
    [None, "text/xml", "application/rss+xml", "text/html; charset=iso-8859-1", "text/plain"],
)
def test_declared_encoding_wins_over_http_headers(content_type: str | None) -> None:
    feed = parse_feed(load(IBASH), "http://ibash.org.ru/rss.xml", content_type)
    assert feed.articles[0].title == "Цитата #17703"
    feed = parse_feed(load(TECHCRUNCH), "https://techcrunch.com/feed/", content_type)
    assert feed.articles[0].title.startswith("Angie’s List")


def test_http_charset_is_used_when_the_document_declares_none() -> None:
    document = (
        "<rss version='2.0'><channel><title>Новости</title><link>https://a.test/</link>"
        "<item><title>Привет, мир</title><link>https://a.test/1</link></item></channel></rss>"
    ).encode("windows-1251")
    feed = parse_feed(document, "https://a.test/rss", "application/rss+xml; charset=windows-1251")
    assert feed.title == "Новости"
    assert feed.articles[0].title == "Привет, мир"


def test_utf8_without_declaration_or_header_is_utf8() -> None:
    document = (
        "<rss version='2.0'><channel><title>Café Feed</title><link>https://a.test/</link>"
        "<item><title>Crème brûlée</title><link>https://a.test/1</link></item></channel></rss>"
    ).encode()
    feed = parse_feed(document, "https://a.test/rss")
    assert feed.title == "Café Feed"
    assert feed.articles[0].title == "Crème brûlée"


# --- not feeds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "reason"),
    [
        (TRUNCATED_JSON, "application/feed+json", "invalid or cut off"),
        (RSS_IN_JSON, "application/json", "not a JSON Feed"),
        (HTML_PAGE, "text/html; charset=utf-8", "HTML web page"),
        (HTML_PAGE, None, "HTML web page"),
    ],
)
def test_documents_that_are_not_feeds_are_rejected(
    name: str, content_type: str | None, reason: str
) -> None:
    with pytest.raises(FeedParseError, match=r"^not a feed: ") as info:
        parse_feed(load(name), "https://example.test/x", content_type)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"Just some words, not a document.",
        b'{"title": "a JSON object without a version"}',
        b'{"version": "https://example.test/version/2", "items": []}',
        b"[1, 2, 3]",
        b'<?xml version="1.0"?><urlset><url><loc>https://a.test/</loc></url></urlset>',
        b"\x00\x01\x02\xff\xfe binary",
    ],
)
def test_other_non_feeds_are_rejected(content: bytes) -> None:
    with pytest.raises(FeedParseError, match=r"^not a feed: "):
        parse_feed(content, "https://example.test/x")


def test_json_feed_is_recognised_by_its_version_not_by_its_shape() -> None:
    document = json.loads(load(JSON11))
    document["version"] = "https://jsonfeed.org/version/1"
    feed = parse_feed(json.dumps(document).encode(), "https://example-news.test/feed.json")
    assert feed.format == "json1.0"


# --- limits and edge cases -------------------------------------------------------------------


def test_max_items_keeps_the_first_items_in_document_order() -> None:
    full = parse(HEISE)
    capped = parse(HEISE, max_items=10)
    assert len(capped.articles) == 10
    assert capped.articles == full.articles[:10]
    assert len(parse(DARING_JSON, max_items=5).articles) == 5


def test_default_cap_is_200_items() -> None:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://a.test/{i}</link></item>" for i in range(250)
    )
    document = f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode()
    feed = parse_feed(document, "https://a.test/rss")
    assert len(feed.articles) == 200
    assert feed.articles[0].title == "Item 0"
    assert feed.articles[-1].title == "Item 199"


def test_empty_but_valid_feed_has_no_articles() -> None:
    document = b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>"
    feed = parse_feed(document, "https://quiet.example.test/rss")
    assert feed.format == "rss20"
    assert feed.articles == []
    assert feed.title == "Quiet"


def test_feed_without_title_is_named_after_its_site() -> None:
    document = (
        b"<rss version='2.0'><channel><link>https://www.site.example.test/</link></channel></rss>"
    )
    assert parse_feed(document, "https://site.example.test/rss").title == "site.example.test"


def test_guid_is_never_invented_from_the_link() -> None:
    document = (
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>No guid</title><link>https://a.test/1</link></item>"
        b"<item><title>Blank guid</title><link>https://a.test/2</link><guid> </guid></item>"
        b"<item><title>Opaque</title><link>https://a.test/3</link>"
        b"<guid isPermaLink='false'>abc-3</guid></item>"
        b"</channel></rss>"
    )
    articles = parse_feed(document, "https://a.test/rss").articles
    assert [a.guid for a in articles] == [None, None, "abc-3"]
    assert [a.link for a in articles] == [
        "https://a.test/1",
        "https://a.test/2",
        "https://a.test/3",
    ]


def test_permalink_guid_serves_as_link_when_there_is_no_link() -> None:
    document = (
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>Only guid</title><guid>https://a.test/story/9</guid></item>"
        b"</channel></rss>"
    )
    article = parse_feed(document, "https://a.test/rss").articles[0]
    assert article.guid == "https://a.test/story/9"
    assert article.link == "https://a.test/story/9"


def test_links_that_are_not_http_are_dropped() -> None:
    document = (
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>Script</title><link>javascript:alert(1)</link></item>"
        b"<item><title>Relative</title><link>/news/1</link></item>"
        b"</channel></rss>"
    )
    articles = parse_feed(document, "https://a.test/feeds/rss").articles
    assert articles[0].link is None
    assert articles[1].link == "https://a.test/news/1"


def test_external_entities_are_not_expanded() -> None:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>A&xxe;B</title><link>https://a.test/1</link></item></channel></rss>"
    )
    article = parse_feed(document, "https://a.test/rss").articles[0]
    assert article.title in ("AB", "A&xxe;B")


# --- DTD declarations: entity expansion --------------------------------------------------------

XML_FEED_FILES = [name for name in FEED_FILES if name.endswith(".xml")]
BOMB_ITEMS = "<item><title>x</title><description>{refs}</description></item>"


def bomb(*, value_size: int, references: int, one_line: bool = False, declaration: str = "") -> str:
    """An RSS feed whose DTD defines one big entity and whose item references it many times."""
    newline = "" if one_line else "\n"
    return (
        f'<?xml version="1.0"{declaration}?>{newline}'
        f'<!DOCTYPE rss [{newline}<!ENTITY a "{"A" * value_size}">{newline}]>{newline}'
        '<rss version="2.0"><channel><title>Bomb</title>'
        + BOMB_ITEMS.format(refs="&a;" * references)
        + "</channel></rss>"
    )


# Runs in a child process so that its peak memory is its own: resource's ru_maxrss is a
# high-water mark. The child warms up first (lazily loaded models, parser modules), refuses
# to grow by more than a gigabyte (so a regression fails with a MemoryError, which
# parse_feed reports as a FeedParseError, instead of swapping), then reports how much the
# peak grew while parsing the document read from stdin.
BOMB_CHILD = """
import json, resource, sys
from bot.news.parse import FeedParseError, parse_feed

if sys.platform.startswith("linux"):
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + 2**30, resource.RLIM_INFINITY))
words = "The council met on Tuesday to discuss the new tram line and its budget. " * 40
warm_up = f"<rss version='2.0'><channel><title>w</title><item><title>w</title>"
warm_up += f"<description>{words}</description></item></channel></rss>"
parse_feed(warm_up.encode(), "https://example.test/warm-up.xml")
document = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    feed = parse_feed(document, "https://example.test/bomb.xml")
    outcome = {
        "format": feed.format,
        "longest_text": max((len(a.text) for a in feed.articles), default=0),
        "expanded": any("A" * 1000 in a.text for a in feed.articles),
    }
except FeedParseError as exc:
    outcome = {"error": str(exc), "cause": type(exc.__cause__).__name__}
outcome["peak_growth"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(outcome))
"""
PEAK_GROWTH_LIMIT = 150 * 2**20  # bytes


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is Unix-only")
@pytest.mark.parametrize(
    "document",
    [
        # 100 kB entity x 10,000 references: ~130 kB on the wire, 1 GB of text expanded.
        pytest.param(
            bomb(value_size=100_000, references=10_000).encode(), id="declaration-per-line"
        ),
        pytest.param(
            bomb(value_size=100_000, references=10_000, one_line=True).encode(), id="one-line"
        ),
        pytest.param(
            bomb(value_size=100_000, references=10_000, declaration=' encoding="UTF-16"').encode(
                "utf-16"
            ),
            id="utf-16",
        ),
    ],
)
def test_entity_bomb_is_parsed_in_bounded_memory(document: bytes) -> None:
    child = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD],
        input=document,
        capture_output=True,
        cwd=REPO,
        timeout=300,  # a guard against a hang, not a measurement
        check=False,
    )
    assert child.returncode == 0, child.stderr.decode(errors="replace")[-2000:]
    outcome = json.loads(child.stdout)
    per_kib = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    assert outcome["peak_growth"] * per_kib < PEAK_GROWTH_LIMIT, outcome
    if "error" in outcome:
        assert outcome["cause"] != "MemoryError", "parsing used up a whole gigabyte"
        assert outcome["error"].startswith("not a feed: ")
    else:
        assert outcome["format"] == "rss20"
        assert not outcome["expanded"]
        assert outcome["longest_text"] <= MAX_ITEM_TEXT_CHARS


@pytest.mark.parametrize(
    ("encoding", "declaration"),
    [
        ("utf-16", ' encoding="UTF-16"'),  # with a byte order mark
        ("utf-16-le", ' encoding="UTF-16"'),  # recognised by how "<?" is encoded
        ("utf-16-be", ' encoding="UTF-16"'),
        ("utf-32", ' encoding="UTF-32"'),
        ("utf-16", ""),  # no declaration at all: only the byte order mark tells
        ("utf-32-be", ""),
    ],
)
def test_utf16_and_utf32_bombs_are_defused(encoding: str, declaration: str) -> None:
    document = bomb(value_size=10_000, references=100, declaration=declaration)
    feed = parse_feed(document.encode(encoding), "https://example.test/bomb.xml")
    assert feed.title == "Bomb"
    [article] = feed.articles
    assert "AAAA" not in article.text


def test_utf16_feed_is_read_as_its_text() -> None:
    document = (
        "<?xml version='1.0' encoding='utf-16'?><rss version='2.0'><channel><title>Café</title>"
        "<item><title>Crème brûlée</title><link>https://a.test/1</link></item></channel></rss>"
    )
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        feed = parse_feed(document.encode(encoding), "https://a.test/rss")
        assert feed.title == "Café"
        assert feed.articles[0].title == "Crème brûlée"


def test_billion_laughs_is_not_expanded() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    document = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
        "<rss version='2.0'><channel><title>Laughs</title>"
        "<item><title>x</title><description>&lol9;</description></item></channel></rss>"
    )
    feed = parse_feed(document.encode(), "https://example.test/lol.xml")
    assert feed.title == "Laughs"
    assert "lollol" not in feed.articles[0].text


def _after_root(document: bytes) -> bytes:
    return document[document.index(b"<rss") :]


@pytest.mark.parametrize(
    "subset",
    [
        pytest.param('<!ENTITY a "AAAA">', id="plain"),
        pytest.param('<!ENTITY a "]>AAAA">', id="bracket-in-double-quotes"),
        pytest.param('<!ENTITY a \'x"]>y\'><!ENTITY b "AAAA">', id="quotes-in-quotes"),
        pytest.param('<!-- it\'s "not" the end ]> --><!ENTITY a "AAAA">', id="comment-with-quotes"),
        pytest.param('<?note ]> "?><!ENTITY a "AAAA">', id="processing-instruction"),
        pytest.param(
            '<!ATTLIST item x CDATA "]>"><!ENTITY % p "x"> %p; <!ENTITY a "AAAA">',
            id="attlist-and-parameter-entity",
        ),
    ],
)
def test_internal_subset_is_removed_and_the_doctype_kept(subset: str) -> None:
    document = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [{subset}]>\n'
        "<rss version='2.0'><channel><title>Kept</title>"
        "<item><title>x &a;</title><link>https://a.test/1</link></item></channel></rss>"
    ).encode()
    neutral = neutralise_internal_subsets(document)
    assert b"<!DOCTYPE rss>\n<rss" in neutral
    assert b"ENTITY" not in neutral
    assert _after_root(neutral) == _after_root(document)
    feed = parse_feed(document, "https://a.test/rss")
    assert feed.title == "Kept"
    assert "AAAA" not in feed.articles[0].title


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param(b"", id="plain"),
        pytest.param(b"\xef\xbb\xbf", id="bom"),
        pytest.param(b"\n\n  \t", id="leading-whitespace"),
        pytest.param(b"\xef\xbb\xbf\r\n ", id="bom-and-whitespace"),
    ],
)
@pytest.mark.parametrize("keyword", [b"DOCTYPE", b"doctype", b"DocType"])
def test_doctype_is_found_in_any_case_after_a_bom_or_whitespace(
    prefix: bytes, keyword: bytes
) -> None:
    document = (
        prefix + b'<?xml version="1.0"?>\n<!' + keyword + b' rss [\n<!ENTITY a "AAAA">\n]>\n'
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>x</title><description>&a;&a;</description></item></channel></rss>"
    )
    neutral = neutralise_internal_subsets(document)
    assert b"ENTITY" not in neutral
    assert b"<!" + keyword + b" rss>" in neutral
    feed = parse_feed(document, "https://a.test/rss")
    assert feed.title == "T"
    assert "AAAA" not in feed.articles[0].text


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param('<!DOCTYPE rss [\n<!ENTITY a "AAAA', id="unterminated-quote"),
        pytest.param('<!DOCTYPE rss [\n<!ENTITY a "AAAA">\n', id="unterminated-subset"),
        pytest.param('<!DOCTYPE rss [\n<!-- AAAA <!ENTITY a "AAAA">', id="unterminated-comment"),
        pytest.param('<!DOCTYPE rss SYSTEM "x.dtd [<!ENTITY a "AAAA">]>', id="unbalanced-id"),
    ],
)
def test_a_doctype_that_never_ends_goes_with_everything_up_to_the_root(broken: str) -> None:
    document = (
        f'<?xml version="1.0"?>\n{broken}\n'
        "<rss version='2.0'><channel><title>Broken DTD</title>"
        "<item><title>x</title><description>One &a; two.</description></item></channel></rss>"
    ).encode()
    neutral = neutralise_internal_subsets(document)
    assert b"DOCTYPE" not in neutral
    assert b"ENTITY" not in neutral
    assert _after_root(neutral) == _after_root(document)
    feed = parse_feed(document, "https://a.test/rss")
    assert feed.title == "Broken DTD"
    assert "AAAA" not in feed.articles[0].text


@pytest.mark.parametrize(
    "prolog",
    [
        pytest.param('<!--\n<!ENTITY a "AAAA">\n-->\n<!DOCTYPE rss>', id="in-a-comment"),
        pytest.param('<?note\n<!ENTITY a "AAAA">\n?>\n<!DOCTYPE rss>', id="in-a-pi"),
        pytest.param('<!ENTITY a "AAAA">\n<!DOCTYPE rss>', id="outside-the-doctype"),
        pytest.param("<!DOCTYPE rss SYSTEM '\n<!ENTITY a \"AAAA\">\n'>", id="in-a-system-id"),
    ],
)
def test_declarations_hidden_elsewhere_in_the_prolog_are_dropped(prolog: str) -> None:
    document = (
        f'<?xml version="1.0"?>\n{prolog}\n'
        "<rss version='2.0'><channel><title>Hidden</title>"
        "<item><title>x</title><description>&a;&a;&a;</description></item></channel></rss>"
    ).encode()
    assert b"ENTITY" not in neutralise_internal_subsets(document)
    feed = parse_feed(document, "https://a.test/rss")
    assert feed.title == "Hidden"
    assert "AAAA" not in feed.articles[0].text


@pytest.mark.parametrize("name", XML_FEED_FILES)
def test_feeds_without_an_internal_subset_are_untouched(name: str) -> None:
    document = load(name)
    assert neutralise_internal_subsets(document) == document
    assert neutralise_internal_subsets(document, "text/xml; charset=iso-8859-1") == document


def test_rss091_public_doctype_survives_an_internal_subset() -> None:
    original = load(RSS091).replace(b"&#233;", b"&eacute;")  # an HTML entity, as in 1999
    with_subset = original.replace(
        b'rss-0.91.dtd">', b'rss-0.91.dtd" [\n<!ENTITY eacute "&#233;">\n<!ENTITY x "AAAA">\n]>'
    )
    assert with_subset != original
    neutral = neutralise_internal_subsets(with_subset)
    assert b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"' in neutral
    assert b"ENTITY" not in neutral
    for document in (original, with_subset):
        feed = parse_feed(document, "https://example-news.test/gazette/rss")
        assert feed.format == "rss091n"
        assert [a.title for a in feed.articles] == [
            "Café on Mill Street wins local award",
            "School choir to tour in spring",
        ]
        assert feed.articles[0].text == (
            "The Mill Street café was named the town's best small business."
        )


# --- caps on one item ----------------------------------------------------------------------------


def test_item_text_and_titles_are_capped_at_a_break() -> None:
    paragraph = "This sentence is one of many in a very long article body. " * 20
    body = "".join(f"<p>{n}. {paragraph}</p>" for n in range(400))  # ~480,000 characters
    title = "word " * 2_000
    document = (
        f"<rss version='2.0'><channel><title>{title}</title>"
        f"<item><title>{title}</title><link>https://a.test/1</link>"
        f"<description><![CDATA[{body}]]></description>"
        f"<author>{title}</author></item></channel></rss>"
    ).encode()
    feed = parse_feed(document, "https://a.test/rss")
    [article] = feed.articles
    assert MAX_ITEM_TEXT_CHARS // 2 < len(article.text) <= MAX_ITEM_TEXT_CHARS
    assert article.text.endswith(".…")  # cut after a whole paragraph
    assert article.text.removesuffix("…").rsplit("\n\n", 1)[-1].endswith(paragraph.strip())
    for capped in (article.title, feed.title, article.author):
        assert capped is not None
        assert MAX_TITLE_CHARS // 2 < len(capped) <= MAX_TITLE_CHARS
        assert capped.endswith("word…")  # cut between words


def test_json_feed_items_are_capped() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Long",
        "items": [
            {
                "id": "1",
                "url": "https://a.test/1",
                "title": "T" * 5_000,
                "content_text": "word " * 100_000,
            }
        ],
    }
    [article] = parse_feed(json.dumps(document).encode(), "https://a.test/feed.json").articles
    assert len(article.text) <= MAX_ITEM_TEXT_CHARS
    assert article.text.endswith("word…")
    assert len(article.title) == MAX_TITLE_CHARS  # no space to cut at: cut mid-word
    assert article.title.endswith("T…")


# --- item links ----------------------------------------------------------------------------------

FEED_URL = "https://a.test/feed.xml"
FEEDBURNER_NS = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'


def test_atom_entry_links_never_point_at_the_feed_itself() -> None:
    document = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        b'<entry><title>empty href, tag id</title><link href=""/><id>tag:a.test,2024:1</id></entry>'
        b'<entry><title>empty href, URL id</title><link rel="alternate" href=""/>'
        b"<id>https://a.test/posts/2</id></entry>"
        b"<entry><title>no link, URL id</title><id>https://a.test/posts/3</id></entry>"
        b'<entry><title>relative link to the feed</title><link href="feed.xml"/>'
        b"<id>urn:uuid:4</id></entry>"
        b'<entry><title>real link</title><link href="/posts/5"/><id>https://a.test/p?5</id></entry>'
        b"</feed>"
    )
    articles = parse_feed(document, FEED_URL).articles
    assert [a.link for a in articles] == [
        None,
        "https://a.test/posts/2",
        "https://a.test/posts/3",
        None,
        "https://a.test/posts/5",
    ]


def test_rss_item_links_fall_back_to_an_absolute_guid_only() -> None:
    document = (
        "<rss version='2.0'><channel><title>R</title>"
        "<item><title>empty</title><link></link></item>"
        "<item><title>opaque URL guid</title><link></link>"
        "<guid isPermaLink='false'>https://a.test/p/2</guid></item>"
        "<item><title>opaque guid</title><guid isPermaLink='false'>urn:x:3</guid></item>"
        "<item><title>relative guid</title><guid isPermaLink='false'>/p/4</guid></item>"
        f"<item><title>the feed</title><link>{FEED_URL}</link>"
        "<guid isPermaLink='false'>https://a.test/p/5</guid></item>"
        "</channel></rss>"
    ).encode()
    articles = parse_feed(document, FEED_URL).articles
    assert [a.link for a in articles] == [
        None,
        "https://a.test/p/2",
        None,
        None,
        "https://a.test/p/5",
    ]


def test_json_feed_item_links_fall_back_to_an_absolute_id_only() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "https://a.test/p/1", "url": "", "content_text": "a"},
            {"id": "https://a.test/p/2", "url": FEED_URL, "content_text": "b"},
            {"id": "https://a.test/p/3", "url": "feed.xml", "content_text": "c"},
            {"id": 4, "content_text": "d"},
            {"id": "urn:x:5", "content_text": "e"},
            {"id": "/p/6", "content_text": "f"},
            {"id": "7", "external_url": "https://elsewhere.test/7", "content_text": "g"},
        ],
    }
    articles = parse_feed(json.dumps(document).encode(), FEED_URL).articles
    assert [a.link for a in articles] == [
        "https://a.test/p/1",
        "https://a.test/p/2",
        "https://a.test/p/3",
        None,
        None,
        None,
        "https://elsewhere.test/7",
    ]


def test_feedburner_original_links_replace_redirector_links() -> None:
    def item(link: str, original: str | None) -> str:
        orig = f"<feedburner:origLink>{original}</feedburner:origLink>" if original else ""
        return f"<item><title>t</title><link>{link}</link>{orig}</item>"

    document = (
        f"<rss version='2.0' {FEEDBURNER_NS}><channel><title>F</title>"
        + item("http://feedproxy.google.com/~r/site/~3/abc/", "https://site.test/story-1")
        + item("https://feeds.feedburner.com/~r/site/~3/def/", "https://site.test/story-2")
        + item("https://site.test/own-link", "https://site.test/story-3")
        + item("https://feeds.feedburner.com/~r/site/~3/ghi/", None)
        + item("", "https://site.test/story-5")
        + "</channel></rss>"
    ).encode()
    articles = parse_feed(document, "https://feeds.feedburner.com/site").articles
    assert [a.link for a in articles] == [
        "https://site.test/story-1",
        "https://site.test/story-2",
        "https://site.test/own-link",  # not a redirector: the feed's own link stands
        "https://feeds.feedburner.com/~r/site/~3/ghi/",  # nothing better is known
        "https://site.test/story-5",
    ]


def test_techcrunch_links_are_the_original_articles() -> None:
    feed = parse(TECHCRUNCH, "http://feeds.feedburner.com/TechCrunch")
    assert len(feed.articles) == 20
    for article in feed.articles:
        assert article.link is not None
        assert article.link.startswith("http://techcrunch.com/2011/11/"), article.link
