"""The outbox: replies written to the database first, sent by a platform second.

Why: a digest that was composed must survive a crash or a restart, and must not be sent
twice. Each row is unique per (chat, slot). The sender marks a row sent only after the
platform accepted every message of it, and records each message of a split reply as it
is accepted: a retry or a restart resumes at the first message not yet taken, so the
worst a crash can do is repeat the one message that was being sent at that moment (the
bound documented in the README).

Order: a chat's rows go out oldest first, and a row waiting for its retry time holds back
the chat's later rows, so a reader never gets Tuesday's digest before Monday's. Failures
are settled by one policy for every platform (bot.delivery.policy): retried with a
back-off, given up on after a cap or at once when refused for good, or kept while the chat
is paused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.delivery.payloads import payload_to_reply
from bot.delivery.policy import DeliveryRecorder
from bot.models import PendingDelivery
from bot.platforms.base import DeliveryError, DeliveryProblem, Platform
from bot.store.repository import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # paused chats, platforms not running, rows waiting for their retry


class OutboxSender:
    """Sends pending deliveries through the running platforms, one batch at a time."""

    def __init__(
        self,
        store: Store,
        platforms: Mapping[str, Platform],
        *,
        clock: Callable[[], datetime],
        concurrency: int = 16,
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.clock = clock
        self.concurrency = concurrency
        self.recorder = DeliveryRecorder(store, clock=clock)
        self._lock = asyncio.Lock()  # one batch at a time: no row is sent by two tasks

    async def deliver_pending(self) -> DeliveryReport:
        async with self._lock:
            report = DeliveryReport()
            pending = await self.store.pending_deliveries()
            limit = asyncio.Semaphore(self.concurrency)
            by_chat: dict[int, list[PendingDelivery]] = {}
            for delivery in pending:
                by_chat.setdefault(delivery.chat.pk, []).append(delivery)

            async def deliver_in_order(rows: list[PendingDelivery]) -> None:
                async with limit:  # one chat's deliveries in order, chats in parallel
                    for index, delivery in enumerate(rows):
                        if not await self._deliver(delivery, report):
                            report.skipped += len(rows) - index - 1
                            return

            await asyncio.gather(*(deliver_in_order(rows) for rows in by_chat.values()))
            if pending:
                log.info(
                    "delivery batch: pending=%d sent=%d failed=%d skipped=%d",
                    len(pending),
                    report.sent,
                    report.failed,
                    report.skipped,
                )
            return report

    async def _deliver(self, delivery: PendingDelivery, report: DeliveryReport) -> bool:
        """Try one row; False when the chat's later rows must wait (order is kept)."""
        chat = delivery.chat
        platform = self.platforms.get(chat.target.platform)
        due = delivery.next_attempt_at is None or delivery.next_attempt_at <= self.clock()
        if platform is None or not chat.active or not due:
            report.skipped += 1
            return False
        progress = self.recorder.progress(
            delivery.id, done=delivery.parts_sent, ids=delivery.message_ids
        )
        try:
            ids = await platform.send(
                chat.target, payload_to_reply(delivery.payload), progress=progress
            )
        except Exception as exc:
            report.failed += 1
            error = self._classified(delivery, exc)
            decision = await self.recorder.failed(
                chat.target, error, delivery_id=delivery.id, attempts=delivery.attempts
            )
            return decision.give_up  # a row given up on no longer holds the others back
        await self.recorder.delivered(delivery.id, [*delivery.message_ids, *ids])
        report.sent += 1
        return True

    @staticmethod
    def _classified(delivery: PendingDelivery, exc: Exception) -> DeliveryError:
        """The adapter's classification, or "retry later" for anything it did not expect.

        An unexpected error gets its stack trace logged on the first attempt only: a row
        that keeps failing the same way must not fill the log every minute.
        """
        if isinstance(exc, DeliveryError):
            return exc
        target = delivery.chat.target
        if delivery.attempts == 0:
            log.exception("delivery %s to %s failed unexpectedly", delivery.id, target)
        return DeliveryError(target, DeliveryProblem.RETRY_LATER, f"{type(exc).__name__}: {exc}")
