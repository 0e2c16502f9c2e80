"""Bounded tables: what the bot may forget, and when.

Without pruning, ``feed_entries``, ``articles``, ``chat_seen`` and ``deliveries`` grow by
every item every feed ever carried and every digest ever sent. What may go, and why it is
safe:

- **A feed entry** (the memory that a feed carried an item) once it is older than
  ``max_age`` *and* not among the newest ``keep_per_feed`` entries of its feed *and* no
  subscribed chat can still be shown its article. The newest-per-feed guard is what keeps
  a forgotten item from coming back as new: an item is forgotten only after its feed has
  carried ``keep_per_feed`` newer ones, far more than any feed document lists at once.
- **An article** once no feed entry refers to it any more (with it go the chats' marks
  that they saw it: nothing can show it again).
- **A delivery** once it was sent ``sent_days`` ago, or given up on ``failed_days`` ago.
  Its slot is long past, so the scheduler never composes it again.

Each step deletes in bounded batches, each batch its own short transaction, so a first
prune of a large database never holds a long lock. The same statements run on SQLite and
PostgreSQL (window functions and correlated EXISTS exist in both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.base import StoreBase, affected_rows
from bot.store.outbox import FAILED, SENT
from bot.store.tables import (
    ArticleRow,
    ChatRow,
    ChatSeenRow,
    DeliveryRow,
    FeedEntryRow,
    FeedRow,
    FilterRow,
    SubscriptionRow,
)

#: Rows deleted per transaction.
BATCH = 1000
#: Feeds whose entries are ranked in one query (and whose forgettable ids are held at once).
FEEDS_PER_QUERY = 50
#: The tables `main.py status` reports, in the order it shows them.
SIZED_TABLES = (
    ChatRow,
    FeedRow,
    SubscriptionRow,
    FilterRow,
    ArticleRow,
    FeedEntryRow,
    ChatSeenRow,
    DeliveryRow,
)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long the store keeps what it no longer needs (0 days: keep forever)."""

    max_age_days: int = 60
    keep_per_feed: int = 1000
    sent_days: int = 30
    failed_days: int = 90


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one prune removed."""

    entries: int = 0
    articles: int = 0
    seen_marks: int = 0
    deliveries: int = 0

    def describe(self) -> str:
        return (
            f"{self.entries} feed entries, {self.articles} articles, "
            f"{self.seen_marks} seen marks, {self.deliveries} deliveries"
        )


@dataclass(frozen=True, slots=True)
class TableSize:
    """A table's row count, and its size on disk where the database says (PostgreSQL)."""

    name: str
    rows: int
    bytes: int | None


class RetentionRepository(StoreBase):
    async def prune(self, policy: RetentionPolicy, *, now: datetime) -> PruneReport:
        """Forget what no chat can be shown any more (see the module docstring)."""
        entries = articles = seen = 0
        if policy.max_age_days:
            entries, articles, seen = await self._prune_entries(
                cutoff=now - timedelta(days=policy.max_age_days), keep=policy.keep_per_feed
            )
        deliveries = 0
        if policy.sent_days:
            deliveries += await self._prune_deliveries(
                (DeliveryRow.status == SENT)
                & (DeliveryRow.sent_at < now - timedelta(days=policy.sent_days))
            )
        if policy.failed_days:
            deliveries += await self._prune_deliveries(
                (DeliveryRow.status == FAILED)
                & (DeliveryRow.created_at < now - timedelta(days=policy.failed_days))
            )
        return PruneReport(entries, articles, seen, deliveries)

    async def _prune_entries(self, *, cutoff: datetime, keep: int) -> tuple[int, int, int]:
        """A page of feeds at a time: rank their entries once, then delete in batches.

        What may be forgotten cannot become showable again in between: a new subscription
        starts after every stored entry, and seen marks are only ever added.
        """
        async with self.session() as session:
            feed_ids = list(await session.scalars(select(FeedRow.id).order_by(FeedRow.id)))
        entries = articles = seen = 0
        for start in range(0, len(feed_ids), FEEDS_PER_QUERY):
            chunk = feed_ids[start : start + FEEDS_PER_QUERY]
            async with self.session() as session:
                doomed = await _forgettable_entries(session, chunk, cutoff=cutoff, keep=keep)
            for first in range(0, len(doomed), BATCH):
                batch = doomed[first : first + BATCH]
                entry_ids = [entry_id for entry_id, _ in batch]
                article_ids = list({article_id for _, article_id in batch})
                async with self.session() as session:
                    await session.execute(
                        delete(FeedEntryRow).where(FeedEntryRow.id.in_(entry_ids))
                    )
                    removed_seen, removed_articles = await _delete_orphans(session, article_ids)
                    await session.commit()
                entries += len(entry_ids)
                articles += removed_articles
                seen += removed_seen
        return entries, articles, seen

    async def _prune_deliveries(self, condition: object) -> int:
        removed = 0
        while True:
            async with self.session() as session:
                ids = list(
                    await session.scalars(select(DeliveryRow.id).where(condition).limit(BATCH))  # type: ignore[arg-type]
                )
                if not ids:
                    return removed
                await session.execute(delete(DeliveryRow).where(DeliveryRow.id.in_(ids)))
                await session.commit()
            removed += len(ids)

    async def table_sizes(self) -> list[TableSize]:
        """Rows per table (and bytes on PostgreSQL), for `main.py status`."""
        sizes = []
        async with self.session() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            for table in SIZED_TABLES:
                name = table.__tablename__
                rows = int(await session.scalar(select(func.count()).select_from(table)) or 0)
                size = None
                if postgres:
                    size = await session.scalar(
                        text("SELECT pg_total_relation_size(CAST(:name AS regclass))"),
                        {"name": name},
                    )
                sizes.append(TableSize(name, rows, int(size) if size is not None else None))
        return sizes


async def _forgettable_entries(
    session: AsyncSession, feed_ids: list[int], *, cutoff: datetime, keep: int
) -> list[tuple[int, int]]:
    """(entry id, article id) of every entry of these feeds that may be forgotten."""
    ranked = (
        select(
            FeedEntryRow.id,
            FeedEntryRow.feed_id,
            FeedEntryRow.article_id,
            FeedEntryRow.first_seen_at,
            func.row_number()
            .over(partition_by=FeedEntryRow.feed_id, order_by=FeedEntryRow.id.desc())
            .label("newest_rank"),
        )
        .where(FeedEntryRow.feed_id.in_(feed_ids))
        .subquery()
    )
    seen_by_subscriber = (
        select(ChatSeenRow.article_id)
        .where(
            ChatSeenRow.chat_pk == SubscriptionRow.chat_pk,
            ChatSeenRow.article_id == ranked.c.article_id,
        )
        .correlate_except(ChatSeenRow)  # both outer queries, not just the nearest one
        .exists()
    )
    still_showable = (
        select(SubscriptionRow.id)
        .where(
            SubscriptionRow.feed_id == ranked.c.feed_id,
            SubscriptionRow.start_entry_id < ranked.c.id,
            # Unmuting moves start_entry_id past what is stored: a muted chat never sees it.
            SubscriptionRow.muted.is_(False),
            ~seen_by_subscriber,
        )
        .exists()
    )
    query = select(ranked.c.id, ranked.c.article_id).where(
        ranked.c.newest_rank > keep, ranked.c.first_seen_at < cutoff, ~still_showable
    )
    return [(entry_id, article_id) for entry_id, article_id in await session.execute(query)]


async def _delete_orphans(session: AsyncSession, article_ids: list[int]) -> tuple[int, int]:
    """Delete those of these articles no feed entry refers to any more, with their seen
    marks (explicitly: the cascade is not relied on). Returns (seen marks, articles)."""
    referenced = exists().where(FeedEntryRow.article_id == ArticleRow.id)
    orphans = list(
        await session.scalars(
            select(ArticleRow.id).where(ArticleRow.id.in_(article_ids), ~referenced)
        )
    )
    if not orphans:
        return 0, 0
    seen = await session.execute(delete(ChatSeenRow).where(ChatSeenRow.article_id.in_(orphans)))
    removed = await session.execute(delete(ArticleRow).where(ArticleRow.id.in_(orphans)))
    return affected_rows(seen), affected_rows(removed)
