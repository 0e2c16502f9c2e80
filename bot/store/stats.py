"""Figures for operators: one definition of each count for `main.py status` and /stats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.store.outbox import OutboxRepository
from bot.store.tables import (
    ArticleRow,
    ChatRow,
    FeedRow,
)


class StatsRepository(OutboxRepository):

    async def counts(self, *, since: datetime) -> dict[str, int]:
        """Numbers for `main.py status` (the same definitions as /stats)."""
        figures = await self.operator_stats(day_start=since)
        figures["articles_since"] = figures.pop("articles_today")
        return figures

    async def operator_stats(self, *, day_start: datetime) -> dict[str, int]:
        """Figures for /stats and `main.py status`, each counted once by one query.

        Partitions, so the numbers add up: feeds are ok, failing (an error, still polled)
        or disabled; deliveries are sent, waiting (not tried yet), retrying (an attempt
        failed, another is due later) or failed (given up on: see bot.delivery.outbox).
        """
        failing = FeedRow.last_error.is_not(None) & FeedRow.disabled.is_(False)
        queries = {
            "chats": select(func.count()).select_from(ChatRow),
            "active_chats": select(func.count()).where(ChatRow.active.is_(True)),
            "feeds": select(func.count()).select_from(FeedRow),
            "failing_feeds": select(func.count()).select_from(FeedRow).where(failing),
            "disabled_feeds": select(func.count()).where(FeedRow.disabled.is_(True)),
            "articles": select(func.count()).select_from(ArticleRow),
            "articles_today": select(func.count()).where(ArticleRow.created_at >= day_start),
        }
        async with self.session() as session:
            figures = {name: int(await session.scalar(q) or 0) for name, q in queries.items()}
        deliveries = await self.delivery_counts()
        figures |= {
            "deliveries_waiting": deliveries.waiting,
            "deliveries_retrying": deliveries.retrying,
            "deliveries_pending": deliveries.waiting + deliveries.retrying,
            "deliveries_sent": deliveries.sent,
            "deliveries_failed": deliveries.failed,
        }
        return figures

