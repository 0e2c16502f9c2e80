"""Polling and scheduled digests, driven tick by tick with a fake clock.

The real store, fetcher (against feeds on 127.0.0.1), parser, summariser, composer and
outbox run; the clock is moved by hand, and a recording platform stands in for a chat
service (the Telegram and Discord adapters have their own end-to-end tests).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.runner import build_scheduler
from bot.feeds.ingest import cache_max_age
from bot.models import ChatTarget, Feed, Reply
from tests.support.clock import FakeClock
from tests.support.console import MIN_POLL, RecordingPlatform, chat_in, harness
from tests.support.feeds import FeedServer, rss_feed, stories


async def test_digest_arrives_at_the_chats_local_time_once(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 6, 0, tzinfo=UTC))
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        assert "Time zone set to Europe/Berlin." in await h.say("/timezone Europe/Berlin")
        out = await h.say("/schedule 08:00")
        assert "Schedule set: daily at 08:00." in out
        assert "Next digest: Thursday 2026-01-15 08:00 (Europe/Berlin)." in out
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        clock.advance(minutes=59)  # 06:59 UTC = 07:59 in Berlin
        await h.scheduler.poll_feeds()
        await h.scheduler.digest_tick()
        assert h.platform.sent == []
        clock.advance(minutes=1)
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert digest.digest is not None
        assert [item.title for item in digest.digest.items] == ["Story 2"]
        clock.advance(minutes=30)
        await h.scheduler.digest_tick()
        assert len(h.platform.sent) == 1


async def test_empty_digests_are_not_sent(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        clock.advance(days=2)
        await h.scheduler.digest_tick()
        assert h.platform.sent == []


async def test_downtime_over_several_slots_gives_one_catch_up_digest(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/schedule 08:00 18:00")
        feed_server.serve("/feed.xml", rss_feed(stories(3, 2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=3)  # the bot was down: six slots passed
        await h.scheduler.digest_tick()
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert digest.digest is not None
        assert {item.title for item in digest.digest.items} == {"Story 2", "Story 3"}


async def test_pending_deliveries_survive_a_refusal_and_are_sent_later(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)
        h.platform.refuse = True
        await h.scheduler.digest_tick()
        store = h.app.services.store
        assert len(await store.pending_deliveries()) == 1
        h.platform.refuse = False
        assert (await h.scheduler.deliver()).sent == 0  # the chat is paused: no retries
        [chat] = await store.list_chats(active_only=False)
        assert not chat.active
        await h.say("/list")  # someone in the chat talks to the bot: it resumes
        report = await h.scheduler.deliver()
        assert report.sent == 1
        assert await store.pending_deliveries() == []
        assert len(h.platform.digests()) == 1


async def test_instant_mode_posts_new_stories_within_one_poll(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        assert "Schedule set: instant" in await h.say("/schedule instant")
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        clock.advance(seconds=MIN_POLL)
        await h.scheduler.poll_feeds()
        [digest] = h.platform.digests()
        assert digest.digest is not None
        assert [item.title for item in digest.digest.items] == ["Story 2"]
        clock.advance(seconds=MIN_POLL * 10)
        await h.scheduler.poll_feeds()
        assert len(h.platform.sent) == 1  # nothing new: nothing posted


async def test_conditional_get_is_used_and_304s_are_counted(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)), etag='"v1"')
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        clock.advance(seconds=MIN_POLL)
        first, _ = await h.scheduler.poller.poll_due()
        clock.advance(days=1)
        second, _ = await h.scheduler.poller.poll_due()
        assert (first.not_modified, second.not_modified) == (1, 1)
        assert feed_server.not_modified["/feed.xml"] == 2


async def test_interval_grows_for_a_quiet_feed_and_shrinks_for_a_busy_one(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        intervals = []
        for _ in range(4):  # quiet: nothing new
            clock.now = (await h.feed()).next_poll_at or clock.now
            await h.scheduler.poller.poll_due()
            intervals.append((await h.feed()).poll_interval_seconds)
        assert intervals == sorted(intervals)
        assert intervals[-1] > intervals[0] >= MIN_POLL
        quiet = intervals[-1]
        for n in range(2, 5):  # busy: something new every poll
            feed_server.serve("/feed.xml", rss_feed(stories(n, 1)))
            clock.now = (await h.feed()).next_poll_at or clock.now
            await h.scheduler.poller.poll_due()
        busy = (await h.feed()).poll_interval_seconds
        assert busy is not None
        assert busy < quiet
        assert busy >= MIN_POLL


async def test_server_hints_set_the_next_poll(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve(
        "/feed.xml", rss_feed(stories(1)), headers={"Cache-Control": "public, max-age=7200"}
    )
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.scheduler.poller.poll_due()
        assert (await h.feed()).next_poll_at == clock.now + timedelta(seconds=7200)
        feed_server.serve("/feed.xml", "busy", status=429, headers={"Retry-After": "5400"})
        clock.now += timedelta(seconds=7200)
        await h.scheduler.poller.poll_due()
        assert (await h.feed()).next_poll_at == clock.now + timedelta(seconds=5400)


async def test_errors_back_off_then_disable_the_feed_and_tell_each_chat_once(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1), title="Flaky"))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        store = h.app.services.store
        other = await store.get_or_create_chat(ChatTarget("console", "second-chat"))
        await store.subscribe(other.pk, (await h.feed()).id)
        feed_server.serve("/feed.xml", "oops", content_type="text/plain", status=500)
        waits = []
        while not (await h.feed()).disabled:
            clock.now = (await h.feed()).next_poll_at or clock.now
            await h.scheduler.poll_feeds()
            feed = await h.feed()
            if not feed.disabled:
                waits.append(feed.poll_interval_seconds)
        assert waits[:4] == [MIN_POLL, MIN_POLL * 2, MIN_POLL * 4, MIN_POLL * 8]
        notices = [(t, r) for t, r in h.platform.sent if "I stopped checking Flaky" in r.text]
        assert sorted(t.chat_id for t, _ in notices) == ["local", "second-chat"]
        hits = feed_server.hits["/feed.xml"]
        clock.advance(days=3)
        await h.scheduler.poll_feeds()
        assert feed_server.hits["/feed.xml"] == hits  # disabled feeds are not polled
        assert len([r for _, r in h.platform.sent if "I stopped" in r.text]) == 2
        feed_server.serve("/feed.xml", rss_feed(stories(1), title="Flaky"))
        assert "re-enabled" in await h.say(f"/subscribe {url}")
        assert not (await h.feed()).disabled


async def test_gone_feed_is_disabled_at_once(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", "gone", content_type="text/plain", status=410)
        report = await h.scheduler.poll_feeds()
        assert report.disabled == 1
        assert "HTTP 410" in h.platform.sent[0][1].text


async def test_two_polls_of_one_feed_never_overlap(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        before = feed_server.hits["/feed.xml"]
        feed_server.gate = asyncio.Event()
        feed_server.request_seen.clear()
        first = asyncio.create_task(h.scheduler.poller.poll_due())
        second = asyncio.create_task(h.scheduler.poller.poll_due())
        await feed_server.request_seen.wait()  # the first poll is at the server, held there
        feed_server.gate.set()
        reports = await asyncio.gather(first, second)
        assert feed_server.hits["/feed.xml"] == before + 1
        assert sum(r.fetched for r, _ in reports) == 1


async def test_a_cycle_skips_a_feed_polled_since_it_read_which_feeds_were_due(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    """A slow cycle read the due ids, another cycle polled the feed meanwhile: the slow
    one must see the feed is no longer due, not poll it a second time."""
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        clock.advance(hours=2)
        before = feed_server.hits["/feed.xml"]
        poller = h.scheduler.poller
        real_get_feeds = poller.store.get_feeds
        reached, go = asyncio.Event(), asyncio.Event()

        async def held_get_feeds(ids: list[int]) -> list[Feed]:
            reached.set()
            await go.wait()
            return await real_get_feeds(ids)

        poller.store.get_feeds = held_get_feeds  # type: ignore[method-assign]
        slow = asyncio.create_task(poller.poll_due())
        await reached.wait()  # the slow cycle has read the due ids
        poller.store.get_feeds = real_get_feeds  # type: ignore[method-assign]
        quick, _ = await poller.poll_due()
        go.set()
        slow_report, _ = await slow
        assert quick.fetched == 1
        assert slow_report.fetched == 0
        assert feed_server.hits["/feed.xml"] == before + 1


async def test_schedule_and_timezone_commands(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    async with harness(database_url, clock, tmp_path) as h:
        shown = await h.say("/schedule")
        assert "Schedule: daily at 08:00." in shown
        assert "Time zone: UTC." in shown
        assert "every 6 hours" in await h.say("/schedule every 6h")
        assert "Error: '25:99'" in await h.say("/schedule 25:99")
        assert "every 6 hours" in await h.say("/schedule")  # unchanged by the bad input
        assert "off (only when you send /digest)" in await h.say("/schedule off")
        bad = await h.say("/timezone Berlin")
        assert "Did you mean: Europe/Berlin" in bad
        assert "Time zone: UTC." in await h.say("/timezone")


async def test_status_report_lists_feeds_failures_outbox_and_next_digests(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    from bot.app.status import status_report

    url = feed_server.serve("/feed.xml", rss_feed(stories(1), title="Status Feed"))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/timezone Asia/Tokyo")
        feed_server.serve("/feed.xml", "down", content_type="text/plain", status=503)
        clock.advance(minutes=5)
        await h.scheduler.poller.poll_due()
        report = await status_report(h.app.services.store, now=clock.now, default_timezone="UTC")
    assert "feeds: 1 (1 failing, 0 disabled)" in report
    assert f"Status Feed <{url}>" in report
    assert "last error: the server answered HTTP 503" in report
    assert "Pending deliveries: 0" in report
    assert "console:local: daily at 08:00; next 2026-01-16 08:00 Asia/Tokyo" in report


def test_cache_max_age_reads_only_plain_seconds() -> None:
    assert cache_max_age({"cache-control": "public, max-age=7200"}) == 7200.0
    assert cache_max_age({"cache-control": "no-cache"}) is None
    assert cache_max_age({"cache-control": "max-age=soon"}) is None
    # Headers are decoded as Latin-1: "²" is a digit to str.isdigit() but not to float().
    assert cache_max_age({"cache-control": "max-age=\u00b2"}) is None


async def test_no_work_is_done_for_chats_of_platforms_that_are_not_running(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    """The console and the bot share a database: the running bot must not compose, mark
    read or queue digests for the console chat, nor poll feeds only the console follows."""
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")  # a console chat (console:local)
        feed_server.serve("/feed.xml", rss_feed(stories(2, 1)))
        telegram = RecordingPlatform(name="telegram")
        scheduler = build_scheduler(h.app, [telegram])
        hits = feed_server.hits["/feed.xml"]
        clock.advance(days=1)
        assert (await scheduler.poll_feeds()).due == 0
        assert feed_server.hits["/feed.xml"] == hits
        assert await scheduler.enqueue_due_digests() == 0
        store = h.app.services.store
        assert await store.pending_deliveries() == []
        # The console chat's story is still unread: its own /digest shows it.
        assert "1 new story." in await h.say("/digest")


def titles_to(h: object, chat_id: str) -> list[str]:
    """The story titles the recording platform sent to one console chat."""
    sent: list[tuple[ChatTarget, Reply]] = h.platform.sent  # type: ignore[attr-defined]
    return [
        item.title
        for target, reply in sent
        if target.chat_id == chat_id and reply.digest is not None
        for item in reply.digest.items
    ]


async def test_a_chat_busy_with_its_digest_command_never_holds_up_the_other_chats(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    """While one chat's /digest holds its turn (polling slow feeds, say), the scheduler
    posts the other chats' due digests; the busy chat's slot is kept for the next tick."""
    first_url = feed_server.serve("/first.xml", rss_feed(stories(1, prefix="First")))
    second_url = feed_server.serve("/second.xml", rss_feed(stories(1, prefix="Second")))
    async with harness(database_url, clock, tmp_path) as h:
        other = chat_in(h, ChatTarget("console", "other"))
        await h.say(f"/subscribe {first_url}")
        await other.say(f"/subscribe {second_url}")
        feed_server.serve("/first.xml", rss_feed(stories(2, 1, prefix="First")))
        feed_server.serve("/second.xml", rss_feed(stories(2, 1, prefix="Second")))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)  # both chats' daily slots are due
        store = h.app.services.store
        [busy] = [chat for chat in await store.list_chats() if chat.target.chat_id == "local"]
        composer = h.app.services.composer
        async with composer.exclusive(busy.pk):  # the busy chat's /digest is under way
            # A guard, not a timing: waiting on the held turn would never end.
            await asyncio.wait_for(h.scheduler.digest_tick(), timeout=10)
            assert titles_to(h, "other") == ["Second 2"]
            assert titles_to(h, "local") == []
        await h.scheduler.digest_tick()  # the next tick: the kept slot fires
        assert titles_to(h, "local") == ["First 2"]
        assert titles_to(h, "other") == ["Second 2"]


async def test_an_instant_chat_busy_with_its_digest_command_gets_its_stories_next_tick(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    first_url = feed_server.serve("/first.xml", rss_feed(stories(1, prefix="First")))
    second_url = feed_server.serve("/second.xml", rss_feed(stories(1, prefix="Second")))
    async with harness(database_url, clock, tmp_path) as h:
        other = chat_in(h, ChatTarget("console", "other"))
        await h.say(f"/subscribe {first_url}")
        await h.say("/schedule instant")
        await other.say(f"/subscribe {second_url}")
        await other.say("/schedule instant")
        feed_server.serve("/first.xml", rss_feed(stories(2, 1, prefix="First")))
        feed_server.serve("/second.xml", rss_feed(stories(2, 1, prefix="Second")))
        clock.advance(seconds=MIN_POLL)
        store = h.app.services.store
        [busy] = [chat for chat in await store.list_chats() if chat.target.chat_id == "local"]
        async with h.app.services.composer.exclusive(busy.pk):
            await asyncio.wait_for(h.scheduler.poll_feeds(), timeout=10)
            assert titles_to(h, "other") == ["Second 2"]
            assert titles_to(h, "local") == []
        await h.scheduler.digest_tick()  # no new poll needed: the chat is retried
        assert titles_to(h, "local") == ["First 2"]


async def test_a_busy_instant_chat_refused_by_its_platform_meanwhile_waits_for_it(
    database_url: str, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/first.xml", rss_feed(stories(1, prefix="First")))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/schedule instant")
        feed_server.serve("/first.xml", rss_feed(stories(2, 1, prefix="First")))
        clock.advance(seconds=MIN_POLL)
        store = h.app.services.store
        [busy] = await store.list_chats()
        async with h.app.services.composer.exclusive(busy.pk):
            await asyncio.wait_for(h.scheduler.poll_feeds(), timeout=10)
        assert await store.set_chat_active(busy.target, False)  # blocked the bot meanwhile
        await h.scheduler.digest_tick()
        assert await store.pending_deliveries() == []
        assert titles_to(h, "local") == []
        await store.set_chat_active(busy.target, True)  # it talks to the bot again
        await h.scheduler.digest_tick()
        assert titles_to(h, "local") == ["First 2"]
