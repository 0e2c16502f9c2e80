"""A story's lead picture: which one a feed item offers, and which addresses are refused.

Real-world feeds from tests/fixtures/feeds (see PROVENANCE.md) and article pages from
tests/fixtures/pages, plus small handmade documents for the rules and hostile values.
"""

from __future__ import annotations

import json

import pytest

from bot.news.fetch import FetchResult
from bot.news.fulltext import page_lead_image
from bot.news.images import MAX_IMAGE_URL_CHARS, html_image, image_url, page_image
from bot.news.parse import parse_feed
from tests.support import FIXTURES

FEEDS = FIXTURES / "feeds"
PAGES = FIXTURES / "pages"
FEED_URL = "https://news.example.com/feed.xml"


def _parsed(name: str) -> list[tuple[str, str | None]]:
    feed = parse_feed((FEEDS / name).read_bytes(), FEED_URL)
    return [(article.title, article.image) for article in feed.articles]


def _rss(item_xml: str, link: str = "https://news.example.com/2024/story.html") -> str | None:
    document = f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>T</title><link>https://news.example.com/</link>
<item><title>Story</title><link>{link}</link>{item_xml}</item>
</channel></rss>"""
    return parse_feed(document.encode(), FEED_URL).articles[0].image


def _json_item(**fields: object) -> str | None:
    item = {"id": "1", "url": "https://news.example.com/a", "title": "A", **fields}
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [item]}
    return parse_feed(json.dumps(document).encode(), FEED_URL).articles[0].image


# --- real feeds -------------------------------------------------------------------------


def test_macworld_image_enclosures_are_the_pictures() -> None:
    items = _parsed("rss2_macworld_no-guid_enclosure-images.xml")
    assert items[0] == (
        "Best smart lock",
        "https://images.idgesg.net/images/article/2017/08/best-smart-locks-100730768-medium.jpg",
    )
    assert all(image and image.startswith("https://images.") for _, image in items)


def test_techcrunch_takes_the_media_image_not_the_authors_avatar_or_feed_ads() -> None:
    items = _parsed("rss2_techcrunch_content-encoded_blank-line-before-xml-decl.xml")
    assert (
        items[0][1] == "http://tctechcrunch2011.files.wordpress.com/2011/11/angies-list.jpeg?w=150"
    )
    images = [image for _, image in items]
    assert all(image for image in images)
    assert not any("gravatar" in image or "doubleclick" in image for image in images if image)


def test_tracking_pixels_are_never_a_picture() -> None:
    # Katie Floyd's items end in 1x1 feedpress.me pixels; only the posts with a real
    # picture in their HTML get one.
    items = _parsed("rss2_katie-floyd_future-dated-item.xml")
    images = [image for _, image in items if image]
    assert images, "the posts with photos keep them"
    assert not any("feedpress.me" in image for image in images)
    assert items[0][1] == (
        "http://static1.squarespace.com/static/50c628b3e4b07b56461546c5/t/"
        "57bcc05915d5db62fcd50f32/1471987830419/?format=1000w"
    )
    assert items[1][1] is None  # its only <img> is the pixel


def test_a_podcast_episode_shows_its_own_artwork() -> None:
    items = _parsed("podcast_welcome-to-night-vale_feedburner.xml")
    assert items[1] == (
        "234 - The Boy",
        "https://f.prxu.org/126/e650b67a-a572-4302-81f4-6223331fa429/images/"
        "9b91ed0e-9e8c-4e4c-93f1-d4fbe8014ad0/episodes60.jpg",
    )


def test_relative_picture_in_atom_html_resolves_against_xml_base() -> None:
    items = dict(_parsed("atom_pappacoda_xhtml_xml-base_italian.xml"))
    assert items["C su Windows"] == (
        "https://andrea.pappacoda.it/blog/c_su_windows/c_su_windows_visual_studio_componenti.png"
    )


def test_feeds_without_pictures_have_none() -> None:
    assert {image for _, image in _parsed("atom_daringfireball_xml-base.xml")} == {None}
    assert {image for _, image in _parsed("jsonfeed11_handmade_authors-language.json")} == {None}


# --- the order of candidates ------------------------------------------------------------


def test_widest_media_content_image_wins_over_thumbnail_and_enclosure() -> None:
    image = _rss(
        '<media:thumbnail url="https://img.example.com/thumb.jpg"/>'
        '<enclosure url="https://img.example.com/enc.jpg" type="image/jpeg" length="1"/>'
        '<media:group><media:content url="https://img.example.com/small.jpg" medium="image" '
        'width="300"/><media:content url="https://img.example.com/big.jpg" type="image/jpeg" '
        'width="1200"/><media:content url="https://img.example.com/clip.mp4" type="video/mp4" '
        'width="1920"/></media:group>'
    )
    assert image == "https://img.example.com/big.jpg"


def test_audio_media_content_falls_back_to_the_thumbnail_then_the_enclosure() -> None:
    audio = '<media:content url="https://cdn.example.com/ep.mp3" type="audio/mpeg"/>'
    assert (
        _rss(audio + '<media:thumbnail url="https://img.example.com/t.jpg"/>')
        == "https://img.example.com/t.jpg"
    )
    assert (
        _rss(audio + '<enclosure url="https://img.example.com/e.png" type="image/png" length="1"/>')
        == "https://img.example.com/e.png"
    )
    assert _rss('<enclosure url="https://cdn.example.com/ep.mp3" type="audio/mpeg"/>') is None


def test_an_img_in_the_html_is_the_last_resort() -> None:
    html = (
        "&lt;p&gt;&lt;img src='https://feeds.feedburner.com/~r/x/~4/abc' width='1' height='1'/&gt;"
        "&lt;img src='/pics/lead.jpg' alt='lead'/&gt;Text&lt;/p&gt;"
    )
    assert _rss(f"<description>{html}</description>") == "https://news.example.com/pics/lead.jpg"
    with_media = '<media:thumbnail url="https://img.example.com/t.jpg"/>'
    assert _rss(f"{with_media}<description>{html}</description>") == (
        "https://img.example.com/t.jpg"
    )


def test_relative_media_resolve_against_the_item_link() -> None:
    assert _rss('<media:thumbnail url="../img/a.jpg"/>') == "https://news.example.com/img/a.jpg"


def test_json_feed_image_then_banner_image() -> None:
    assert _json_item(image="/i.png", banner_image="https://b.example.com/b.png") == (
        "https://news.example.com/i.png"
    )
    assert _json_item(banner_image="https://b.example.com/b.png") == "https://b.example.com/b.png"
    assert _json_item(image="javascript:alert(1)", banner_image="https://b.example.com/b.png") == (
        "https://b.example.com/b.png"
    )
    assert _json_item(content_html='<p><img src="https://c.example.com/c.jpg"></p>') == (
        "https://c.example.com/c.jpg"
    )
    assert _json_item(image=["not", "a", "string"]) is None


# --- hostile and refused addresses ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "http://127.0.0.1/admin.png",
        "http://127.1/x.png",
        "http://2130706433/x.png",
        "http://0x7f.0.0.1/x.png",
        "http://10.0.0.5/x.png",
        "http://192.168.1.1/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x.png",
        "http://[::1]/x.png",
        "http://[::ffff:127.0.0.1]/x.png",
        "http://[fe80::1]/x.png",
        "http://localhost/x.png",
        "http://printer.localhost/x.png",
        "http://nas.local/x.png",
        "http://metadata.google.internal/x.png",
        "http://router.home.arpa/x.png",
        "http://intranet/x.png",
        "https://user:secret@img.example.com/x.png",
        "https://img.example.com/a\x00b.png",
        "https://img.example.com/a b.png",
        "https://img.example.com/" + "a" * MAX_IMAGE_URL_CHARS,
        "https://",
        "",
        "   ",
    ],
)
def test_refused_addresses(value: str) -> None:
    assert image_url(value, "https://news.example.com/a") is None
    assert _rss(f'<media:thumbnail url="{value.replace("&", "&amp;")}"/>') is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://img.example.com/a.jpg", "https://img.example.com/a.jpg"),
        ("//cdn.example.com/a.jpg", "https://cdn.example.com/a.jpg"),
        ("HTTPS://IMG.Example.COM/A.jpg#x", "https://img.example.com/A.jpg"),
        ("http://8.8.8.8/a.png", "http://8.8.8.8/a.png"),
        ("https://例え.jp/画像.png", "https://xn--r8jz45g.jp/%E7%94%BB%E5%83%8F.png"),
    ],
)
def test_usable_addresses(value: str, expected: str) -> None:
    assert image_url(value, "https://news.example.com/a") == expected


def test_a_refused_best_candidate_gives_way_to_the_next() -> None:
    image = _rss(
        '<media:content url="http://10.1.2.3/inside.jpg" medium="image" width="2000"/>'
        '<media:thumbnail url="https://img.example.com/ok.jpg"/>'
    )
    assert image == "https://img.example.com/ok.jpg"


def test_broken_html_never_raises() -> None:
    assert html_image("<img src='https://a.example.com/x.jpg' <<<<", "https://b.example.com/") in (
        None,
        "https://a.example.com/x.jpg",
    )
    assert (
        html_image("<img src=\"javascript:x\"><img src='data:,'>", "https://b.example.com/") is None
    )


# --- article pages ----------------------------------------------------------------------


def _page(name: str, url: str, content_type: str = "text/html; charset=utf-8") -> FetchResult:
    return FetchResult(
        url=url,
        status_code=200,
        content=(PAGES / name).read_bytes(),
        content_type=content_type,
        etag=None,
        last_modified=None,
        not_modified=False,
        headers={},
    )


def test_og_image_of_real_article_pages() -> None:
    bbc = _page("page_bbc_world-europe-50473792.html", "https://www.bbc.co.uk/news/x")
    assert page_lead_image(bbc) == "https://ichef.bbci.co.uk/images/ic/1024x576/p07b8nx5.jpg"
    reuters = _page("page_reuters_asian-shares-trade-doubts.html", "https://www.reuters.com/x")
    assert page_lead_image(reuters) == (
        "https://s3.reutersmedia.net/resources/r/?m=02&d=20191119&t=2&i=1454231854&w=1200"
        "&r=LYNXMPEFAI1SP"
    )
    # entermedia names its picture "og:image1", which is no Open Graph property.
    korean = _page("page_entermedia-co-kr_news.html", "http://entermedia.co.kr/news/x")
    assert page_lead_image(korean) is None


def test_page_image_rules() -> None:
    base = "https://site.example.com/2024/a.html"
    assert page_image('<meta property="og:image" content="/p.jpg">', base) == (
        "https://site.example.com/p.jpg"
    )
    assert (
        page_image(
            '<meta property="og:image" content="http://192.168.0.2/p.jpg">'
            '<meta name="twitter:image" content="https://cdn.example.com/t.jpg">',
            base,
        )
        == "https://cdn.example.com/t.jpg"
    )
    assert page_image("<html><head><title>x</title></head></html>", base) is None
    not_html = _page("page_bbc_world-europe-50473792.html", base, content_type="image/jpeg")
    assert page_lead_image(not_html) is None
    assert page_lead_image(None) is None
