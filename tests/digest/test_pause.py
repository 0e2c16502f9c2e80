"""/pause and /resume with the real scheduler, driven tick by tick with a fake clock.

While paused the scheduler posts nothing (feeds are still polled); after /resume the first
digest is a capped catch-up: the newest stories, the older ones skipped and marked read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.digest.pause import trim_backlog
from bot.digest.stories import Story
from bot.models import ChatTarget, StoredArticle
from handlers.model import Command, User
from tests.support.backlog import articles_read_in_full
from tests.support.clock import FakeClock
from tests.support.console import MIN_POLL, Harness, harness
from tests.support.feeds import FeedServer, rss_feed

CAP = 3


@asynccontextmanager
async def running_bot(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    async with harness(database_url, clock, tmp_path, digest_max_items=CAP) as bot:
        yield bot


def dated(*numbers: int) -> list[dict[str, str]]:
    """Stories whose number is their publication hour: a higher number is newer."""
    return [
        {
            "guid": f"s-{n}",
            "title": f"Story {n}",
            "link": f"https://news.example/s-{n}",
            "description": f"<p>Story {n} begins. It has a body of several words. It ends.</p>",
            "pubDate": f"Wed, 14 Jan 2026 {n:02d}:00:00 +0000",
        }
        for n in numbers
    ]


async def test_pause_posts_nothing_and_resume_brings_a_capped_catch_up(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    url = feed_server.serve("/feed.xml", rss_feed(dated(1)))
    async with running_bot(database_url, clock, tmp_path) as bot:
        await bot.say(f"/subscribe {url}")
        out = await bot.say("/pause")
        assert "Scheduled digests are paused." in out
        assert f"at most the newest {CAP}" in out
        assert "already paused" not in out
        assert "Scheduled digests are paused since 2026-01-15 09:00 (UTC)" in await bot.say(
            "/pause"
        )
        assert "paused since 2026-01-15 09:00 (UTC)" in await bot.say("/list")
        assert "paused since" in await bot.say("/schedule")

        feed_server.serve("/feed.xml", rss_feed(dated(*range(9, 0, -1))))  # 8 new stories
        clock.advance(seconds=MIN_POLL)
        await bot.scheduler.poll_feeds()
        for _ in range(3):  # three daily 08:00 slots pass while paused
            clock.advance(days=1)
            await bot.scheduler.digest_tick()
        assert bot.platform.sent == []

        out = await bot.say("/resume")
        assert "Scheduled digests resumed." in out
        assert "8 articles arrived while paused" in out
        assert f"the next digest shows the newest {CAP} stories" in out
        assert "Next digest: Monday 2026-01-19 08:00 (UTC)." in out
        assert "paused since" not in await bot.say("/list")
        await bot.scheduler.digest_tick()  # slots missed while paused do not fire now
        assert bot.platform.sent == []

        clock.now = datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
        await bot.scheduler.digest_tick()
        [(_, catch_up)] = bot.platform.sent
        assert catch_up.digest is not None
        assert [item.title for item in catch_up.digest.items] == ["Story 9", "Story 8", "Story 7"]
        assert catch_up.digest.more_count == 0
        assert "5 older stories were skipped while digests were paused." in catch_up.lines

        # The skipped ones were marked read: nothing else comes, scheduled or on request.
        clock.advance(days=1)
        await bot.scheduler.digest_tick()
        assert len(bot.platform.sent) == 1
        assert "No new stories since your last digest." in await bot.say("/digest")


# Five events, each reported by two outlets in their own words.
EVENTS = [
    (
        "Volcano erupts on Iceland's Reykjanes peninsula",
        "Lava eruption near Grindavik on Reykjanes",
        "A volcano erupted on Iceland's Reykjanes peninsula near Grindavik. Lava fountains "
        "rose from a fissure and the Blue Lagoon spa was evacuated.",
    ),
    (
        "Dockworkers strike shuts Rotterdam container port",
        "Rotterdam port halted as dockworkers walk out",
        "Dockworkers at Rotterdam went on strike over pensions, shutting the container "
        "terminals of Europe's largest port for 48 hours.",
    ),
    (
        "Chess prodigy wins Wijk aan Zee tournament",
        "Teenager takes Tata Steel chess title",
        "A 16-year-old chess prodigy won the Tata Steel tournament in Wijk aan Zee, beating "
        "the world champion in the final round.",
    ),
    (
        "Heatwave sets Australian temperature record in Perth",
        "Perth swelters as Australia records hottest day",
        "Perth reached 49.1 degrees as a heatwave set a new Australian temperature record, "
        "and bushfire warnings were raised across Western Australia.",
    ),
    (
        "Museum returns Benin Bronzes to Nigeria",
        "Benin Bronzes handed back to Nigeria by museum",
        "The museum returned 21 Benin Bronzes to Nigeria at a ceremony in Abuja, ending a "
        "long campaign for the looted sculptures' restitution.",
    ),
]


def reported(outlet: int) -> list[dict[str, str]]:
    """Each event in one outlet's words; event n was published at hour n + 1 (newest first)."""
    return [
        {
            "guid": f"{outlet}-{n}",
            "title": titles[outlet],
            "link": f"https://outlet{outlet}.example/{n}",
            "description": f"<p>{lead}</p>",
            "pubDate": f"Wed, 14 Jan 2026 {n + 1:02d}:{outlet * 30:02d}:00 +0000",
        }
        for n, (*titles, lead) in reversed(list(enumerate(EVENTS)))
    ]


async def test_the_catch_up_counts_stories_not_the_outlets_that_reported_them(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Versions of a shown story are "also" links, never skipped stories."""
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    urls = [feed_server.serve(f"/outlet{n}.xml", rss_feed([], title=f"Outlet {n}")) for n in (0, 1)]
    async with running_bot(database_url, clock, tmp_path) as bot:
        for url in urls:
            await bot.say(f"/subscribe {url}")
        await bot.say("/pause")
        for outlet in (0, 1):  # ten articles: five stories, two versions each
            feed = rss_feed(reported(outlet), title=f"Outlet {outlet}")
            feed_server.serve(f"/outlet{outlet}.xml", feed)
        clock.advance(seconds=MIN_POLL)
        await bot.scheduler.poll_feeds()
        await bot.say("/resume")

        clock.now = datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
        await bot.scheduler.digest_tick()
        [(_, catch_up)] = bot.platform.sent
        assert catch_up.digest is not None
        items = catch_up.digest.items
        # The newest three stories, each as its earlier report with the other as "also".
        assert [item.title for item in items] == [
            "Museum returns Benin Bronzes to Nigeria",
            "Heatwave sets Australian temperature record in Perth",
            "Chess prodigy wins Wijk aan Zee tournament",
        ]
        assert [[also.source for also in item.also] for item in items] == [["Outlet 1"]] * CAP
        assert "2 older stories were skipped while digests were paused." in catch_up.lines

        # Both versions of the skipped stories were marked read with them.
        clock.advance(days=1)
        await bot.scheduler.digest_tick()
        assert len(bot.platform.sent) == 1
        assert "No new stories since your last digest." in await bot.say("/digest")


def test_a_story_with_a_report_after_the_resume_is_not_backlog() -> None:
    resumed = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

    def version(n: int, hour: int) -> StoredArticle:
        arrived = resumed.replace(hour=hour)
        return StoredArticle(
            id=n,
            title=f"{n}",
            link=None,
            source=f"S{n}",
            published=arrived,
            first_seen=arrived,
            summary=[],
            text="",
        )

    # Newest first: a story followed up after the resume, then three backlog stories.
    followed_up = Story(best=version(1, 8), others=(version(2, 10),))
    backlog = [Story(best=version(n, 8 - n)) for n in (3, 4, 5)]
    kept, skipped = trim_backlog([followed_up, *backlog], resumed, 1)
    assert kept == [followed_up, backlog[0]]
    assert skipped == backlog[1:]
    assert trim_backlog(kept, resumed, 1) == (kept, [])  # idempotent


async def test_stories_after_resume_are_kept_and_a_small_backlog_is_not_trimmed(
    database_url: str, tmp_path: Path, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(dated(1)))
    async with running_bot(database_url, clock, tmp_path) as bot:
        await bot.say(f"/subscribe {url}")
        await bot.say("/pause")
        feed_server.serve("/feed.xml", rss_feed(dated(3, 2, 1)))
        clock.advance(seconds=MIN_POLL)
        await bot.scheduler.poll_feeds()
        out = await bot.say("/resume")
        assert "2 new articles are waiting." in out
        feed_server.serve("/feed.xml", rss_feed(dated(4, 3, 2, 1)))
        clock.advance(seconds=MIN_POLL * 10)
        await bot.scheduler.poll_feeds()
        clock.advance(days=1)
        await bot.scheduler.digest_tick()
        [(_, digest)] = bot.platform.sent
        assert digest.digest is not None
        assert [item.title for item in digest.digest.items] == ["Story 4", "Story 3", "Story 2"]
        assert not any("skipped" in line for line in digest.lines)


async def test_instant_chats_are_silent_while_paused(
    database_url: str, tmp_path: Path, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(dated(1)))
    async with running_bot(database_url, clock, tmp_path) as bot:
        await bot.say(f"/subscribe {url}")
        await bot.say("/schedule instant")
        await bot.say("/pause")
        feed_server.serve("/feed.xml", rss_feed(dated(2, 1)))
        clock.advance(seconds=MIN_POLL)
        await bot.scheduler.poll_feeds()
        assert bot.platform.sent == []
        # /digest still works while paused.
        assert "Story 2" in await bot.say("/digest")


async def test_resume_when_not_paused_and_members_cannot_pause(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    async with running_bot(database_url, clock, tmp_path) as bot:
        assert "Scheduled digests are not paused." in await bot.say("/resume")
        app = bot.app
        command = Command(
            "telegram", ChatTarget("telegram", "-100"), User("5"), "pause", is_admin=False
        )
        reply = await app.registry.dispatch(app.services, command)
        assert reply.is_error
        assert "Only administrators of this chat can use /pause" in reply.text


async def test_resume_counts_what_waits_without_reading_it(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """/resume says how many articles wait; counting them reads none in full."""
    url = feed_server.serve("/feed.xml", rss_feed(dated(1)))
    async with running_bot(database_url, clock, tmp_path) as bot:
        await bot.say(f"/subscribe {url}")
        await bot.say("/pause")
        feed_server.serve("/feed.xml", rss_feed(dated(*range(9, 0, -1))))
        clock.advance(seconds=MIN_POLL)
        await bot.scheduler.poll_feeds()
        with articles_read_in_full() as loaded:
            out = await bot.say("/resume")
        assert "8 articles arrived while paused" in out
        assert loaded == []
