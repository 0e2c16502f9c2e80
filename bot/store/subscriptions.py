"""Subscriptions and filters: which feeds a chat follows, under which name, with which rules.

A new subscription stores the feed's newest entry as its watermark, so the backlog present
when a chat subscribes is never dumped into its first digest.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import (
    FilterRule,
    Subscription,
)
from bot.store.base import StoreBase, affected_rows
from bot.store.rows import feed_model, filter_model
from bot.store.tables import (
    CUSTOM_TITLE_CHARS,
    FeedEntryRow,
    FeedRow,
    FilterRow,
    SubscriptionRow,
)
from bot.store.values import clean_text, clipped


class SubscriptionsRepository(StoreBase):
    async def subscribe(
        self, chat_pk: int, feed_id: int, *, custom_title: str | None = None
    ) -> tuple[Subscription, bool]:
        """Subscribe a chat; returns the subscription and whether it is new.

        The watermark is the feed's newest entry at this moment, so the backlog a feed
        carried before the chat subscribed is never dumped into its first digest.
        """
        async with self.session() as session:
            existing = await session.scalar(
                select(SubscriptionRow).where(
                    SubscriptionRow.chat_pk == chat_pk, SubscriptionRow.feed_id == feed_id
                )
            )
            created = existing is None
            if created:
                watermark = await session.scalar(
                    select(func.coalesce(func.max(FeedEntryRow.id), 0)).where(
                        FeedEntryRow.feed_id == feed_id
                    )
                )
                session.add(
                    SubscriptionRow(
                        chat_pk=chat_pk,
                        feed_id=feed_id,
                        start_entry_id=watermark,
                        custom_title=clipped(custom_title, CUSTOM_TITLE_CHARS),
                    )
                )
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    created = False
        subscriptions = await self.list_subscriptions(chat_pk)
        subscription = next(s for s in subscriptions if s.feed.id == feed_id)
        return subscription, created

    async def list_subscriptions(self, chat_pk: int) -> list[Subscription]:
        """A chat's subscriptions in the order they were added, numbered from 1."""
        async with self.session() as session:
            rows = await session.execute(
                select(SubscriptionRow, FeedRow)
                .join(FeedRow, FeedRow.id == SubscriptionRow.feed_id)
                .where(SubscriptionRow.chat_pk == chat_pk)
                .order_by(SubscriptionRow.created_at, SubscriptionRow.id)
            )
            return [
                Subscription(
                    id=sub.id,
                    position=index,
                    feed=feed_model(feed),
                    custom_title=sub.custom_title,
                    muted=sub.muted,
                )
                for index, (sub, feed) in enumerate(rows.all(), start=1)
            ]

    async def unsubscribe(self, subscription_id: int) -> bool:
        async with self.session() as session:
            result = await session.execute(
                delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id)
            )
            await session.commit()
            return bool(affected_rows(result))

    async def unsubscribe_many(self, chat_pk: int, subscription_ids: Iterable[int]) -> set[int]:
        """Remove these subscriptions of this chat at once; returns the ids that were there.

        Why the chat in the condition: the ids come from a chat's own list (or a button
        made from it), and must never reach another chat's subscriptions.
        """
        wanted = set(subscription_ids)
        if not wanted:
            return set()
        async with self.session() as session:
            present = set(
                await session.scalars(
                    select(SubscriptionRow.id).where(
                        SubscriptionRow.chat_pk == chat_pk, SubscriptionRow.id.in_(wanted)
                    )
                )
            )
            if present:
                await session.execute(
                    delete(SubscriptionRow).where(SubscriptionRow.id.in_(present))
                )
            await session.commit()
            return present

    async def set_muted(self, subscription_id: int, muted: bool) -> bool:
        """Mute or unmute a subscription; False when it no longer exists.

        Unmuting moves the watermark to the feed's newest entry, as a new subscription
        does: what arrived while the feed was muted stays out of the next digest, so
        unmuting does not flood the chat.
        """
        async with self.session() as session:
            row = await session.get(SubscriptionRow, subscription_id)
            if row is None:
                return False
            if row.muted != muted and not muted:
                newest = await session.scalar(
                    select(func.coalesce(func.max(FeedEntryRow.id), 0)).where(
                        FeedEntryRow.feed_id == row.feed_id
                    )
                )
                row.start_entry_id = max(row.start_entry_id, int(newest or 0))
            row.muted = muted
            await session.commit()
            return True

    async def rename_subscription(self, subscription_id: int, title: str | None) -> bool:
        """Set the title a chat sees for a feed (None: back to the feed's own title)."""
        async with self.session() as session:
            result = await session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.id == subscription_id)
                .values(custom_title=clipped(title, CUSTOM_TITLE_CHARS))
            )
            await session.commit()
            return bool(affected_rows(result))

    async def add_filter(
        self,
        chat_pk: int,
        *,
        kind: str,
        pattern: str,
        is_regex: bool,
        subscription_id: int | None = None,
    ) -> FilterRule:
        """Store a rule already validated by bot.digest.filters.parse_rule_text."""
        async with self.session() as session:
            row = FilterRow(
                chat_pk=chat_pk,
                subscription_id=subscription_id,
                kind=kind,
                pattern=clean_text(pattern),
                is_regex=is_regex,
                created_at=self.clock(),
            )
            session.add(row)
            await session.commit()
            return filter_model(row)

    async def list_filters(self, chat_pk: int) -> list[FilterRule]:
        """A chat's rules, oldest first: the order /filter list numbers them in."""
        async with self.session() as session:
            rows = await session.scalars(
                select(FilterRow).where(FilterRow.chat_pk == chat_pk).order_by(FilterRow.id)
            )
            return [filter_model(row) for row in rows]

    async def remove_filter(self, chat_pk: int, filter_id: int) -> bool:
        async with self.session() as session:
            result = await session.execute(
                delete(FilterRow).where(FilterRow.id == filter_id, FilterRow.chat_pk == chat_pk)
            )
            await session.commit()
            return bool(affected_rows(result))
