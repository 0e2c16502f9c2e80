"""The jobs of a distributed bot, their names and locks, and how they are deferred.

Every job is named after what it is about — ``poll feed 42``, ``digest for chat 7 at
slot T`` — and deferred under that name as its *queueing lock*: however many processes
tick at once, one such job waits in the queue. Its *lock* (the feed, the chat) keeps two
jobs about the same thing from running at the same time; the second one then finds the
work done (the feed is no longer due, the slot is passed) and does nothing. The job body
is the existing code (bot.distributed.jobs), reached through the worker's context.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

log = logging.getLogger(__name__)

#: Polling and composing: what workers listen to.
WORK_QUEUE = "work"
#: Sending the outbox: what the gateway listens to (it holds the platform connections).
DELIVERY_QUEUE = "delivery"

POLL_FEED = "newsdigest.poll_feed"
COMPOSE_DIGEST = "newsdigest.compose_digest"
DELIVER = "newsdigest.deliver"
PRUNE = "newsdigest.prune"

#: The name under which the retention job's periods are recorded (one defer per period).
RETENTION_PERIOD = "retention"

#: Where a job finds the process's own code (``additional_context`` of the worker).
RUNTIME = "newsdigest"

#: The queueing locks of ``poll feed`` and ``digest`` jobs start with these.
POLL_NAME_PREFIX = "poll:feed:"
DIGEST_NAME_PREFIX = "digest:chat:"

#: Every queueing lock of one kind of job that is waiting or running. A job that runs
#: keeps its name on its row (procrastinate's unique index covers waiting jobs only).
_NAMES_IN_QUEUE = """
SELECT queueing_lock FROM procrastinate_jobs
WHERE status IN ('todo', 'doing') AND starts_with(queueing_lock, %(prefix)s)
"""


def poll_name(feed_id: int) -> str:
    """The queueing lock of the ``poll feed`` job of ``feed_id``."""
    return f"{POLL_NAME_PREFIX}{feed_id}"


def digest_name(chat_pk: int, slot: datetime | None) -> str:
    """The queueing lock of a chat's digest job for ``slot`` (None: its instant one)."""
    when = "instant" if slot is None else slot.isoformat()
    return f"{DIGEST_NAME_PREFIX}{chat_pk}:{when}"


class Runtime(Protocol):
    """What a process offers the jobs it runs (bot.distributed.jobs)."""

    async def poll_feed(self, feed_id: int) -> None: ...

    async def compose_digest(self, chat_pk: int, slot: str | None) -> None: ...

    async def deliver(self) -> None: ...

    async def prune(self) -> None: ...


def _runtime(context: procrastinate.JobContext) -> Runtime:
    runtime: Runtime = context.additional_context[RUNTIME]
    return runtime


def register_tasks(app: procrastinate.App) -> None:
    """Declare the bot's tasks on ``app`` (one App per process; tests open several)."""

    @app.task(name=POLL_FEED, queue=WORK_QUEUE, pass_context=True)
    async def poll_feed(context: procrastinate.JobContext, feed_id: int) -> None:
        await _runtime(context).poll_feed(feed_id)

    @app.task(name=COMPOSE_DIGEST, queue=WORK_QUEUE, pass_context=True)
    async def compose_digest(
        context: procrastinate.JobContext, chat_pk: int, slot: str | None
    ) -> None:
        await _runtime(context).compose_digest(chat_pk, slot)

    @app.task(name=DELIVER, queue=DELIVERY_QUEUE, pass_context=True)
    async def deliver(context: procrastinate.JobContext) -> None:
        await _runtime(context).deliver()

    @app.task(name=PRUNE, queue=WORK_QUEUE, pass_context=True)
    async def prune(context: procrastinate.JobContext, timestamp: int | None = None) -> None:
        await _runtime(context).prune()


class JobQueue:
    """Defers the bot's jobs; a job already waiting under the same name is not added."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def poll_feed(self, feed_id: int) -> bool:
        return await self._defer(
            POLL_FEED, poll_name(feed_id), lock=f"feed:{feed_id}", feed_id=feed_id
        )

    async def compose_digest(self, chat_pk: int, slot: datetime | None) -> bool:
        """A timed slot's digest, or (``slot`` None) an `instant` chat's new stories."""
        when = None if slot is None else slot.isoformat()
        return await self._defer(
            COMPOSE_DIGEST,
            digest_name(chat_pk, slot),
            lock=f"chat:{chat_pk}",
            chat_pk=chat_pk,
            slot=when,
        )

    async def deliver(self) -> bool:
        """Ask the gateway to send the outbox now (it also sends it on its own timer)."""
        return await self._defer(DELIVER, "deliver", lock="deliver")

    async def prune(self, period_start: int) -> bool:
        """The retention job of the period that began at ``period_start`` (Unix time),
        unless a process queued it already; True when this call queued it.

        Why not the queueing lock alone: it keeps one prune *waiting*, so workers whose
        timers run at different moments would each queue one per period, one after the
        other. procrastinate's record of periodic defers (unique per task and timestamp)
        lets one process of the deployment queue it per period, ever.
        """
        deferrer = self.app.configure_task(
            PRUNE, queueing_lock="prune", lock="prune", allow_unknown=False
        )
        job = deferrer.make_new_job(timestamp=period_start)
        try:
            job_id = await self.app.job_manager.defer_periodic_job(
                job, periodic_id=RETENTION_PERIOD, defer_timestamp=period_start
            )
        except AlreadyEnqueued:  # the last period's is still waiting: it will do
            return False
        return job_id is not None

    async def names_in_queue(self, prefix: str) -> set[str]:
        """The names (queueing locks) starting with ``prefix`` of the jobs waiting or
        running, in one query.

        Why: a tick with thousands of due feeds whose jobs are already queued would
        otherwise try each again and be refused one by one by the queueing lock (an
        INSERT and a round trip per feed). A job running now is left alone too: it is
        doing the work (a stalled one is queued again by the recovery tick). The
        queueing lock stays the guarantee against two processes ticking together.
        """
        rows = await self.app.connector.execute_query_all_async(_NAMES_IN_QUEUE, prefix=prefix)
        return {row["queueing_lock"] for row in rows}

    async def depth(self) -> dict[tuple[str, str], int]:
        """Jobs waiting (todo) and running (doing) per (queue, status): the queue depth
        /metrics reports. Successful jobs are deleted, so this reads a small table."""
        depth: dict[tuple[str, str], int] = {}
        for queue in (WORK_QUEUE, DELIVERY_QUEUE):
            for status in ("todo", "doing"):
                depth[(queue, status)] = 0
        for row in await self.app.job_manager.list_queues_async():
            for status in ("todo", "doing"):
                depth[(str(row["name"]), status)] = int(row[status])
        return depth

    async def _defer(self, task: str, name: str, *, lock: str, **kwargs: int | str | None) -> bool:
        """True when this call queued the job, False when one was already waiting."""
        try:
            await self.app.configure_task(
                task, queueing_lock=name, lock=lock, allow_unknown=False
            ).defer_async(**kwargs)
        except AlreadyEnqueued:
            return False
        return True
