"""The clock of a distributed role: APScheduler ticks, and each tick defers jobs.

A worker's tick turns what is due into jobs — one per due feed, one per due digest slot
— and any number of workers may tick at the same moment: the queueing locks keep one job
per name waiting. A tick first reads, in one query, the names of the jobs already waiting
or running, and defers only the others: with thousands of due feeds queued behind a slow
worker, a tick costs one query instead of an INSERT refused per feed.

A gateway's tick sends the outbox (it holds the platforms), as the single process does.
Both roles look for jobs whose worker stopped beating (killed, frozen, its machine gone)
and put them back in the queue: that is procrastinate's stalled-job recovery, run on our
clock.

The tick methods read the injected clock only through the scheduler, so tests call them
directly, as they do with BotScheduler's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import procrastinate
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Status

from bot.delivery.scheduler import BotScheduler
from bot.delivery.timers import Timers
from bot.distributed.tasks import (
    DIGEST_NAME_PREFIX,
    POLL_NAME_PREFIX,
    JobQueue,
    digest_name,
    poll_name,
)

log = logging.getLogger(__name__)

#: How often a worker looks whether the retention job of the current period is queued
#: (a period is hours long: this bounds how late into it the prune runs).
PRUNE_CHECK_SECONDS = 600.0
#: A tick, its interval in seconds, and whether it also runs at start.
Tick = tuple[Callable[[], Awaitable[object]], float, bool]


async def recover_stalled_jobs(app: procrastinate.App, *, stalled_seconds: float) -> int:
    """Jobs held by a worker silent for ``stalled_seconds`` go back to the queue.

    When the same job is already waiting again (queued by a tick after this one
    started), the stalled one is closed as failed instead: the waiting twin does the
    work. Another process recovering the same job at the same time is harmless.
    """
    recovered = 0
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds):
        try:
            await manager.retry_job(job)
            recovered += 1
            log.warning("job %s (%s) of a stalled worker queued again", job.id, job.call_string)
        except UniqueViolation:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            log.warning("job %s of a stalled worker closed: its twin is queued", job.id)
        except ConnectorException as exc:  # recovered by another process meanwhile
            log.debug("stalled job %s left alone: %s", job.id, exc)
    return recovered


class RoleTicker:
    """Interval jobs of one role; :meth:`start` runs each once, then on its timer."""

    def __init__(
        self,
        scheduler: BotScheduler,
        queue: JobQueue,
        *,
        stalled_seconds: float,
        recover_every_seconds: float,
    ) -> None:
        self.scheduler = scheduler
        self.queue = queue
        self.stalled_seconds = stalled_seconds
        self.recover_every_seconds = recover_every_seconds
        self._timers: Timers | None = None

    # -- the ticks -------------------------------------------------------------------------

    async def defer_due_polls(self) -> int:
        """A ``poll feed`` job for every due feed not already queued or running; returns
        how many this tick queued."""
        scheduler = self.scheduler
        due = await scheduler.store.due_feed_ids(scheduler.clock(), platforms=scheduler.platforms)
        if not due:
            return 0
        in_queue = await self.queue.names_in_queue(POLL_NAME_PREFIX)
        queued = 0
        for feed_id in due:
            if poll_name(feed_id) not in in_queue and await self.queue.poll_feed(feed_id):
                queued += 1
        log.info(
            "poll tick: %d feeds due, %d already queued, %d jobs queued",
            len(due),
            sum(poll_name(feed_id) in in_queue for feed_id in due),
            queued,
        )
        return queued

    async def defer_due_digests(self) -> int:
        """A ``digest for chat at slot`` job for every due slot not already queued or
        running; returns how many this tick queued."""
        due = await self.scheduler.due_digest_slots()
        if not due:
            return 0
        in_queue = await self.queue.names_in_queue(DIGEST_NAME_PREFIX)
        queued = 0
        for chat, slot in due:
            if digest_name(chat.pk, slot) in in_queue:
                continue
            if await self.queue.compose_digest(chat.pk, slot):
                queued += 1
        if queued:
            log.info("digest tick: %d digest jobs queued", queued)
        return queued

    async def defer_prune(self) -> bool:
        """The retention job of the current period (``prune_every_seconds`` long, counted
        from the Unix epoch), unless any process queued it; True when this tick did.

        However many workers tick, and whenever each started, the store is pruned once
        per period, soon after the period begins.
        """
        every = self.scheduler.prune_every_seconds
        now = self.scheduler.clock().timestamp()
        return await self.queue.prune(int(now // every * every))

    async def deliver(self) -> None:
        await self.scheduler.deliver()

    async def recover_stalled(self) -> int:
        return await recover_stalled_jobs(self.queue.app, stalled_seconds=self.stalled_seconds)

    # -- running ---------------------------------------------------------------------------

    async def start_worker(self) -> None:
        """Poll, digest and recovery ticks (and a prune job once per period, for all)."""
        scheduler = self.scheduler
        await self._start(
            [
                (self.recover_stalled, self.recover_every_seconds, True),
                (self.defer_due_polls, scheduler.poll_every_seconds, True),
                (self.defer_due_digests, scheduler.digest_check_seconds, True),
                (self.defer_prune, min(scheduler.prune_every_seconds, PRUNE_CHECK_SECONDS), False),
            ]
        )

    async def start_gateway(self) -> None:
        """Send the outbox (pending first), and recover the gateway's own stalled sends."""
        await self._start(
            [
                (self.recover_stalled, self.recover_every_seconds, True),
                (self.deliver, self.scheduler.digest_check_seconds, True),
            ]
        )

    async def _start(self, ticks: list[Tick]) -> None:
        for tick, _, at_start in ticks:
            if at_start:
                await tick()
        timers = Timers()
        for tick, seconds, _ in ticks:
            timers.every(seconds, tick)
        timers.start()
        self._timers = timers

    @property
    def running(self) -> bool:
        return self._timers is not None and self._timers.running

    async def stop(self) -> None:
        """No more ticks; a tick still running is cancelled and waited for."""
        if self._timers is not None:
            await self._timers.stop()
        self._timers = None
