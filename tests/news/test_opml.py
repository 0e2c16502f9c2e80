"""OPML: real exports parse, hostile documents are refused, exports round-trip titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.news.opml import MAX_OUTLINES, OPMLError, OPMLFeed, build_opml, parse_opml
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed
from tests.support.opml import OPML_DIR, localised

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://a.example/feed"/></body></opml>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/feed"/></body></opml>
"""


def test_real_reader_export_with_folders() -> None:
    feeds = parse_opml((OPML_DIR / "opml_netnewswire_subs_207-feeds.opml").read_bytes())
    assert len(feeds) >= 200
    assert feeds[0] == OPMLFeed(
        url="http://daringfireball.net/feeds/main",
        title="Daring Fireball",
        html_url="http://daringfireball.net/",
        category=None,
    )
    assert any(feed.title == "chat & code" for feed in feeds)
    assert {feed.category for feed in feeds} >= {"Programming", "Writers"}


def test_raw_ampersands_from_a_real_exporter_are_repaired() -> None:
    content = (OPML_DIR / "opml_awesome-rss_news_unescaped-ampersand.opml").read_bytes()
    feeds = parse_opml(content)
    assert len(feeds) == 11
    assert any("&" in (feed.title or "") for feed in feeds)


def test_unescaped_quotes_inside_attributes_are_repaired() -> None:
    """A real export writes text="Газета "Коммерсантъ". Главное": every feed is still read."""
    content = (OPML_DIR / "opml_awesome-rss_russia_unescaped-quotes_cyrillic.opml").read_bytes()
    feeds = parse_opml(content)
    assert len(feeds) == 13
    assert 'Газета "Коммерсантъ". Главное' in [feed.title for feed in feeds]
    assert "https://www.kommersant.ru/RSS/main.xml" in [feed.url for feed in feeds]


def test_a_broken_document_that_no_repair_fixes_is_a_clear_error() -> None:
    with pytest.raises(OPMLError, match="not well-formed XML"):
        parse_opml(b'<opml version="2.0"><body><outline xmlUrl="https://a.example/f"></body>')


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_tricks_are_refused(document: bytes) -> None:
    with pytest.raises(OPMLError, match="refused"):
        parse_opml(document)


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        (b"<rss><channel/></rss>", "not OPML"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"not xml at all", "not well-formed"),
    ],
)
def test_other_bad_documents(document: bytes, complaint: str) -> None:
    with pytest.raises(OPMLError, match=complaint):
        parse_opml(document)


def test_too_many_outlines_are_refused() -> None:
    outlines = "".join(
        f'<outline text="f{n}" xmlUrl="https://a.example/{n}"/>' for n in range(MAX_OUTLINES + 1)
    )
    with pytest.raises(OPMLError, match="at most 500"):
        parse_opml(f"<opml><body>{outlines}</body></opml>".encode())


def test_export_round_trips_titles_and_special_characters() -> None:
    feeds = [
        OPMLFeed("https://a.example/feed?x=1&y=2", 'Fish & "Chips" <daily>', "https://a.example/"),
        OPMLFeed("https://b.example/rss", None),
    ]
    document = build_opml(feeds, title="t")
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b'version="2.0"' in document
    parsed = parse_opml(document)
    assert parsed[0] == feeds[0]
    assert parsed[1].url == "https://b.example/rss"
    assert parsed[1].title is None  # the text attribute only repeats the URL


async def test_import_and_export_through_the_console(
    console_bot: ConsoleBot, feed_server: FeedServer, tmp_path: Path
) -> None:
    good = feed_server.serve("/good.xml", rss_feed([], title="Good Feed"))
    other = feed_server.serve("/other.xml", rss_feed([], title="Other Feed"))
    broken = f"{feed_server.base_url}/missing.xml"
    await console_bot.say(f"/subscribe {other}")
    opml = build_opml(
        [
            OPMLFeed(good, "My name for Good"),
            OPMLFeed(other, "Other"),
            OPMLFeed(broken, "Broken"),
            OPMLFeed("ftp://files.example/feed", "Wrong scheme"),
        ],
        title="mine",
    )
    upload = tmp_path / "mine.opml"
    upload.write_bytes(opml)
    out = await console_bot.say(f"/import {upload}")
    assert "Imported mine.opml: 1 added, 1 already present, 2 failed." in out
    assert "+ added: My name for Good" in out
    assert "= already present: Other" in out
    assert "✗ HTTP 404 Not Found (1): Broken" in out
    assert "✗ not a valid feed address (1): Wrong scheme" in out
    listing = await console_bot.say("/list")
    assert "2. My name for Good" in listing
    exported = await console_bot.say("/export")
    assert "2 subscriptions exported as OPML." in exported
    feeds = parse_opml((tmp_path / "subscriptions.opml").read_bytes())
    assert [(f.url, f.title) for f in feeds] == [(other, "Other Feed"), (good, "My name for Good")]


async def test_import_without_a_file_or_with_a_bad_one(
    console_bot: ConsoleBot, tmp_path: Path
) -> None:
    assert "/import needs an OPML file (.opml or .xml): give the file's path" in (
        await console_bot.say("/import")
    )
    hostile = tmp_path / "evil.opml"
    hostile.write_bytes(BILLION_LAUGHS)
    out = await console_bot.say(f"/import {hostile}")
    assert out.startswith("Error: Could not import evil.opml: refused")
    assert "No subscriptions yet" in await console_bot.say("/list")
    assert "no subscriptions to export" in await console_bot.say("/export")


# -- nesting, odd encodings, hostile files ------------------------------------------------


def test_nested_windows_1251_export() -> None:
    feeds = parse_opml((OPML_DIR / "derived_russia_windows-1251_nested.opml").read_bytes())
    assert len(feeds) == 13
    assert feeds[0] == OPMLFeed(
        url="https://lenta.ru/rss", title="Lenta.ru : Новости", category="Россия/На русском"
    )
    assert any(feed.title == 'Газета "Коммерсантъ". Главное' for feed in feeds)
    assert {feed.category for feed in feeds} == {"Россия/На русском", "Россия/In English"}


def test_multi_byte_encoding_and_a_blank_line_before_the_declaration() -> None:
    content = (OPML_DIR / "handmade_chinese_gb2312_leading-blank-line.opml").read_bytes()
    assert content.startswith(b"\r\n<?xml")
    feeds = parse_opml(content)
    assert [(feed.title, feed.category) for feed in feeds] == [
        ("BBC 中文网", "新闻/国际"),
        ("德国之声 中文", "新闻/国际"),  # a lower-case xmlurl attribute
        ("少数派", "新闻/科技"),
        (None, None),  # its text only repeated the URL
    ]
    assert feeds[0].html_url == "https://www.bbc.com/zhongwen/simp"


@pytest.mark.parametrize(
    "name", ["billion-laughs", "external-entity", "external-dtd", "parameter-entity"]
)
def test_hostile_fixture_files_are_refused(name: str) -> None:
    with pytest.raises(OPMLError, match=r"^refused: the file declares XML entities or a DTD"):
        parse_opml((OPML_DIR / "hostile" / f"{name}.opml").read_bytes())


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        (
            b'<?xml version="1.0" encoding="klingon"?><opml><body/></opml>',
            "unknown character encoding 'klingon'",
        ),
        (
            b'<?xml version="1.0" encoding="rot13"?><opml><body/></opml>',
            "unknown character encoding 'rot13'",
        ),
        (
            b'<?xml version="1.0" encoding="hex"?><opml><body/></opml>',
            "unknown character encoding 'hex'",
        ),
        (
            '<?xml version="1.0" encoding="shift_jis"?><opml><body>'
            '<outline text="中文新闻" xmlUrl="https://a.example/f"/></body></opml>'.encode(),
            "says it is shift_jis but byte",
        ),
    ],
)
def test_encoding_problems_are_clear_errors(document: bytes, complaint: str) -> None:
    with pytest.raises(OPMLError, match=complaint):
        parse_opml(document)


def test_bom_and_utf16_documents_parse() -> None:
    document = build_opml([OPMLFeed("https://a.example/f", "Ärger & Über")], title="t")
    assert parse_opml(b"\xef\xbb\xbf\n" + document)[0].title == "Ärger & Über"
    utf16 = document.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse_opml(utf16)[0].title == "Ärger & Über"


async def test_importing_a_nested_windows_1251_file_round_trips_its_titles(
    console_bot: ConsoleBot, feed_server: FeedServer, tmp_path: Path
) -> None:
    original = (OPML_DIR / "derived_russia_windows-1251_nested.opml").read_bytes()
    upload = tmp_path / "russia.opml"
    upload.write_bytes(localised(original, feed_server))
    out = await console_bot.say(f"/import {upload}")
    assert "Imported russia.opml: 13 added, 0 already present, 0 failed." in out
    assert "+ added: Lenta.ru : Новости," in out
    assert "… and 5 more" in out  # thirteen names would not make a readable line
    await console_bot.say("/export")
    exported = parse_opml((tmp_path / "subscriptions.opml").read_bytes())
    assert [feed.title for feed in exported] == [feed.title for feed in parse_opml(original)]
