"""What is around an article's text is not the article: boundaries, code, footers.

Summaries glued "…on Wednesday Former teams pay tribute…" and "…in April.Previously,
Modi…" into one sentence, summarised a PHP listing, and kept reddit's "submitted by /u/…
[link] [N comments]" in 18 of 22 summaries. Fixed by where the text is made
(bot.news.clean), by a per-feed rule for what every item repeats
(bot.news.feed_boilerplate), and checked here on realistic documents.
"""

from __future__ import annotations

import pytest

from bot.models import ParsedArticle
from bot.news.clean import html_to_text
from bot.news.feed_boilerplate import strip_feed_boilerplate
from bot.news.parse import parse_feed
from bot.news.summarise import split_sentences
from tests.support import FIXTURES
from tests.support.feeds import rss_feed


@pytest.mark.parametrize(
    ("html", "markup"),
    [
        ("<p>He died on Wednesday</p><p>Former teams pay tribute to him.</p>", True),
        ("<h2>He died on Wednesday</h2>Former teams pay tribute to him.", True),
        ("<ul><li>He died on Wednesday</li><li>Former teams pay tribute to him.</li></ul>", True),
        ("He died on Wednesday<br/>Former teams pay tribute to him.", True),
        ("He died on Wednesday\nFormer teams pay tribute to him.", False),
    ],
)
def test_block_and_line_boundaries_end_sentences(html: str, markup: bool) -> None:
    sentences = split_sentences(html_to_text(html, markup=markup))
    assert sentences == ["He died on Wednesday", "Former teams pay tribute to him."]


def test_sentences_of_touching_elements_are_kept_apart() -> None:
    text = html_to_text(
        "<span>The law passed in April.</span><span>Previously, Modi said so.</span>"
    )
    assert split_sentences(text) == ["The law passed in April.", "Previously, Modi said so."]
    # abbreviations and initials are not sentence ends
    assert html_to_text("<p>Mr. Smith met the U.S. team, e.g. Alice.</p>") == (
        "Mr. Smith met the U.S. team, e.g. Alice."
    )


def test_wrapped_plain_text_still_reads_as_one_paragraph() -> None:
    text = html_to_text(
        "The council approved the new tram line after a debate that went on\n"
        "until late at night, and the mayor welcomed the result.",
        markup=False,
    )
    assert "\n" not in text


def test_code_listings_are_not_prose_but_inline_code_is_part_of_its_sentence() -> None:
    html = (
        "<p>Upgrading is one line.</p>"
        "<pre><code>&lt;?php\n$db = new PDO($dsn);\nforeach ($rows as $row) {\n  echo $row;\n}\n"
        "</code></pre>"
        "<p>Set <code>max_workers = 4</code> to use every core.</p>"
        "<code>line one\nline two\nline three</code>"
    )
    text = html_to_text(html)
    assert "PDO" not in text
    assert "line two" not in text
    assert "Set max_workers = 4 to use every core." in text


MESSAGE = """Hi all,

the merge window is now closed. This release brings the new scheduler, faster
io_uring paths and a lot of driver work:

- the new scheduler is the default
- io_uring gained zero-copy receive

> Is the old scheduler still there?
It is, behind a boot option. Please test rc1 and report
regressions to the list before the end of the month.

Thanks,
Linus"""


def test_a_message_archived_in_pre_is_prose_and_keeps_its_paragraphs() -> None:
    """Mailing-list archives put each message in a <pre>: its text is the item's text."""
    text = html_to_text(f'<div><pre style="white-space:pre-wrap">{MESSAGE}</pre></div>')
    paragraphs = text.split("\n\n")
    assert (
        "the merge window is now closed. This release brings the new scheduler, faster "
        "io_uring paths and a lot of driver work:" in paragraphs
    )
    assert (
        "It is, behind a boot option. Please test rc1 and report regressions to the list "
        "before the end of the month." in paragraphs
    )


@pytest.mark.parametrize(
    "listing",
    [
        "int main(void) {\n    int fd = open(path, O_RDONLY);\n    return fd;\n}",
        "$ pip install newsdigest\n$ newsdigest --demo\nStarted console bot.",
        ">>> import math\n>>> math.sqrt(2)\n1.4142135623730951",
        "diff --git a/x.py b/x.py\n@@ -1,2 +1,2 @@\n-old line of prose\n+new line of prose",
        "workers = 4\ntimeout = 30\nname = 'digest'\nThat is all you need.",
    ],
)
def test_a_pre_that_holds_code_a_patch_or_a_session_is_dropped(listing: str) -> None:
    text = html_to_text(f"<p>Upgrading is one line.</p><pre>{listing}</pre>")
    assert text == "Upgrading is one line."


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("many words and no stop " * 12_000, id="prose-without-stops"),
        pytest.param("words and then one stop glued on " * 12_000 + "v1.0", id="one-glued-stop"),
    ],
)
def test_a_huge_pre_from_a_feed_is_judged_in_one_pass(body: str) -> None:
    """Telling prose from code used to backtrack over the whole block for every stop it
    could not use: 80 kB took 29 s in the feed-parsing thread, and the poll cycle waited
    for it. A feed decides how long its <pre> is (a few MB are accepted)."""
    assert html_to_text(f"<pre>{body}</pre>") == ""  # no sentences of six words: no prose


def test_a_definition_list_reads_term_then_definition() -> None:
    html = "<dl><dt>Location</dt><dd>35.653°N 117.662°W</dd><dt>Depth:</dt><dd>7 km</dd></dl>"
    assert html_to_text(html) == "Location: 35.653°N 117.662°W\n\nDepth: 7 km"


QUAKES = [
    ("M 4.6 - 12 km NNE of Ridgecrest, CA", "35.653", "117.662", "7.74", "4.81"),
    ("M 5.1 - 80 km S of Sand Point, Alaska", "54.611", "160.410", "35.20", "21.87"),
    ("M 4.9 - 30 km W of Hualien City, Taiwan", "23.980", "121.310", "12.01", "7.46"),
    ("M 6.2 - 101 km SW of Lata, Solomon Islands", "11.430", "165.100", "10.00", "6.21"),
]


def quake_feed() -> bytes:
    """Structured reports in the shape of a public earthquake feed: every item ends in data."""
    entries = [
        f"<entry><id>urn:quake:{n}</id><title>{title}</title>"
        f"<updated>2026-01-15T08:2{n}:00Z</updated>"
        f'<link rel="alternate" href="https://quakes.example/event/{n}"/>'
        f'<summary type="html"><![CDATA[<dl><dt>Time</dt><dd>2026-01-15 08:2{n}:43 UTC</dd>'
        f"<dd>2026-01-15 00:2{n}:43 -08:00 at epicenter</dd><dt>Location</dt>"
        f"<dd>{lat}&deg;N {lon}&deg;W</dd><dt>Depth</dt><dd>{km} km ({mi} mi)</dd></dl>]]>"
        "</summary></entry>"
        for n, (title, lat, lon, km, mi) in enumerate(QUAKES)
    ]
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Significant earthquakes</title><updated>2026-01-15T09:00:00Z</updated>"
        f"<id>https://quakes.example/feed</id>{''.join(entries)}</feed>"
    ).encode()


def test_data_every_item_ends_with_is_not_taken_for_a_footer() -> None:
    parsed = parse_feed(quake_feed(), "https://quakes.example/feed.atom")
    for article, (_title, lat, lon, km, mi) in zip(parsed.articles, QUAKES, strict=True):
        assert f"Location: {lat}°N {lon}°W" in article.text
        assert article.text.endswith(f"Depth: {km} km ({mi} mi)")
        assert article.text.startswith("Time: ")


@pytest.mark.parametrize(
    "footer",
    [
        "∞ Permalink",
        "Flattr this!",
        "(Tags: transport, city council)",
        "submitted by /u/someone to /r/news",
        "[link] [12 comments]",
    ],
)
def test_known_footers_go_even_from_a_single_item(footer: str) -> None:
    text = html_to_text(f"<p>The tram line was approved.</p><p>{footer}</p>")
    assert text == "The tram line was approved."


def test_a_link_aggregators_items_lose_their_submitted_by_line() -> None:
    document = (FIXTURES / "feeds" / "atom_handmade_reddit-shaped_submitted-by.xml").read_bytes()
    feed = parse_feed(document, "https://www.reddit.example/r/worldnews/.rss")
    assert len(feed.articles) == 3
    for article in feed.articles:
        assert "submitted by" not in article.text
        assert "comments]" not in article.text
        assert article.text.endswith(".")


def item(n: int, text: str) -> ParsedArticle:
    return ParsedArticle(
        title=f"Story {n}",
        link=f"https://a.example/{n}",
        guid=str(n),
        published=None,
        author=None,
        text=text,
    )


def test_a_closing_line_most_items_of_a_feed_repeat_is_that_feeds_boilerplate() -> None:
    bodies = [
        "The tram line was approved.",
        "A new bridge opens in May.",
        "Ferries run again.",
        "Snow closed two passes.",
    ]
    items = [
        item(
            n, f"{body}\n\nDiscuss on the forum ({n * 7} replies) · report to https://f.example/{n}"
        )
        for n, body in enumerate(bodies)
    ]
    items.append(item(9, "A story without the footer.\n\nIts own last paragraph stays."))
    cleaned = strip_feed_boilerplate(items)
    assert [a.text for a in cleaned[:4]] == bodies
    assert cleaned[4].text == items[4].text


def test_a_source_tag_ending_most_items_is_removed_but_the_sentence_stays() -> None:
    items = [
        item(n, f"{sentence} Medscape Medical News")
        for n, sentence in enumerate(
            ["Statins cut risk by a third.", "A new trial starts in June.", "Doctors warn of flu."]
        )
    ]
    cleaned = strip_feed_boilerplate(items)
    assert [a.text for a in cleaned] == [
        "Statins cut risk by a third.",
        "A new trial starts in June.",
        "Doctors warn of flu.",
    ]


def test_what_only_one_item_says_and_what_differs_in_the_news_itself_stays() -> None:
    releases = [
        item(n, f"We'd like to announce the availability of version {n}.0.\n\nChanges: {change}")
        for n, change in enumerate(["faster boot.", "new drivers.", "fewer bugs."], start=1)
    ]
    assert strip_feed_boilerplate(releases) == releases  # the opening differs by the version
    lonely = [item(1, "A story.\n\nShare this on the forum."), item(2, "B."), item(3, "C.")]
    assert strip_feed_boilerplate(lonely) == lonely
    single_paragraphs = [item(n, "Every item says exactly this.") for n in range(4)]
    assert strip_feed_boilerplate(single_paragraphs) == single_paragraphs  # never emptied


def test_a_feed_whose_items_share_a_footer_summarises_without_it() -> None:
    footer = "<p>If you'd like to support this blog or give me feedback, write to me.</p>"
    items = [
        {
            "guid": f"p{n}",
            "title": f"Post {n}",
            "link": f"https://blog.example/{n}",
            "description": f"<p>{body}</p>{footer}",
        }
        for n, body in enumerate(
            [
                "I rewrote the parser this week.",
                "The release is out today.",
                "Benchmarks improved by ten percent.",
            ]
        )
    ]
    feed = parse_feed(rss_feed(items).encode(), "https://blog.example/feed")
    assert all("feedback" not in article.text for article in feed.articles)
