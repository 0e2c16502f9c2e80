"""Feeds: one row per feed URL, shared by every chat that follows it, with its poll state.

The HTTP validators for the next conditional GET, the next poll time, the failure count
and whether the feed is disabled live here; bot.feeds.polling decides them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import (
    Chat,
    Feed,
)
from bot.store.base import StoreBase, affected_rows
from bot.store.rows import chat_model, feed_model
from bot.store.tables import (
    ERROR_CHARS,
    ETAG_CHARS,
    FEED_TITLE_CHARS,
    FEED_URL_CHARS,
    LANGUAGE_CHARS,
    LAST_MODIFIED_CHARS,
    ChatRow,
    FeedEntryRow,
    FeedRow,
    SubscriptionRow,
)
from bot.store.values import clean_optional, clean_text, clipped, verbatim_or_none


class FeedsRepository(StoreBase):
    async def find_feed(self, url: str) -> Feed | None:
        async with self.session() as session:
            row = await session.scalar(select(FeedRow).where(FeedRow.url == url))
            return feed_model(row) if row else None

    async def get_feed(self, feed_id: int) -> Feed | None:
        async with self.session() as session:
            row = await session.get(FeedRow, feed_id)
            return feed_model(row) if row else None

    async def get_or_create_feed(self, url: str) -> Feed:
        """The feed row for a URL, created on first use; ValueError for an over-long URL."""
        if len(url) > FEED_URL_CHARS or clean_text(url) != url:
            raise ValueError(f"feed addresses are limited to {FEED_URL_CHARS} plain characters")
        async with self.session() as session:
            row = await session.scalar(select(FeedRow).where(FeedRow.url == url))
            if row is None:
                row = FeedRow(url=url)
                session.add(row)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    row = await session.scalar(select(FeedRow).where(FeedRow.url == url))
                    assert row is not None
            return feed_model(row)

    async def record_poll_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
        site_url: str | None = None,
        language: str | None = None,
    ) -> None:
        """Remember the validators for the next conditional GET and clear any error state."""
        values = _success_values(now, etag, last_modified, title, site_url, language)
        async with self.session() as session:
            await session.execute(update(FeedRow).where(FeedRow.id == feed_id).values(**values))
            await session.commit()

    async def finish_poll(
        self,
        feed_id: int,
        *,
        now: datetime,
        next_poll_at: datetime | None = None,
        interval_seconds: int | None = None,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        language: str | None = None,
    ) -> datetime | None:
        """Record a poll's outcome and, when given, the next poll time: one UPDATE.

        Why one statement: nearly every poll of a large deployment is a 304, and its cost
        is what the database is asked per feed; two transactions (outcome, then schedule)
        were twice the round trips. Without ``error`` it is a success (as
        record_poll_success); with it a failure (as record_poll_failure), and the answer
        is since when the feed has been failing, read back by the same statement so the
        poller decides on disabling without loading the feed again. None when the feed
        no longer exists, or after a success.
        """
        values = (
            _success_values(now, etag, last_modified, title, site_url, language)
            if error is None
            else {
                "last_polled_at": now,
                "consecutive_failures": FeedRow.consecutive_failures + 1,
                "first_failure_at": func.coalesce(FeedRow.first_failure_at, now),
                "last_error": clipped(error, ERROR_CHARS) or "unknown error",
            }
        )
        if next_poll_at is not None:
            values["next_poll_at"] = next_poll_at
        if interval_seconds is not None:
            values["poll_interval_seconds"] = interval_seconds
        statement = update(FeedRow).where(FeedRow.id == feed_id).values(**values)
        async with self.session() as session:
            if error is None:
                await session.execute(statement)
                await session.commit()
                return None
            since = await session.scalar(statement.returning(FeedRow.first_failure_at))
            await session.commit()
            return since

    async def record_poll_failure(self, feed_id: int, *, now: datetime, error: str) -> None:
        async with self.session() as session:
            row = await session.get(FeedRow, feed_id)
            if row is None:
                return
            row.last_polled_at = now
            row.consecutive_failures += 1
            row.first_failure_at = row.first_failure_at or now
            row.last_error = clipped(error, ERROR_CHARS) or "unknown error"
            await session.commit()

    async def due_feed_ids(
        self, now: datetime, *, platforms: Collection[str] | None = None
    ) -> list[int]:
        """Enabled feeds whose next poll time has come and that an active chat follows
        (on one of ``platforms``, the running ones, when given), longest overdue first.
        Only ids: a cycle of 20,000 due feeds loads them a page at a time (get_feeds)."""
        followed = (
            select(SubscriptionRow.feed_id)
            .join(ChatRow, ChatRow.id == SubscriptionRow.chat_pk)
            .where(ChatRow.active.is_(True))
        )
        if platforms is not None:
            followed = followed.where(ChatRow.platform.in_(list(platforms)))
        query = (
            select(FeedRow.id)
            .where(
                FeedRow.disabled.is_(False),
                FeedRow.id.in_(followed),
                (FeedRow.next_poll_at.is_(None)) | (FeedRow.next_poll_at <= now),
            )
            .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at, FeedRow.id)
        )
        async with self.session() as session:
            return list(await session.scalars(query))

    async def get_feeds(self, feed_ids: Sequence[int]) -> list[Feed]:
        """These feeds, in the order given (ids no longer stored are left out)."""
        async with self.session() as session:
            rows = await session.scalars(select(FeedRow).where(FeedRow.id.in_(list(feed_ids))))
            by_id = {row.id: feed_model(row) for row in rows}
        return [by_id[feed_id] for feed_id in feed_ids if feed_id in by_id]

    async def schedule_next_poll(
        self, feed_id: int, *, next_poll_at: datetime, interval_seconds: int
    ) -> None:
        async with self.session() as session:
            await session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(next_poll_at=next_poll_at, poll_interval_seconds=interval_seconds)
            )
            await session.commit()

    async def disable_feed(self, feed_id: int, *, reason: str) -> bool:
        """Stop polling a feed; True only for the call that actually disabled it."""
        async with self.session() as session:
            result = await session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id, FeedRow.disabled.is_(False))
                .values(disabled=True, last_error=clipped(reason, ERROR_CHARS))
            )
            await session.commit()
            return bool(affected_rows(result))

    async def set_feed_full_text(self, feed_id: int, enabled: bool) -> Feed | None:
        """Turn page fetching for a feed's teaser items on or off (for every chat)."""
        async with self.session() as session:
            row = await session.get(FeedRow, feed_id)
            if row is None:
                return None
            row.full_text = enabled
            await session.commit()
            return feed_model(row)

    async def subscribers(self, feed_id: int) -> list[Chat]:
        async with self.session() as session:
            rows = await session.scalars(
                select(ChatRow)
                .join(SubscriptionRow, SubscriptionRow.chat_pk == ChatRow.id)
                .where(SubscriptionRow.feed_id == feed_id)
                .order_by(ChatRow.id)
            )
            return [chat_model(row) for row in rows]

    async def latest_entries(self, feed_ids: Sequence[int]) -> dict[int, datetime]:
        """When each feed last brought an item the bot had not seen (for /list)."""
        if not feed_ids:
            return {}
        async with self.session() as session:
            rows = await session.execute(
                select(FeedEntryRow.feed_id, func.max(FeedEntryRow.first_seen_at))
                .where(FeedEntryRow.feed_id.in_(list(feed_ids)))
                .group_by(FeedEntryRow.feed_id)
            )
            return {
                feed_id: _as_utc(moment) for feed_id, moment in rows.all() if moment is not None
            }

    async def list_feeds(self) -> list[Feed]:
        async with self.session() as session:
            rows = await session.scalars(select(FeedRow).order_by(FeedRow.id))
            return [feed_model(row) for row in rows]


def _success_values(
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
    site_url: str | None,
    language: str | None,
) -> dict[str, Any]:
    """The columns a successful poll sets: validators kept, any error state cleared."""
    values: dict[str, Any] = {
        # A validator that does not fit is not stored: a cut one would be false.
        "etag": verbatim_or_none(etag, ETAG_CHARS),
        "last_modified": verbatim_or_none(last_modified, LAST_MODIFIED_CHARS),
        "last_polled_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "first_failure_at": None,
        "last_error": None,
        "disabled": False,
    }
    feed_values = (
        ("title", clipped(title, FEED_TITLE_CHARS)),
        ("site_url", clean_optional(site_url)),
        ("language", verbatim_or_none(language, LANGUAGE_CHARS)),
    )
    for name, value in feed_values:
        if value:
            values[name] = value
    return values


def _as_utc(moment: datetime) -> datetime:
    """An aggregate skips the column type's conversion: SQLite hands back naive UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
