"""Polling feeds on their own schedules: adaptive intervals, back-off, disabling dead feeds.

Each feed carries its own next-poll time. A poll cycle takes every feed that is due (no
fixed batch per tick), polls them with bounded concurrency (NEWSDIGEST_POLL_CONCURRENCY,
and at most two at a time per host, to be polite), and sets each feed's next poll from
what happened:

- new stories → the interval halves; nothing new (or 304) → it grows by half;
- never below NEWSDIGEST_MIN_POLL_SECONDS, never above the maximum (6 h by default), and
  never sooner than the server's Cache-Control max-age or the feed's RSS <ttl>;
- errors back off exponentially from the minimum, honouring Retry-After on 429/503;
- a 410 Gone, or failures spanning two days, disable the feed; its chats are told once.

The same feed is never polled twice at the same time, even if cycles overlap, and no
feed can end a cycle for the others: whatever one poll raises (a hostile document, a value
the database refuses, a bug) is recorded as that feed's error and backs it off like any
other failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from bot.feeds.ingest import FeedIngestor, PollOutcome
from bot.models import Feed
from bot.store.repository import Store

log = logging.getLogger(__name__)

DEFAULT_MAX_INTERVAL = 6 * 3600
DISABLE_AFTER = timedelta(days=2)
GROWTH = 1.5
PER_HOST_LIMIT = 2
#: Polls running at once by default (NEWSDIGEST_POLL_CONCURRENCY): at a typical 0.4 s per
#: fetch, 32 polls at once are 80 feeds a second.
DEFAULT_CONCURRENCY = 32
#: Due feeds loaded from the database at a time.
DUE_PAGE = 500
#: Feeds started but waiting for a slot, per slot: keeps a huge cycle's memory bounded.
WAITING_PER_SLOT = 4

FeedDisabledHook = Callable[[Feed, str], Awaitable[None]]
CycleHook = Callable[["CycleReport", float], None]


@dataclass(slots=True)
class CycleReport:
    """One poll cycle in numbers: what the log line and the tests look at."""

    due: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_articles: int = 0
    disabled: int = 0


def next_interval(
    feed: Feed,
    outcome: PollOutcome,
    *,
    min_seconds: int,
    max_seconds: int,
) -> float:
    """Seconds until this feed's next poll (see the module docstring for the rules)."""
    current = float(feed.poll_interval_seconds or min_seconds)
    if outcome.error is not None:
        failures = feed.consecutive_failures + 1  # this poll's failure is not counted yet
        interval = min_seconds * (2 ** min(failures - 1, 20))
        if outcome.retry_after:
            interval = max(interval, outcome.retry_after)
        return float(min(max(interval, min_seconds), max_seconds))
    interval = current / 2 if outcome.new_article_ids else current * GROWTH
    for floor in (outcome.max_age, outcome.ttl):
        if floor:
            interval = max(interval, floor)
    return float(min(max(interval, min_seconds), max_seconds))


def host_of(url: str) -> str:
    """The host a feed's politeness limit counts against."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # not a URL one can split: it gets a politeness slot of its own
        return url


class HostTurns:
    """At most ``limit`` polls at a time per host, waiters served in arrival order; a
    host's semaphore is forgotten when nobody holds or waits for it.

    Why forget: a process polling 20,000 feeds on as many hosts kept a semaphore for
    every host it ever polled, for good; only the hosts being polled need one.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._turns: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        turn = self._turns.get(host)
        if turn is None:
            turn = self._turns[host] = asyncio.Semaphore(self.limit)
        self._users[host] += 1
        try:
            async with turn:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host]
                del self._turns[host]

    def __len__(self) -> int:
        """Hosts with a poll running or waiting (the table does not grow with the feeds)."""
        return len(self._turns)


class FeedPoller:
    """Runs poll cycles; the scheduler calls :meth:`poll_due` on a timer."""

    def __init__(
        self,
        store: Store,
        ingestor: FeedIngestor,
        *,
        clock: Callable[[], datetime],
        min_interval: int,
        max_interval: int = DEFAULT_MAX_INTERVAL,
        concurrency: int = DEFAULT_CONCURRENCY,
        per_host: int = PER_HOST_LIMIT,
        on_feed_disabled: FeedDisabledHook | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.clock = clock
        self.min_interval = min_interval
        self.max_interval = max(max_interval, min_interval)
        self.concurrency = concurrency
        self.on_feed_disabled = on_feed_disabled
        # Told of every round of polls, with its duration (the metrics).
        self.on_cycle: CycleHook | None = None
        self._in_flight: set[int] = set()
        self.host_turns = HostTurns(per_host)

    async def poll_due(
        self, *, platforms: Collection[str] | None = None
    ) -> tuple[CycleReport, list[int]]:
        """Poll every feed due now, however many; returns the report and new article ids.

        The cycle drains what is due instead of taking a fixed batch per tick: the ids of
        the due feeds are read once (a feed that falls due meanwhile waits for the next
        cycle), then loaded and started a page at a time, with at most
        ``concurrency`` polls running and a bounded number waiting, so throughput is
        ``concurrency`` / latency rather than a page per tick. ``platforms`` (the running
        ones) limits the cycle to feeds their chats follow.
        """
        started = time.monotonic()
        now = self.clock()
        due_ids = await self.store.due_feed_ids(now, platforms=platforms)
        report = CycleReport()
        new_ids: list[int] = []
        slots = asyncio.Semaphore(self.concurrency)
        waiting = asyncio.Semaphore(self.concurrency * WAITING_PER_SLOT)
        per_host: Counter[str] = Counter()  # started and not finished, by host
        # Polls not yet finished, and finished ones that raised (to be raised below): a
        # finished poll is let go at once, so that a cycle of 20,000 feeds does not hold
        # 20,000 spent tasks until its end.
        tasks: set[asyncio.Task[None]] = set()
        later: list[Feed] = []

        async def launch(feed: Feed, host: str) -> None:
            await waiting.acquire()
            per_host[host] += 1
            report.due += 1
            task = asyncio.create_task(self._poll_one(feed, slots, report, new_ids))

            def done(task: asyncio.Task[None]) -> None:
                per_host[host] -= 1
                if not per_host[host]:
                    del per_host[host]
                waiting.release()
                if not task.cancelled() and task.exception() is None:
                    tasks.discard(task)

            task.add_done_callback(done)
            tasks.add(task)

        for start in range(0, len(due_ids), DUE_PAGE):
            for feed in await self.store.get_feeds(due_ids[start : start + DUE_PAGE]):
                if feed.disabled or feed.id in self._in_flight or _polled_since(feed, now):
                    continue
                host = host_of(feed.url)
                # A host with many due feeds (an imported list of one site's feeds) must
                # not take every waiting place while it polls two at a time: its surplus
                # starts once every other host's feeds have.
                if per_host[host] >= self.per_host * WAITING_PER_SLOT:
                    later.append(feed)
                    continue
                await launch(feed, host)
        for feed in later:
            await launch(feed, host_of(feed.url))
        await asyncio.gather(*tasks)
        self._log_cycle(report)
        self._report_cycle(report, started)
        return report, new_ids

    async def poll(self, feeds: list[Feed]) -> tuple[CycleReport, list[int]]:
        """Poll these feeds now (skipping any already being polled) and reschedule them."""
        due = [feed for feed in feeds if feed.id not in self._in_flight]
        started = time.monotonic()
        report = CycleReport(due=len(due))
        slots = asyncio.Semaphore(self.concurrency)
        new_ids: list[int] = []
        await asyncio.gather(*(self._poll_one(feed, slots, report, new_ids) for feed in due))
        self._log_cycle(report)
        self._report_cycle(report, started)
        return report, new_ids

    async def _poll_one(
        self, feed: Feed, slots: asyncio.Semaphore, report: CycleReport, new_ids: list[int]
    ) -> None:
        """One feed: fetch, store, reschedule; whatever fails is this feed's alone."""
        if feed.id in self._in_flight:
            return
        self._in_flight.add(feed.id)
        try:
            # The host's turn first, then a slot: a feed waiting for a busy host must not
            # hold a slot that a feed on another host could use.
            async with self.host_turns.hold(host_of(feed.url)), slots:
                outcome = await self._poll_guarded(feed)
            await self._after_poll(feed, outcome, report)
            new_ids.extend(outcome.new_article_ids)
        except Exception:  # the store itself failed: log it, the other feeds go on
            log.exception("poll of feed %s could not be recorded", feed.id)
            report.failed += 1
            await self._retry_later(feed)
        finally:
            self._in_flight.discard(feed.id)

    def _report_cycle(self, report: CycleReport, started: float) -> None:
        """Polls of every kind (a timed cycle, a worker's job, a /digest refresh) count."""
        if report.due and self.on_cycle is not None:
            self.on_cycle(report, time.monotonic() - started)

    @staticmethod
    def _log_cycle(report: CycleReport) -> None:
        if report.due:
            log.info(
                "poll cycle: due=%d fetched=%d not_modified=%d failed=%d new_articles=%d "
                "disabled=%d",
                report.due,
                report.fetched,
                report.not_modified,
                report.failed,
                report.new_articles,
                report.disabled,
            )

    async def _poll_guarded(self, feed: Feed) -> PollOutcome:
        """The ingestor's outcome, recorded with the next poll time in one statement;
        anything the ingestor raises becomes this feed's recorded error."""
        schedule = partial(self._interval, feed)
        try:
            return await self.ingestor.poll(feed, schedule=schedule)
        except Exception as exc:
            log.exception("poll of feed %s (%s) failed unexpectedly", feed.id, feed.url)
            first_line = (str(exc).splitlines() or [""])[0][:300]
            error = f"could not read the feed ({type(exc).__name__}: {first_line})"
            outcome = PollOutcome(feed_id=feed.id, error=error)
            interval = schedule(outcome)
            now = self.clock()
            outcome.failing_since = await self.store.finish_poll(
                feed.id,
                now=now,
                error=error,
                next_poll_at=now + timedelta(seconds=interval),
                interval_seconds=round(interval),
            )
            return outcome

    def _interval(self, feed: Feed, outcome: PollOutcome) -> float:
        return next_interval(
            feed, outcome, min_seconds=self.min_interval, max_seconds=self.max_interval
        )

    async def _retry_later(self, feed: Feed) -> None:
        """Push a feed whose poll could not even be recorded to the longest interval."""
        try:
            await self.store.schedule_next_poll(
                feed.id,
                next_poll_at=self.clock() + timedelta(seconds=self.max_interval),
                interval_seconds=self.max_interval,
            )
        except Exception:
            log.exception("feed %s could not be rescheduled", feed.id)

    @property
    def per_host(self) -> int:
        """Polls at a time per host (PER_HOST_LIMIT unless configured)."""
        return self.host_turns.limit

    @per_host.setter
    def per_host(self, limit: int) -> None:
        self.host_turns.limit = limit

    async def _after_poll(self, feed: Feed, outcome: PollOutcome, report: CycleReport) -> None:
        """Count the outcome; disable a feed gone for good or failing for too long.

        The outcome and the next poll time are already stored (one statement, by the
        ingestor); a failure came back with since when the feed has been failing.
        """
        if outcome.error is None:
            if outcome.not_modified:
                report.not_modified += 1
            else:
                report.fetched += 1
                report.new_articles += len(outcome.new_article_ids)
            return
        report.failed += 1
        now = self.clock()
        gone = outcome.status_code == 410
        failing_since = outcome.failing_since or now
        if gone or now - failing_since >= DISABLE_AFTER:
            reason = (
                "the server says the feed is gone for good (HTTP 410)"
                if gone
                else f"it has failed since {failing_since:%Y-%m-%d %H:%M} UTC: {outcome.error}"
            )
            if await self.store.disable_feed(feed.id, reason=reason):
                report.disabled += 1
                log.warning("feed %s disabled: %s", feed.url, reason)
                if self.on_feed_disabled is not None:
                    await self.on_feed_disabled(feed, reason)


def _polled_since(feed: Feed, due_at: datetime) -> bool:
    """Polled by another cycle after this one read the due ids (it rescheduled the feed):
    loading a page of feeds can take long enough under load for that to happen."""
    return feed.next_poll_at is not None and feed.next_poll_at > due_at
