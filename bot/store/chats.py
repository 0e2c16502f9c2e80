"""Chats: the targets digests go to, their settings, pause state and identity changes.

A chat is (platform, chat id, thread id); it is created on first contact and never deleted
by the bot itself (a chat that cannot be reached is paused, bot.delivery.policy). A Telegram
group that becomes a supergroup keeps everything it had (`move_chat`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Chat,
    ChatTarget,
)
from bot.store.base import StoreBase, affected_rows
from bot.store.rows import chat_model
from bot.store.tables import (
    ChatRow,
    ChatSeenRow,
    DeliveryRow,
    FilterRow,
    SubscriptionRow,
)
from bot.store.values import clean_json


class ChatsRepository(StoreBase):

    async def get_or_create_chat(self, target: ChatTarget, *, timezone: str | None = None) -> Chat:
        """The stored chat for a target, created on first contact."""
        async with self.session() as session:
            row = await self._find_chat_row(session, target)
            if row is not None:
                return chat_model(row)
            row = ChatRow(
                platform=target.platform,
                chat_id=target.chat_id,
                thread_id=target.thread_id,
                timezone=timezone,
                settings={},
                created_at=self.clock(),
                last_digest_at=self.clock(),  # scheduled digests start from first contact
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:  # created concurrently by another task: use that one
                await session.rollback()
                row = await self._find_chat_row(session, target)
                assert row is not None
            return chat_model(row)

    async def get_chat(self, chat_pk: int) -> Chat | None:
        """A chat by its key, as it is now (a job reads it again when it runs)."""
        async with self.session() as session:
            row = await session.get(ChatRow, chat_pk)
            return None if row is None else chat_model(row)

    async def find_chat(self, target: ChatTarget) -> Chat | None:
        async with self.session() as session:
            row = await self._find_chat_row(session, target)
            return chat_model(row) if row else None

    async def set_chat_active(self, target: ChatTarget, active: bool) -> bool:
        """Pause (bot blocked/kicked) or resume a chat; returns whether anything changed."""
        async with self.session() as session:
            result = await session.execute(
                update(ChatRow)
                .where(
                    ChatRow.platform == target.platform,
                    ChatRow.chat_id == target.chat_id,
                    ChatRow.active.is_not(active),
                )
                .values(active=active)
            )
            await session.commit()
            return bool(affected_rows(result))

    async def list_chats(
        self, *, active_only: bool = True, platforms: Collection[str] | None = None
    ) -> list[Chat]:
        """Chats in creation order; ``platforms`` keeps only those of running platforms."""
        query = select(ChatRow).order_by(ChatRow.id)
        if active_only:
            query = query.where(ChatRow.active.is_(True))
        if platforms is not None:
            query = query.where(ChatRow.platform.in_(list(platforms)))
        async with self.session() as session:
            return [chat_model(row) for row in await session.scalars(query)]

    async def update_chat_settings(
        self,
        chat_pk: int,
        *,
        changes: dict[str, Any] | None = None,
        timezone: str | None = None,
        last_digest_at: datetime | None = None,
    ) -> Chat:
        """Merge settings changes; a new schedule or zone restarts the catch-up window."""
        async with self.session() as session:
            row = await session.get(ChatRow, chat_pk)
            if row is None:
                raise LookupError(f"no chat {chat_pk}")
            if changes:
                row.settings = {**(row.settings or {}), **clean_json(changes)}
            if timezone is not None:
                row.timezone = timezone
            if last_digest_at is not None:
                row.last_digest_at = last_digest_at
            await session.commit()
            return chat_model(row)

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed id (Telegram group → supergroup): keep everything it had.

        If the new id already has a row (the bot saw it first), the old chat is merged into
        it (see `_merge_chat`) and the old row is removed, all in one transaction.
        """
        async with self.session() as session:
            old_rows = (
                await session.scalars(
                    select(ChatRow).where(
                        ChatRow.platform == platform, ChatRow.chat_id == old_chat_id
                    )
                )
            ).all()
            for old in old_rows:
                new = await self._find_chat_row(
                    session, ChatTarget(platform, new_chat_id, old.thread_id)
                )
                if new is None:
                    old.chat_id = new_chat_id
                    continue
                await self._merge_chat(session, old, new)
                await session.delete(old)
            await session.commit()

    @staticmethod
    async def _merge_chat(session: AsyncSession, old: ChatRow, new: ChatRow) -> None:
        """Move what the old chat owns onto `new` before the old row (and its cascade) goes.

        Precedence: `new` is what the chat is now called, so where both have a value, its
        own wins; the old chat fills in what it lacks. That covers subscriptions (one per
        feed; a missing custom title is taken over), filters (per-feed rules follow the
        surviving subscription of their feed; exact duplicates are dropped), seen marks (so
        no story comes twice), outbox rows (unless `new` has the same slot), the settings
        JSON (`_fill_in`) and the time zone; `last_digest_at` is the later one.
        """
        survivors = {
            row.feed_id: row
            for row in await session.scalars(
                select(SubscriptionRow).where(SubscriptionRow.chat_pk == new.id)
            )
        }
        same_feed: dict[int, int] = {}  # old subscription id -> surviving one
        for row in await session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.chat_pk == old.id)
        ):
            twin = survivors.get(row.feed_id)
            if twin is None:
                row.chat_pk = new.id
                continue
            same_feed[row.id] = twin.id
            twin.custom_title = twin.custom_title or row.custom_title
        await session.flush()

        rules = (
            await session.scalars(
                select(FilterRow)
                .where(FilterRow.chat_pk.in_([old.id, new.id]))
                .order_by(FilterRow.chat_pk != new.id, FilterRow.id)  # survivor's first
            )
        ).all()
        kept: set[tuple[str, str, bool, int | None]] = set()
        for rule in rules:
            if rule.chat_pk == old.id:
                rule.chat_pk = new.id
                if rule.subscription_id in same_feed:
                    rule.subscription_id = same_feed[rule.subscription_id]
            key = (rule.kind, rule.pattern, rule.is_regex, rule.subscription_id)
            if key in kept:
                await session.delete(rule)
            kept.add(key)
        await session.flush()

        for table, column in (
            (ChatSeenRow, ChatSeenRow.article_id),
            (DeliveryRow, DeliveryRow.slot),
        ):
            await session.execute(
                update(table)
                .where(
                    table.chat_pk == old.id,
                    column.not_in(select(column).where(table.chat_pk == new.id)),
                )
                .values(chat_pk=new.id)
                .execution_options(synchronize_session=False)
            )

        new.settings = _fill_in(new.settings or {}, old.settings or {})
        new.timezone = new.timezone or old.timezone
        if old.last_digest_at and (
            new.last_digest_at is None or old.last_digest_at > new.last_digest_at
        ):
            new.last_digest_at = old.last_digest_at

    @staticmethod
    async def _find_chat_row(session: AsyncSession, target: ChatTarget) -> ChatRow | None:
        return await session.scalar(
            select(ChatRow).where(
                ChatRow.platform == target.platform,
                ChatRow.chat_id == target.chat_id,
                ChatRow.thread_id == target.thread_id,
            )
        )


def _fill_in(own: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """`own` with the keys it lacks taken from `other`; nested dicts are filled the same way.

    A key `own` holds wins even when its value is None: settings such as the pause pair
    (``paused_at``/``resumed_at``) are written together, so taking whole keys keeps each
    chat's pair consistent instead of mixing one chat's pause with the other's resume.
    """
    merged = dict(other) | dict(own)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(other.get(key), dict):
            merged[key] = _fill_in(value, other[key])
    return merged

