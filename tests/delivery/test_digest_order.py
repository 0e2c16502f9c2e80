"""/digest never overtakes an older digest of the same chat that is waiting in the outbox.

The real scheduler, outbox, store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
and /digest command, with a fake clock; the console is where the command's answer is
printed, the recording platform is what the outbox delivers to the same chat.
"""

from __future__ import annotations

from pathlib import Path

from bot.delivery.policy import retry_delay
from bot.models import ChatTarget
from bot.platforms.base import DeliveryError, DeliveryProblem
from tests.support.clock import FakeClock
from tests.support.console import Harness, harness
from tests.support.feeds import FeedServer, rss_feed, stories

TARGET = ChatTarget("console", "local")


def titles(h: Harness) -> list[list[str]]:
    """The stories of each digest the outbox delivered, in the order they arrived."""
    return [[item.title for item in r.digest.items] for r in h.platform.digests() if r.digest]


async def test_digest_command_queues_behind_a_digest_waiting_for_its_retry(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)
        h.platform.failures.append(DeliveryError(TARGET, DeliveryProblem.RETRY_LATER, "502"))
        await h.scheduler.digest_tick()  # the scheduled digest (Story 2) fails: back-off
        [waiting] = await h.app.services.store.pending_deliveries()
        assert waiting.next_attempt_at == clock() + retry_delay(1)

        clock.advance(seconds=10)  # still in back-off
        feed_server.serve("/feed.xml", rss_feed(stories(3, 2, 1)))
        answer = await h.say("/digest")
        assert "Story 3" not in answer  # not before Story 2
        assert "earlier digest" in answer
        await h.scheduler.deliver()  # the next outbox tick: both, oldest first
        assert titles(h) == [["Story 2"], ["Story 3"]]
        assert await h.app.services.store.pending_deliveries() == []


async def test_digest_command_after_a_pause_sends_the_kept_digest_first(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)
        h.platform.refuse = True  # the chat blocked the bot: paused, digest kept
        await h.scheduler.digest_tick()
        h.platform.refuse = False
        feed_server.serve("/feed.xml", rss_feed(stories(3, 2, 1)))
        answer = await h.say("/digest")  # talking to the bot resumes the chat
        assert "Story 3" not in answer
        await h.scheduler.deliver()
        assert titles(h) == [["Story 2"], ["Story 3"]]


async def test_digest_command_answers_at_once_when_nothing_is_waiting(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        assert "Story 2" in await h.say("/digest")
        assert (await h.scheduler.deliver()).sent == 0
        assert h.platform.sent == []


async def test_a_notice_waiting_in_the_outbox_is_not_an_earlier_digest(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        # "I stopped checking …" waits in the same table as digests.
        await h.scheduler.notify_feed_disabled(await h.feed(), "a test reason")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        answer = await h.say("/digest")
        assert "Story 2" in answer
        assert "earlier digest" not in answer
