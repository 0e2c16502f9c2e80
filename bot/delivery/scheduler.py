"""The bot's clockwork: poll feeds, enqueue due digests, deliver the outbox.

APScheduler 3 (`AsyncIOScheduler`) runs three jobs in the bot's event loop; each job is a
method here that reads the injected clock, so tests call the methods directly and never
wait for real time:

- :meth:`BotScheduler.poll_feeds` — one poll cycle (bot.feeds.polling), then `instant` chats get
  the new stories right away;
- :meth:`BotScheduler.enqueue_due_digests` — for every chat whose slot has come (in its
  own time zone), the digest is written to the outbox in one transaction with the
  articles it marks seen; slots missed while the bot was down become one catch-up digest;
- :meth:`BotScheduler.deliver` — the outbox sender; it also runs once at start, so what
  was pending when the bot stopped is sent first;
- :meth:`BotScheduler.prune` — every few hours, the store forgets what no chat can be
  shown any more (bot.store.retention), so its tables stop growing.

Every job runs at most once at a time (APScheduler ``max_instances=1``, ``coalesce``).
A job never waits for one chat while others are due: a chat whose digest is being
prepared right now (its /digest, polling slow feeds) is skipped, its slot kept for the
next tick (an `instant` chat is retried at the next digest tick).
Work is done only for chats of the platforms that are running (``platforms``): a console
chat in the same database gets no digests composed and marked read behind its back. One
chat's failure never ends a job for the others: it is logged and the next chat follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from enum import Enum

from bot.delivery.outbox import DeliveryReport, OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.delivery.schedule import INSTANT, chat_schedule, chat_zone, latest_due_slot, slot_id
from bot.delivery.timers import Timers
from bot.digest.composer import DigestComposer
from bot.digest.pause import is_paused
from bot.feeds.polling import CycleReport, FeedPoller
from bot.i18n import _, chat_language, using
from bot.models import Chat, Feed, Reply
from bot.store.repository import Store, StoriesAlreadyShownError
from bot.store.retention import PruneReport, RetentionPolicy

log = logging.getLogger(__name__)

DIGEST_TITLE = "Your news digest"


class Enqueued(Enum):
    """What became of one chat's digest in a job."""

    COMMITTED = "committed"  # in the outbox
    NOTHING = "nothing"  # nothing new (or it failed): the slot passes
    BUSY = "busy"  # a digest for the chat is being prepared: try again next tick


class BotScheduler:
    """Owns the timed work of a running bot."""

    def __init__(
        self,
        store: Store,
        composer: DigestComposer,
        poller: FeedPoller,
        outbox: OutboxSender,
        *,
        clock: Callable[[], datetime],
        default_timezone: str,
        poll_every_seconds: float = 30,
        digest_check_seconds: float = 30,
        may_receive: Callable[[Chat], bool] | None = None,
        platforms: Collection[str] | None = None,
        retention: RetentionPolicy | None = None,
        prune_every_seconds: float = 6 * 3600,
    ) -> None:
        self.store = store
        self.retention = retention or RetentionPolicy()
        self.prune_every_seconds = prune_every_seconds
        # The running platforms; None (tests, tools) means every platform.
        self.platforms = None if platforms is None else frozenset(platforms)
        # NEWSDIGEST_ALLOWED_CHATS: chats outside a private deployment's list get no digests.
        self.may_receive = may_receive or (lambda chat: True)
        self.composer = composer
        self.poller = poller
        self.outbox = outbox
        self.clock = clock
        self.default_timezone = default_timezone
        self.poll_every_seconds = poll_every_seconds
        self.digest_check_seconds = digest_check_seconds
        self._timers: Timers | None = None
        # `instant` chats skipped while busy: their new stories are tried at the next tick.
        self._instant_retry: set[int] = set()

    # -- the jobs --------------------------------------------------------------------------

    async def poll_feeds(self) -> CycleReport:
        report, new_ids = await self.poller.poll_due(platforms=self.platforms)
        if new_ids:
            await self.enqueue_instant_digests()
        if new_ids or report.disabled:
            await self.deliver()
        return report

    async def enqueue_instant_digests(self) -> int:
        """Chats on `instant` get what the last poll brought, batched into one message."""
        enqueued = 0
        for chat in await self.store.list_chats(platforms=self.platforms):
            if await self._instant_or_retry(chat) is Enqueued.COMMITTED:
                enqueued += 1
        return enqueued

    async def _instant_or_retry(self, chat: Chat) -> Enqueued:
        """The chat's instant digest; when it is busy, it is tried again next tick."""
        self._instant_retry.discard(chat.pk)
        outcome = await self.instant_digest(chat)
        if outcome is Enqueued.BUSY:
            self._instant_retry.add(chat.pk)
        return outcome

    async def instant_digest(self, chat: Chat) -> Enqueued:
        """One `instant` chat's new stories into the outbox; NOTHING when it has none (or
        is not an instant chat, or is paused: its stories wait for the capped catch-up)."""
        if is_paused(chat) or chat_schedule(chat).kind != INSTANT:
            return Enqueued.NOTHING
        # Named after its first story: the same name in every process for the same
        # stories, and no other digest can hold that story.
        return await self._enqueue(chat, lambda ids: f"instant:{min(ids)}", slot_time=None)

    async def enqueue_due_digests(self) -> int:
        """Write every digest whose slot has come to the outbox; returns how many."""
        enqueued = 0
        for chat, slot in await self.due_digest_slots():
            if await self.slot_digest(chat, slot) is Enqueued.COMMITTED:
                enqueued += 1
        if enqueued:
            log.info("digests enqueued: %d", enqueued)
        return enqueued

    async def due_digest_slots(self) -> list[tuple[Chat, datetime]]:
        """Every chat whose digest slot has come, with that slot (the latest one due)."""
        now = self.clock()
        due: list[tuple[Chat, datetime]] = []
        for chat in await self.store.list_chats(platforms=self.platforms):
            slot = self.due_slot(chat, now)
            if slot is not None:
                due.append((chat, slot))
        return due

    def due_slot(self, chat: Chat, now: datetime) -> datetime | None:
        """The chat's latest slot due at ``now``; None when none is (or it is paused)."""
        schedule = chat_schedule(chat)
        if not schedule.is_timed or is_paused(chat):
            return None
        zone = chat_zone(chat, self.default_timezone)
        return latest_due_slot(schedule, zone, chat.last_digest_at, now)

    async def slot_digest(self, chat: Chat, slot: datetime) -> Enqueued:
        """The chat's digest for this slot into the outbox. NOTHING new: the slot passes
        quietly (empty digests are never sent). BUSY (a /digest is being prepared): the
        slot stays due, and the next tick tries again."""
        outcome = await self._enqueue(chat, slot_id(slot), slot_time=slot)
        if outcome is Enqueued.NOTHING:
            await self.store.update_chat_settings(chat.pk, last_digest_at=slot)
        return outcome

    async def _enqueue(
        self,
        chat: Chat,
        slot: str | Callable[[list[int]], str],
        *,
        slot_time: datetime | None,
    ) -> Enqueued:
        """Compose and commit one chat's digest, unless one is being prepared for it.

        Never waits for the chat's turn: a /digest holding it may take long (it polls the
        chat's feeds first), and every other chat due in this job would wait behind it.
        """
        if not self.may_receive(chat):
            return Enqueued.NOTHING
        try:
            async with self.composer.exclusive_if_free(chat.pk) as free:
                if not free:
                    log.info("digest for %s deferred: one is being prepared", chat.target)
                    return Enqueued.BUSY
                reply = await self.composer.commit_next(
                    chat, slot=slot, slot_time=slot_time, title=DIGEST_TITLE
                )
        except StoriesAlreadyShownError:  # another process is delivering them right now
            log.info("digest for %s left to the process delivering it", chat.target)
            return Enqueued.NOTHING
        except Exception:  # one chat's failure (a broken setting, a bug) spares the others
            log.exception("digest for %s could not be composed", chat.target)
            return Enqueued.NOTHING
        return Enqueued.NOTHING if reply is None else Enqueued.COMMITTED

    async def deliver(self) -> DeliveryReport:
        return await self.outbox.deliver_pending()

    async def digest_tick(self) -> None:
        await self.enqueue_due_digests()
        # `instant` chats that were busy when their stories came, read again by key (not
        # every chat listed to find them). One a platform refused meanwhile waits until it
        # talks to the bot again; one gone, or off the running platforms, is forgotten.
        for chat_pk in list(self._instant_retry):
            chat = await self.store.get_chat(chat_pk)
            if chat is None or not self._serves(chat):
                self._instant_retry.discard(chat_pk)
            elif chat.active:
                await self._instant_or_retry(chat)
        await self.deliver()

    def _serves(self, chat: Chat) -> bool:
        return self.platforms is None or chat.target.platform in self.platforms

    async def prune(self) -> PruneReport:
        """Forget what no chat can be shown any more; one log line with what went."""
        report = await self.store.prune(self.retention, now=self.clock())
        log.info("retention: removed %s", report.describe())
        return report

    async def notify_feed_disabled(self, feed: Feed, reason: str) -> None:
        """Each subscribed chat is told once (the outbox slot is unique per chat and feed)."""
        name = feed.title or feed.url
        for chat in await self.store.subscribers(feed.id):
            language = chat_language(chat)
            with using(language):  # each chat in its own language
                reply = Reply.error(
                    _("I stopped checking {name}: {reason}.").format(name=name, reason=reason),
                    _("Feed: {url}").format(url=feed.url),
                    _("If it works again, /subscribe to it once more to re-enable it."),
                )
            reply = replace(reply, locale=language)
            try:
                await self.store.commit_digest(
                    chat.pk,
                    f"feed-disabled:{feed.id}:{self.clock():%Y%m%d%H%M%S}",
                    reply_to_payload(reply),
                    [],
                    now=self.clock(),
                )
            except Exception:
                log.exception("could not tell %s that feed %s stopped", chat.target, feed.id)

    # -- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Send what was pending, catch up on missed slots, then start the timers."""
        await self.deliver()
        await self.digest_tick()
        timers = Timers()
        timers.every(self.poll_every_seconds, self.poll_feeds, name="poll")
        timers.every(self.digest_check_seconds, self.digest_tick, name="digests")
        # Not at start: a restart loop must not turn into a prune loop on a big database.
        timers.every(self.prune_every_seconds, self.prune, name="prune")
        timers.start()
        self._timers = timers
        log.info(
            "scheduler started: polling every %ss, digest check every %ss",
            self.poll_every_seconds,
            self.digest_check_seconds,
        )

    @property
    def running(self) -> bool:
        """Whether the timers are running (what /healthz reports)."""
        return self._timers is not None and self._timers.running

    async def stop(self) -> None:
        """No more timed work; a job still running is cancelled and waited for, so the
        store is never closed under it (bot.delivery.timers)."""
        if self._timers is not None:
            await self._timers.stop()
            self._timers = None
