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

#: Where a job finds the process's own code (``additional_context`` of the worker).
RUNTIME = "newsdigest"


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
    async def prune(context: procrastinate.JobContext) -> None:
        await _runtime(context).prune()


class JobQueue:
    """Defers the bot's jobs; a job already waiting under the same name is not added."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def poll_feed(self, feed_id: int) -> bool:
        return await self._defer(
            POLL_FEED, f"poll:feed:{feed_id}", lock=f"feed:{feed_id}", feed_id=feed_id
        )

    async def compose_digest(self, chat_pk: int, slot: datetime | None) -> bool:
        """A timed slot's digest, or (``slot`` None) an `instant` chat's new stories."""
        when = None if slot is None else slot.isoformat()
        return await self._defer(
            COMPOSE_DIGEST,
            f"digest:chat:{chat_pk}:{when or 'instant'}",
            lock=f"chat:{chat_pk}",
            chat_pk=chat_pk,
            slot=when,
        )

    async def deliver(self) -> bool:
        """Ask the gateway to send the outbox now (it also sends it on its own timer)."""
        return await self._defer(DELIVER, "deliver", lock="deliver")

    async def prune(self) -> bool:
        return await self._defer(PRUNE, "prune", lock="prune")

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
