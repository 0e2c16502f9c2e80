"""One entry per story: grouping, ranking, the cap, seen-marking and the outbox round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy

from bot.digest import build_digest, digest_from_dict, digest_to_dict
from bot.models import AlsoLink, StoredArticle
from bot.stories import cluster, group_stories, take_stories
from tests.conftest import FIXTURES, ConsoleBot, FakeClock, FeedServer, rss_feed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STORY_FEEDS = FIXTURES / "feeds"
# Three outlets report one earthquake; two report other stories that share many of its words
# (another earthquake the same day, and an early-warning system in the same region).
QUAKE_FEEDS = {
    "Northwind News": "stories_northwind-news_quake.xml",
    "Daily Ledger": "stories_daily-ledger_quake.xml",
    "Metro Wire": "stories_metro-wire_quake.xml",
    "Harbor Times": "stories_harbor-times_peru-quake.xml",
    "Capital Post": "stories_capital-post_quake-warning.xml",
}


def article(
    n: int,
    source: str,
    title: str,
    summary: list[str],
    *,
    link: str | None = None,
    hours_ago: float = 0,
    text: str | None = None,
) -> StoredArticle:
    return StoredArticle(
        id=n,
        title=title,
        link=link if link is not None else f"https://{source.lower().replace(' ', '')}.example/{n}",
        source=source,
        published=NOW - timedelta(hours=hours_ago),
        first_seen=NOW,
        summary=summary,
        text=" ".join(summary) if text is None else text,
    )


ECB = [
    "The European Central Bank kept its deposit rate unchanged at 2% on Thursday.",
    "President Christine Lagarde said policymakers were in no hurry to cut again.",
]
ECB_SHORT = ["The ECB held its deposit rate at 2%, Christine Lagarde said on Thursday."]
BOE = [
    "The Bank of England cut Bank Rate by a quarter point to 3.5% on Thursday.",
    "The Monetary Policy Committee voted 5-4, Governor Andrew Bailey said.",
]


def ecb_versions() -> list[StoredArticle]:
    return [
        article(1, "Metro Wire", "ECB keeps deposit rate at 2%", ECB_SHORT, hours_ago=1),
        article(2, "Global Desk", "ECB leaves deposit rate at 2%, Lagarde says", ECB, hours_ago=2),
        article(3, "Daily Ledger", "European Central Bank holds rates at 2%", ECB, hours_ago=3),
    ]


# --------------------------------------------------------------------------------------------
# Grouping and ranking


def test_versions_of_one_event_become_one_entry_and_a_look_alike_stays_apart() -> None:
    boe = article(4, "Harbor Times", "Bank of England cuts rates to 3.5%", BOE, hours_ago=0.5)
    digest = build_digest([boe, *ecb_versions()], title="T")
    assert [item.title for item in digest.items] == [
        "Bank of England cuts rates to 3.5%",
        "European Central Bank holds rates at 2%",
    ]
    ecb = digest.items[1]
    # Daily Ledger and Global Desk tie on summary length: the earlier report is shown.
    assert ecb.source == "Daily Ledger"
    assert [also.source for also in ecb.also] == ["Global Desk", "Metro Wire"]
    assert ecb.also[1] == AlsoLink("Metro Wire", "https://metrowire.example/1")
    assert digest.items[0].also == []
    # The merged story sits in its shown version's section.
    assert [section.source for section in digest.sections] == ["Harbor Times", "Daily Ledger"]


def test_the_best_summarised_version_is_shown_and_a_repeated_headline_is_not_text() -> None:
    title = "ECB keeps deposit rate at 2%"
    teaser = article(1, "Metro Wire", title, [title + "."], hours_ago=5)
    full = article(2, "Daily Ledger", "European Central Bank holds rates at 2%", ECB)
    one = article(3, "Global Desk", "ECB holds at 2%", ECB_SHORT, hours_ago=9)
    (story,) = group_stories([teaser, full, one])
    assert story.best is full
    assert [a.source for a in story.others] == ["Global Desk", "Metro Wire"]


def test_articles_of_one_source_are_never_merged() -> None:
    """A feed whose items share boilerplate must still show each item."""
    boilerplate = ["Read the full story on our website.", "Subscribe for more news every day."]
    items = [
        article(n, "City News", f"Council item {word}", boilerplate)
        for n, word in enumerate(("trams", "parks", "budget"), start=1)
    ]
    assert len(build_digest(items).items) == 3


def test_the_chain_guard_keeps_an_item_off_a_story_it_does_not_match() -> None:
    # A resembles B, B resembles C, A and C are unrelated: average link alone would merge all.
    similarity = numpy.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.9], [0.1, 0.9, 1.0]])
    kwargs = {"sources": ["A", "B", "C"], "representative": min}
    assert cluster(similarity, 0.3, guard=0.0, **kwargs) == [[0, 1, 2]]
    assert sorted(cluster(similarity, 0.3, **kwargs)) == [[0, 1], [2]]


def test_an_exact_duplicate_link_never_shows_twice() -> None:
    versions = ecb_versions()
    copy = article(
        5,
        "Capital Post",
        "Euro zone rates on hold",
        ["Wire copy."],
        link="https://www.dailyledger.example/3?utm_source=rss",  # Daily Ledger's version
    )
    same_as_other = article(
        6, "Harbor Times", "ECB decision", ["Brief."], link="https://globaldesk.example/2/"
    )
    digest = build_digest([*versions, copy, same_as_other])
    (item,) = digest.items
    assert [item.link, *(also.link for also in item.also)] == [
        "https://dailyledger.example/3",
        "https://globaldesk.example/2",
        "https://metrowire.example/1",
    ]


def test_the_cap_counts_stories_and_takes_every_version_of_a_story() -> None:
    singles = [
        article(10, "Harbor Times", "Bank of England cuts rates to 3.5%", BOE),
        article(11, "Capital Post", "Lufthansa pilots strike", ["Pilots walked out."], hours_ago=4),
    ]
    ordered = [singles[0], *ecb_versions(), singles[1]]  # newest first
    stories, left = take_stories(ordered, 2)
    assert [len(story.articles) for story in stories] == [1, 3]
    assert left == 1
    stories, left = take_stories(ordered, 5)
    assert (len(stories), left) == (3, 0)


# --------------------------------------------------------------------------------------------
# The outbox's JSON


def test_also_links_survive_the_outbox_round_trip() -> None:
    digest = build_digest(ecb_versions(), title="T")
    assert digest.items[0].also
    assert digest_from_dict(digest_to_dict(digest)) == digest


def test_a_payload_stored_before_also_links_still_loads() -> None:
    old = {
        "title": "Morning",
        "more_count": 0,
        "sections": [
            {
                "source": "City News",
                "items": [
                    {
                        "title": "Tram line approved",
                        "link": "https://news.example/1",
                        "source": "City News",
                        "published": "2026-01-15T08:00:00+00:00",
                        "summary": ["The council approved the line."],
                    }
                ],
            }
        ],
    }
    (item,) = digest_from_dict(old).items
    assert item.title == "Tram line approved"
    assert item.also == []


# --------------------------------------------------------------------------------------------
# End to end: five subscribed feeds, one digest


def feed_documents() -> dict[str, bytes]:
    return {name: (STORY_FEEDS / name).read_bytes() for name in QUAKE_FEEDS.values()}


async def test_digest_of_five_feeds_shows_the_shared_story_once(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    for source, name in QUAKE_FEEDS.items():
        url = feed_server.serve(f"/{name}", rss_feed([], title=source))
        assert "Subscribed" in await console_bot.say(f"/subscribe {url}")
    for name, document in feed_documents().items():
        feed_server.serve(f"/{name}", document)

    out = await console_bot.say("/digest")

    assert "3 new stories." in out
    assert out.count("* Strong quake jolts Japan's Miyagi coast; no major damage reported") == 1
    assert "Magnitude 6.8 earthquake strikes off northeast Japan" not in out
    assert "Tsunami advisory lifted" not in out
    lines = out.splitlines()
    also = lines.index(
        "  also: Northwind News — "
        "https://northwind-news.example/world/2026/03/02/japan-earthquake-miyagi"
    )
    assert lines[also + 1] == (
        "        Metro Wire — "
        "https://metro-wire.example/2026/03/02/tsunami-advisory-lifted-japan?utm_source=rss"
    )
    assert "* Magnitude 6.1 earthquake hits southern Peru, damaging churches" in out
    assert "* Japan to upgrade earthquake early warning system after review" in out
    assert out.count("also:") == 1
    # Every version was marked seen with the story.
    clock.advance(minutes=2)  # past the per-chat limit on commands that fetch feeds
    assert "No new stories" in await console_bot.say("/digest")
