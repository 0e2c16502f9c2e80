"""What each job does, with the code the single process runs.

A job may run late, twice (a stalled worker's job is retried) or after an equivalent job
(the lock makes them take turns), so each one first checks that its work is still to
do: a feed is polled only while it is due, a slot is composed only while it is due, and
the outbox commit refuses a digest twice (unique per chat and slot) and a story twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.delivery.schedule import INSTANT, chat_schedule
from bot.delivery.scheduler import BotScheduler, Enqueued
from bot.distributed.tasks import JobQueue

log = logging.getLogger(__name__)


class RoleJobs:
    """The bodies of the bot's jobs in one process (its scheduler's store, poller…)."""

    def __init__(self, scheduler: BotScheduler, queue: JobQueue) -> None:
        self.scheduler = scheduler
        self.queue = queue

    async def poll_feed(self, feed_id: int) -> None:
        """Poll one feed if it is still due; instant chats following it get a digest job."""
        scheduler = self.scheduler
        feed = await scheduler.store.get_feed(feed_id)
        if feed is None or feed.disabled:
            return
        if feed.next_poll_at is not None and feed.next_poll_at > scheduler.clock():
            log.debug("feed %s was polled meanwhile", feed_id)
            return
        report, new_ids = await scheduler.poller.poll([feed])
        if new_ids:
            for chat in await scheduler.store.subscribers(feed_id):
                serves = self._serves(chat.target.platform) and chat.active
                if serves and chat_schedule(chat).kind == INSTANT:
                    await self.queue.compose_digest(chat.pk, None)
        if report.disabled:  # its chats were told in the outbox
            await self.queue.deliver()

    async def compose_digest(self, chat_pk: int, slot: str | None) -> None:
        """The chat's digest for a slot still due (the latest due), or its instant one."""
        scheduler = self.scheduler
        chat = await scheduler.store.get_chat(chat_pk)
        if chat is None or not chat.active or not self._serves(chat.target.platform):
            return
        if slot is None:
            composed = await scheduler.instant_digest(chat)
        else:
            due = scheduler.due_slot(chat, scheduler.clock())
            if due is None or due < datetime.fromisoformat(slot):
                log.debug("digest of chat %s for %s was composed meanwhile", chat_pk, slot)
                return
            composed = await scheduler.slot_digest(chat, due)
        if composed is Enqueued.COMMITTED:
            await self.queue.deliver()

    async def deliver(self) -> None:
        await self.scheduler.deliver()

    async def prune(self) -> None:
        await self.scheduler.prune()

    def _serves(self, platform: str) -> bool:
        platforms = self.scheduler.platforms
        return platforms is None or platform in platforms
