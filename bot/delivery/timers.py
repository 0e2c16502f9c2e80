"""Interval timers in the bot's event loop whose running jobs are over when they stop.

APScheduler 3's asyncio executor cancels the jobs still running when the scheduler shuts
down, but cannot wait for them (its shutdown is not a coroutine). The process then closes
the store while a cancelled poll or send is still unwinding, in the middle of a database
commit: on SQLite the connection's close then waits for a worker thread that is already
gone, and the process never exits. These timers remember the job tasks they started, and
:meth:`Timers.stop` cancels them and waits until they are done, so the store closes after.
Every write is transactional, so a cancelled job loses nothing (see bot.delivery.outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]
#: How long stop() waits for cancelled jobs to unwind before giving up on them.
STOP_GRACE_SECONDS = 30.0
OPTIONS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 60}


class Timers:
    """Jobs on intervals (each at most once at a time; missed runs coalesced)."""

    def __init__(self) -> None:
        self._scheduler: AsyncIOScheduler | None = None
        self._jobs: list[tuple[Job, float, str | None]] = []
        self._running: set[asyncio.Task[Any]] = set()

    def every(self, seconds: float, job: Job, *, name: str | None = None) -> None:
        """Run ``job`` every ``seconds`` once started (not at once)."""
        if self._scheduler is not None:
            raise RuntimeError("add every job before the timers start")
        self._jobs.append((job, seconds, name))

    def start(self) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        for job, seconds, name in self._jobs:
            scheduler.add_job(self._tracked(job), "interval", seconds=seconds, id=name, **OPTIONS)
        scheduler.start()
        self._scheduler = scheduler

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def stop(self) -> None:
        """No more runs; jobs still running are cancelled and waited for."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        running = [task for task in self._running if not task.done()]
        for task in running:
            task.cancel()
        if running:
            _, pending = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            if pending:
                log.warning(
                    "%d timer jobs did not stop within %ss", len(pending), STOP_GRACE_SECONDS
                )

    def _tracked(self, job: Job) -> Job:
        async def run() -> Any:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                return await job()
            finally:
                if task is not None:
                    self._running.discard(task)

        run.__name__ = run.__qualname__ = getattr(job, "__qualname__", "job")
        return run
