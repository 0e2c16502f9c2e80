"""Feed bytes → ParsedFeed on real-world documents (tests/fixtures/feeds, see PROVENANCE.md)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import ParsedFeed
from bot.news.parse import FeedParseError, parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"

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
    assert first.link == "http://feedproxy.google.com/~r/Techcrunch/~3/kTeeGj4FnwU/"
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
