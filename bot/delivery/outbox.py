"""The outbox: replies written to the database first, sent by a platform second.

Why: a digest that was composed must survive a crash or a restart, and must not be sent
twice. Each row is unique per (chat, slot). The sender marks a row sent only after the
platform accepted every message of it, and records each message of a split reply as it
is accepted: a retry or a restart resumes at the first message not yet taken, so the
worst a crash can do is repeat the one message that was being sent at that moment (the
bound documented in the README).

Several processes: bot processes sharing one database each run a sender. A sender claims
a row (an expiring mark, set by one conditional UPDATE) before sending it, so exactly one
process sends each row; a claim of a process that died expires after CLAIM_FOR and the
row, resumed at its first unsent message, goes out from another process.

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
from datetime import datetime, timedelta

from bot.delivery.payloads import payload_to_reply
from bot.delivery.policy import DeliveryRecorder
from bot.models import PendingDelivery
from bot.platforms.base import DeliveryError, DeliveryProblem, Platform
from bot.store.repository import Store

log = logging.getLogger(__name__)

#: How long a sender keeps a row to itself, renewed with each message it gets accepted;
#: after that, a row whose sender died is another process's to send.
CLAIM_FOR = timedelta(minutes=15)


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

    async def _deliver(self, listed: PendingDelivery, report: DeliveryReport) -> bool:
        """Try one row; False when the chat's later rows must wait (order is kept).

        The row is claimed first (bot.store: one conditional UPDATE): when another process
        is sending it, or it is not due any more, this one leaves it and the chat's later
        rows alone. The claimed row is the current one (attempts, parts already sent).
        """
        chat = listed.chat
        platform = self.platforms.get(chat.target.platform)
        now = self.clock()
        due = listed.next_attempt_at is None or listed.next_attempt_at <= now
        if platform is None or not chat.active or not due:
            report.skipped += 1
            return False
        delivery = await self.store.claim_delivery(listed.id, now=now, until=now + CLAIM_FOR)
        if delivery is None:  # another process has it, or it was settled meanwhile
            report.skipped += 1
            return False
        progress = self.recorder.progress(
            delivery.id, done=delivery.parts_sent, ids=delivery.message_ids, claim_for=CLAIM_FOR
        )
        target = delivery.chat.target
        try:
            ids = await platform.send(target, payload_to_reply(delivery.payload), progress=progress)
        except Exception as exc:
            report.failed += 1
            error = self._classified(delivery, exc)
            decision = await self.recorder.failed(
                target, error, delivery_id=delivery.id, attempts=delivery.attempts
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
