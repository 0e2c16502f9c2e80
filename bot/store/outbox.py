"""The outbox: composed digests and replies waiting to be sent, sent, or given up on.

A digest is committed in one transaction with the stories it marks seen (the chat's row
locked first, stories another writer showed refused), so it survives a crash and is never
shown twice; bot.delivery.outbox sends the rows and bot.delivery.policy settles failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import (
    DeliveryCounts,
    PendingDelivery,
)
from bot.store.articles import add_seen
from bot.store.base import StoreBase, affected_rows
from bot.store.rows import chat_model
from bot.store.tables import (
    ERROR_CHARS,
    ChatRow,
    ChatSeenRow,
    DeliveryRow,
)
from bot.store.values import clean_json, clean_text, clipped

#: Delivery states: waiting to be sent (maybe after a back-off), sent, given up on.
PENDING, SENT, FAILED = "pending", "sent", "failed"


class StoriesAlreadyShownError(Exception):
    """Another digest (another task or process) showed some of these stories first.

    Raised by :meth:`Store.commit_digest` with nothing written: the caller composes again
    from what is still unseen, so no story reaches a chat twice.
    """


def _pending(delivery: DeliveryRow, chat: ChatRow) -> PendingDelivery:
    return PendingDelivery(
        id=delivery.id,
        chat=chat_model(chat),
        slot=delivery.slot,
        payload=dict(delivery.payload or {}),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_error=delivery.last_error,
        parts_sent=delivery.parts_sent or 0,
        message_ids=tuple(str(i) for i in (delivery.message_ids or {}).get("ids", [])),
    )


class OutboxRepository(StoreBase):
    async def commit_digest(
        self,
        chat_pk: int,
        slot: str,
        payload: dict[str, Any],
        article_ids: Sequence[int],
        *,
        now: datetime,
        slot_time: datetime | None = None,
        not_before: datetime | None = None,
    ) -> int | None:
        """In one transaction: outbox row, articles marked seen, the chat's last slot.

        Either all of it happens or none, so a crash can neither lose a composed digest
        nor show its stories twice. The chat's row is locked first (a row lock on
        PostgreSQL, the write lock on SQLite), so two writers, in one process or two,
        take turns; when any of ``article_ids`` was marked seen in between, nothing is
        written and StoriesAlreadyShownError asks the caller to compose again. None when
        this slot was already enqueued. ``not_before`` keeps the outbox sender away from
        the row until then (a /digest answer the command itself is sending).
        """
        ids = list(dict.fromkeys(article_ids))
        async with self.session() as session:
            await session.execute(
                update(ChatRow)
                .where(ChatRow.id == chat_pk)
                .values(last_digest_at=ChatRow.last_digest_at)
                .execution_options(synchronize_session=False)
            )
            for start in range(0, len(ids), 500):
                taken = await session.scalar(
                    select(func.count())
                    .select_from(ChatSeenRow)
                    .where(
                        ChatSeenRow.chat_pk == chat_pk,
                        ChatSeenRow.article_id.in_(ids[start : start + 500]),
                    )
                )
                if taken:
                    await session.rollback()
                    raise StoriesAlreadyShownError(f"chat {chat_pk}: {taken} stories shown already")
            row = DeliveryRow(
                chat_pk=chat_pk,
                slot=clipped(slot, 128) or "-",
                payload=clean_json(payload),
                created_at=now,
                next_attempt_at=not_before,
            )
            try:
                async with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                await session.rollback()
                return None
            await add_seen(session, chat_pk, ids, now)
            if slot_time is not None:
                await session.execute(
                    update(ChatRow).where(ChatRow.id == chat_pk).values(last_digest_at=slot_time)
                )
            await session.commit()
            return row.id

    async def pending_deliveries(self, chat_pk: int | None = None) -> list[PendingDelivery]:
        """Every delivery not yet sent nor given up on (of one chat, if given), oldest first."""
        query = (
            select(DeliveryRow, ChatRow)
            .join(ChatRow, ChatRow.id == DeliveryRow.chat_pk)
            .where(DeliveryRow.status == PENDING)
            .order_by(DeliveryRow.id)
        )
        if chat_pk is not None:
            query = query.where(DeliveryRow.chat_pk == chat_pk)
        async with self.session() as session:
            rows = await session.execute(query)
            return [_pending(delivery, chat) for delivery, chat in rows.all()]

    async def oldest_due_since(self, now: datetime) -> datetime | None:
        """Since when the longest-waiting sendable delivery has been due (None: none is).

        Sendable: pending, its chat active, its back-off (or a command's grace) over; due
        since that back-off ended, or since it was written. Paused chats' rows wait by
        design and are left out. The outbox lag of /metrics is ``now`` minus this.
        """
        due_since = func.coalesce(DeliveryRow.next_attempt_at, DeliveryRow.created_at)
        query = (
            select(func.min(due_since))
            .join(ChatRow, ChatRow.id == DeliveryRow.chat_pk)
            .where(
                DeliveryRow.status == PENDING,
                ChatRow.active.is_(True),
                or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
            )
        )
        async with self.session() as session:
            oldest: datetime | None = await session.scalar(query)
        return oldest

    async def claim_delivery(
        self, delivery_id: int, *, now: datetime, until: datetime
    ) -> PendingDelivery | None:
        """Take a row for sending until ``until``; None when it is not this caller's to send.

        One conditional UPDATE, so of several senders (processes) exactly one wins: the
        row must still be pending, due (its back-off or command grace over), its chat
        active, and nobody else's claim standing (a claim of a process that died expires).
        Returns the row as it is now (its attempts and parts sent by whoever tried before).
        """
        async with self.session() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery_id,
                    DeliveryRow.status == PENDING,
                    or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
                    or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until <= now),
                    DeliveryRow.chat_pk.in_(select(ChatRow.id).where(ChatRow.active)),
                )
                .values(claimed_until=until)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                await session.rollback()
                return None
            delivery, chat = (
                await session.execute(
                    select(DeliveryRow, ChatRow)
                    .join(ChatRow, ChatRow.id == DeliveryRow.chat_pk)
                    .where(DeliveryRow.id == delivery_id)
                )
            ).one()
            claimed = _pending(delivery, chat)
            await session.commit()
            return claimed

    async def retry_now(self, chat_pk: int, *, now: datetime) -> int:
        """Make the chat's deliveries waiting out a back-off due now; returns how many.

        Only rows that failed (they have an error) are touched: a /digest answer that its
        command is sending right now keeps the grace that keeps the outbox away from it.
        """
        async with self.session() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.chat_pk == chat_pk,
                    DeliveryRow.status == PENDING,
                    DeliveryRow.last_error.is_not(None),
                    DeliveryRow.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
            )
            await session.commit()
            return affected_rows(result)

    async def mark_delivered(
        self, delivery_id: int, *, now: datetime, message_ids: Sequence[str]
    ) -> None:
        async with self.session() as session:
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status=SENT,
                    sent_at=now,
                    message_ids={"ids": [clean_text(str(i)) for i in message_ids]},
                    attempts=DeliveryRow.attempts + 1,
                    next_attempt_at=None,
                    claimed_until=None,
                )
            )
            await session.commit()

    async def record_parts_sent(
        self,
        delivery_id: int,
        *,
        parts: int,
        message_ids: Sequence[str],
        claimed_until: datetime | None = None,
    ) -> None:
        """The platform accepted ``parts`` messages of this reply: a retry starts after them.

        ``claimed_until`` renews the sender's claim: a long reply is still being sent.
        """
        values: dict[str, Any] = {
            "parts_sent": parts,
            "message_ids": {"ids": [clean_text(str(i)) for i in message_ids]},
        }
        if claimed_until is not None:
            values["claimed_until"] = claimed_until
        async with self.session() as session:
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.status == PENDING)
                .values(**values)
            )
            await session.commit()

    async def record_delivery_failure(
        self,
        delivery_id: int,
        *,
        error: str,
        retry_at: datetime | None,
        give_up: bool = False,
        count_attempt: bool = True,
    ) -> None:
        """A failed attempt: wait until ``retry_at``, or mark the delivery failed for good.

        ``count_attempt=False`` is for refusals that say nothing about this delivery (the
        chat blocked the bot): the row waits for the chat to come back without using up
        its attempts.
        """
        values: dict[str, Any] = {
            "last_error": clipped(error, ERROR_CHARS) or "unknown error",
            "next_attempt_at": retry_at,
            "claimed_until": None,  # settled: the next attempt is anyone's
        }
        if count_attempt:
            values["attempts"] = DeliveryRow.attempts + 1
        if give_up:
            values["status"] = FAILED
        async with self.session() as session:
            await session.execute(
                update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values)
            )
            await session.commit()

    async def delivery_counts(self) -> DeliveryCounts:
        """The one definition of the outbox's states, for `main.py status` and /stats."""
        async with self.session() as session:
            rows = await session.execute(
                select(DeliveryRow.status, DeliveryRow.attempts, func.count()).group_by(
                    DeliveryRow.status, DeliveryRow.attempts
                )
            )
            counts = DeliveryCounts()
            for status, attempts, number in rows.all():
                if status == SENT:
                    counts.sent += number
                elif status == FAILED:
                    counts.failed += number
                elif attempts:
                    counts.retrying += number
                else:
                    counts.waiting += number
            return counts
