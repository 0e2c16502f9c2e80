"""One entry per story: grouping, ranking, the cap, seen-marking and the outbox round trip."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy
import pytest

import bot.digest.composer
from bot.delivery.payloads import digest_from_dict, digest_to_dict
from bot.digest.backlog import fair_share
from bot.digest.composer import build_digest
from bot.digest.stories import Story, cluster, group_stories, newest_stories
from bot.models import AlsoLink, StoredArticle
from tests.support import FIXTURES
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed

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


def test_pairs_that_can_never_merge_are_never_tried() -> None:
    """One feed's look-alike items: every pair is similar and none may merge. Such pairs
    used to be tried and refused one at a time, each after a scan of the whole matrix
    (seconds for a window of 400); now no merge is even considered."""
    count = 60
    similarity = numpy.full((count, count), 0.9)
    tried: list[list[int]] = []

    def representative(members: list[int]) -> int:
        tried.append(members)
        return min(members)

    groups = cluster(similarity, 0.3, sources=["One Feed"] * count, representative=representative)
    assert groups == [[n] for n in range(count)]
    assert tried == []
    # Pairs kept apart (here: the odd ones from each other) are masked the same way.
    apart = numpy.zeros((count, count), dtype=bool)
    apart[1::2, 1::2] = True
    sources = [f"Outlet {n}" for n in range(count)]
    groups = cluster(similarity, 0.3, sources=sources, representative=representative, apart=apart)
    assert [sum(member % 2 for member in group) for group in groups] == [1] * (count // 2)
    assert len(tried) == count - len(groups)  # every merge tried was made: none was refused


def test_the_same_generic_headline_does_not_make_one_story() -> None:
    """Two outlets' "Live updates" with unrelated leads are two stories; the same headline
    with leads about one event is still one."""
    markets = ["Asian shares slipped as investors waited for US inflation figures."]
    vote = ["Polling stations opened at 7am in the Ashworth by-election."]
    others = [*ecb_versions(), article(4, "Harbor Times", "Bank of England cuts rates", BOE)]
    live = [
        article(10, "Metro Wire", "Live updates", markets),
        article(11, "Capital Post", "Live updates", vote),
    ]
    digest = build_digest([*live, *others])
    assert [item.title for item in digest.items].count("Live updates") == 2
    assert all(not item.also for item in digest.items if item.title == "Live updates")

    same_vote = ["Polls opened at 7am in the Ashworth by-election; turnout is expected low."]
    live[0] = article(10, "Metro Wire", "Live updates", same_vote)
    digest = build_digest([*live, *others])
    assert [item.title for item in digest.items].count("Live updates") == 1


@pytest.mark.parametrize("title", ["Morning briefing", "Letters to the editor"])
def test_other_generic_headlines_need_their_leads_to_agree(title: str) -> None:
    letters = [
        article(11, "Daily Ledger", title, ["Readers write about village post offices."]),
        article(12, "Global Desk", title, ["Our readers respond to a column on cycling lanes."]),
    ]
    assert len(group_stories([*letters, *ecb_versions()])) == 3


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


def take(articles: list[StoredArticle], limit: int) -> tuple[list[Story], int]:
    """What the composer does: the newest ``limit`` stories, and how many are left."""
    return fair_share(newest_stories(articles, limit), limit, articles)


def test_the_cap_counts_stories_and_takes_every_version_of_a_story() -> None:
    singles = [
        article(10, "Harbor Times", "Bank of England cuts rates to 3.5%", BOE),
        article(11, "Capital Post", "Lufthansa pilots strike", ["Pilots walked out."], hours_ago=4),
    ]
    ordered = [singles[0], *ecb_versions(), singles[1]]  # newest first
    stories, left = take(ordered, 2)
    assert [len(story.articles) for story in stories] == [1, 3]
    assert left == 1
    stories, left = take(ordered, 5)
    assert (len(stories), left) == (3, 0)


def test_stories_are_ranked_by_their_newest_report_and_older_articles_count_one_each() -> None:
    ordered = [
        article(10, "Harbor Times", "Bank of England cuts rates to 3.5%", BOE),
        *ecb_versions(),
        article(11, "Capital Post", "Lufthansa pilots strike", ["Pilots walked out."]),
        article(12, "Capital Post", "Rail strike in France", ["Trains stopped."]),
    ]
    stories = newest_stories(ordered, 1, window=4)  # the last two are not compared
    assert [[a.id for a in story.articles] for story in stories] == [[10], [3, 2, 1], [11], [12]]


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
    console_bot: ConsoleBot,
    feed_server: FeedServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []

    def recorded(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        return newest_stories(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.digest.composer, "newest_stories", recorded)
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
    # Grouping is CPU work: it ran in a worker thread, not the event loop's.
    assert threads
    assert threading.main_thread() not in threads
    # Every version was marked seen with the story.
    clock.advance(minutes=2)  # past the per-chat limit on commands that fetch feeds
    assert "No new stories" in await console_bot.say("/digest")
