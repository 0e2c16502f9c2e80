"""The two distributed roles, each serving until asked to stop.

- gateway: the platform connections (started by bot.app.runner), commands, and the
  outbox sender: on its timer, and whenever a worker composed something (a ``deliver``
  job on the delivery queue, heard at once through LISTEN/NOTIFY).
- worker: ticks that turn due feeds and slots into jobs, and a procrastinate worker
  running them: polling, parsing, summarising, composing into the outbox. No platform.

Both apply the job queue's schema at start (once, whoever is first) and recover the jobs
of processes that died holding them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Protocol

import procrastinate

from bot.delivery.scheduler import BotScheduler
from bot.distributed.app import apply_schema, build_queue_app
from bot.distributed.jobs import RoleJobs
from bot.distributed.tasks import DELIVERY_QUEUE, RUNTIME, WORK_QUEUE, JobQueue
from bot.distributed.ticker import RoleTicker
from config.settings import Settings

log = logging.getLogger(__name__)

GATEWAY, WORKER = "gateway", "worker"


class Stoppable(Protocol):
    async def stop(self) -> None: ...


#: Jobs waiting and running per (queue, status), for /metrics.
QueueDepth = Callable[[], Awaitable[Mapping[tuple[str, str], int]]]
#: Starts the health server (None when not configured), given the role's "is running"
#: and how to read the job queue's depth.
HealthStarter = Callable[[Callable[[], bool], QueueDepth], Awaitable[Stoppable | None]]
#: Seconds a stopping worker lets its running jobs finish before abandoning them.
SHUTDOWN_GRACE = 30.0


async def serve(
    role: str,
    settings: Settings,
    scheduler: BotScheduler,
    stop: asyncio.Event,
    *,
    health: HealthStarter | None = None,
) -> int:
    """Run ``role`` until ``stop`` is set; 0 on a clean stop, 1 if the job worker died.

    ``health`` starts /healthz and /metrics (when configured), told whether the role's
    timers run and how deep the job queue is.
    """
    await apply_schema(settings.database_url)
    concurrency = settings.poll_concurrency if role == WORKER else 1
    app = build_queue_app(settings.database_url, max_connections=min(concurrency, 16) + 4)
    async with app.open_async():
        queue = JobQueue(app)
        ticker = RoleTicker(
            scheduler,
            queue,
            stalled_seconds=settings.stalled_worker_seconds,
            recover_every_seconds=max(1.0, settings.stalled_worker_seconds / 2),
        )
        worker = asyncio.create_task(
            _run_jobs(
                app,
                RoleJobs(scheduler, queue),
                queues=[WORK_QUEUE] if role == WORKER else [DELIVERY_QUEUE],
                concurrency=concurrency,
                settings=settings,
                name=f"{role}-{os.getpid()}",
            ),
            name=f"{role} jobs",
        )
        server: Stoppable | None = None
        try:
            if role == WORKER:
                await ticker.start_worker()
            else:
                await ticker.start_gateway()
            server = None if health is None else await health(lambda: ticker.running, queue.depth)
            log.info("running as %s (Ctrl+C to stop)", role)
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if worker.done():
                log.error("the job worker stopped: %s", worker.exception() or "no reason")
                return 1
            log.info("stopping")
            return 0
        finally:
            if server is not None:
                await server.stop()
            await ticker.stop()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker


async def _run_jobs(
    app: procrastinate.App,
    jobs: RoleJobs,
    *,
    queues: Iterable[str],
    concurrency: int,
    settings: Settings,
    name: str,
) -> None:
    """procrastinate's worker: takes jobs of ``queues`` (SKIP LOCKED), hears of new ones by
    LISTEN/NOTIFY, beats its heartbeat so others can tell it is alive."""
    await app.run_worker_async(
        queues=list(queues),
        concurrency=concurrency,
        name=name,
        additional_context={RUNTIME: jobs},
        install_signal_handlers=False,
        update_heartbeat_interval=settings.worker_heartbeat_seconds,
        stalled_worker_timeout=settings.stalled_worker_seconds,
        shutdown_graceful_timeout=SHUTDOWN_GRACE,
        delete_jobs="successful",
    )
