"""Repository functions: every query the bot runs lives here, behind typed methods.

Why one place: handlers, the digest composer and the pipeline talk in domain records
(`bot.models`), never in SQL, so the schema can change under them and both database
backends get exactly the same queries. Each method is its own short transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.models import (
    Chat,
    ChatTarget,
    DeliveryCounts,
    Feed,
    FilterRule,
    NewArticle,
    PendingDelivery,
    StoredArticle,
    Subscription,
)
from bot.store.database import create_engine, migrate, session_factory
from bot.store.tables import (
    AUTHOR_CHARS,
    CUSTOM_TITLE_CHARS,
    ERROR_CHARS,
    ETAG_CHARS,
    FEED_TITLE_CHARS,
    FEED_URL_CHARS,
    LANGUAGE_CHARS,
    LAST_MODIFIED_CHARS,
    TITLE_CHARS,
    ArticleRow,
    ChatRow,
    ChatSeenRow,
    DeliveryRow,
    FeedEntryRow,
    FeedRow,
    FilterRow,
    SubscriptionRow,
    utcnow,
)
from bot.store.values import clean_json, clean_optional, clean_text, clipped, verbatim_or_none

#: Delivery states: waiting to be sent (maybe after a back-off), sent, given up on.
PENDING, SENT, FAILED = "pending", "sent", "failed"


def _chat(row: ChatRow) -> Chat:
    return Chat(
        pk=row.id,
        target=ChatTarget(row.platform, row.chat_id, row.thread_id),
        timezone=row.timezone,
        settings=dict(row.settings or {}),
        active=row.active,
        last_digest_at=row.last_digest_at,
    )


def _feed(row: FeedRow) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        title=row.title,
        site_url=row.site_url,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        disabled=row.disabled,
        last_error=row.last_error,
        poll_interval_seconds=row.poll_interval_seconds,
        consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at,
        next_poll_at=row.next_poll_at,
        full_text=row.full_text,
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


def _filter(row: FilterRow) -> FilterRule:
    return FilterRule(
        id=row.id,
        kind=row.kind,
        pattern=row.pattern,
        is_regex=row.is_regex,
        subscription_id=row.subscription_id,
    )


class StoriesAlreadyShownError(Exception):
    """Another digest (another task or process) showed some of these stories first.

    Raised by :meth:`Store.commit_digest` with nothing written: the caller composes again
    from what is still unseen, so no story reaches a chat twice.
    """


def _insert_ignoring_duplicates(dialect: str, table: Table, rows: list[dict[str, Any]]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: idempotent, and safe when two writers race."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(rows).on_conflict_do_nothing()


class Store:
    """The bot's persistent state. Create with :meth:`open`, close with :meth:`close`."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions: async_sessionmaker[AsyncSession] = session_factory(engine)

    @classmethod
    async def open(cls, database_url: str, *, clock: Callable[[], datetime] = utcnow) -> Store:
        """Connect and apply pending migrations: the one way the bot gets a store."""
        engine = create_engine(database_url)
        try:
            await migrate(engine)
        except Exception:
            await engine.dispose()
            raise
        return cls(engine, clock=clock)

    def session(self) -> AsyncSession:
        return self._sessions()

    async def close(self) -> None:
        await self.engine.dispose()

    # -- chats -----------------------------------------------------------------------------

    async def get_or_create_chat(self, target: ChatTarget, *, timezone: str | None = None) -> Chat:
        """The stored chat for a target, created on first contact."""
        async with self.session() as session:
            row = await self._find_chat_row(session, target)
            if row is not None:
                return _chat(row)
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
            return _chat(row)

    async def find_chat(self, target: ChatTarget) -> Chat | None:
        async with self.session() as session:
            row = await self._find_chat_row(session, target)
            return _chat(row) if row else None

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
            return bool(result.rowcount)

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
            return [_chat(row) for row in await session.scalars(query)]

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
            return _chat(row)

    async def delete_chat(self, target: ChatTarget) -> bool:
        """Forget a chat that no longer exists (its subscriptions and outbox go with it)."""
        async with self.session() as session:
            result = await session.execute(
                delete(ChatRow).where(
                    ChatRow.platform == target.platform,
                    ChatRow.chat_id == target.chat_id,
                    ChatRow.thread_id == target.thread_id,
                )
            )
            await session.commit()
            return bool(result.rowcount)

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
        JSON (`_fill_in`), the time zone and title; `last_digest_at` is the later one.
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
        new.title = new.title or old.title
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

    # -- feeds -----------------------------------------------------------------------------

    async def find_feed(self, url: str) -> Feed | None:
        async with self.session() as session:
            row = await session.scalar(select(FeedRow).where(FeedRow.url == url))
            return _feed(row) if row else None

    async def get_feed(self, feed_id: int) -> Feed | None:
        async with self.session() as session:
            row = await session.get(FeedRow, feed_id)
            return _feed(row) if row else None

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
            return _feed(row)

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
        async with self.session() as session:
            await session.execute(update(FeedRow).where(FeedRow.id == feed_id).values(**values))
            await session.commit()

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

    async def due_feeds(
        self, now: datetime, *, limit: int = 500, platforms: Collection[str] | None = None
    ) -> list[Feed]:
        """Enabled feeds whose next poll time has come and that an active chat follows
        (on one of ``platforms``, the running ones, when given)."""
        followed = (
            select(SubscriptionRow.feed_id)
            .join(ChatRow, ChatRow.id == SubscriptionRow.chat_pk)
            .where(ChatRow.active.is_(True))
        )
        if platforms is not None:
            followed = followed.where(ChatRow.platform.in_(list(platforms)))
        query = (
            select(FeedRow)
            .where(
                FeedRow.disabled.is_(False),
                FeedRow.id.in_(followed),
                (FeedRow.next_poll_at.is_(None)) | (FeedRow.next_poll_at <= now),
            )
            .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at, FeedRow.id)
            .limit(limit)
        )
        async with self.session() as session:
            return [_feed(row) for row in await session.scalars(query)]

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
            return bool(result.rowcount)

    async def set_feed_full_text(self, feed_id: int, enabled: bool) -> Feed | None:
        """Turn page fetching for a feed's teaser items on or off (for every chat)."""
        async with self.session() as session:
            row = await session.get(FeedRow, feed_id)
            if row is None:
                return None
            row.full_text = enabled
            await session.commit()
            return _feed(row)

    async def subscribers(self, feed_id: int) -> list[Chat]:
        async with self.session() as session:
            rows = await session.scalars(
                select(ChatRow)
                .join(SubscriptionRow, SubscriptionRow.chat_pk == ChatRow.id)
                .where(SubscriptionRow.feed_id == feed_id)
                .order_by(ChatRow.id)
            )
            return [_chat(row) for row in rows]

    async def list_feeds(self) -> list[Feed]:
        async with self.session() as session:
            return [
                _feed(row) for row in await session.scalars(select(FeedRow).order_by(FeedRow.id))
            ]

    # -- subscriptions ---------------------------------------------------------------------

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
                    id=sub.id, position=index, feed=_feed(feed), custom_title=sub.custom_title
                )
                for index, (sub, feed) in enumerate(rows.all(), start=1)
            ]

    async def unsubscribe(self, subscription_id: int) -> bool:
        async with self.session() as session:
            result = await session.execute(
                delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id)
            )
            await session.commit()
            return bool(result.rowcount)

    # -- subscription titles and filters (/rename, /filter) --------------------------------

    async def rename_subscription(self, subscription_id: int, title: str | None) -> bool:
        """Set the title a chat sees for a feed (None: back to the feed's own title)."""
        async with self.session() as session:
            result = await session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.id == subscription_id)
                .values(custom_title=clipped(title, CUSTOM_TITLE_CHARS))
            )
            await session.commit()
            return bool(result.rowcount)

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
            return _filter(row)

    async def list_filters(self, chat_pk: int) -> list[FilterRule]:
        """A chat's rules, oldest first: the order /filter list numbers them in."""
        async with self.session() as session:
            rows = await session.scalars(
                select(FilterRow).where(FilterRow.chat_pk == chat_pk).order_by(FilterRow.id)
            )
            return [_filter(row) for row in rows]

    async def remove_filter(self, chat_pk: int, filter_id: int) -> bool:
        async with self.session() as session:
            result = await session.execute(
                delete(FilterRow).where(FilterRow.id == filter_id, FilterRow.chat_pk == chat_pk)
            )
            await session.commit()
            return bool(result.rowcount)

    # -- articles --------------------------------------------------------------------------

    async def known_entry_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Which of these entry keys this feed has delivered before (skip re-summarising)."""
        return await self._present(
            FeedEntryRow.entry_key, keys, FeedEntryRow.feed_id == feed_id
        )

    async def feed_link_keys(self, feed_id: int, link_keys: Iterable[str]) -> set[str]:
        """Which of these normalised links earlier items of this feed already carried.

        A new item with such a link shares it with another item of the same feed, so the
        link cannot be what identifies its article (bot.news.links.article_link_key).
        """
        return await self._present(
            FeedEntryRow.link_key, link_keys, FeedEntryRow.feed_id == feed_id
        )

    async def known_link_keys(self, link_keys: Iterable[str]) -> set[str]:
        """Which article link keys are stored already (another feed brought the story)."""
        return await self._present(ArticleRow.link_key, link_keys)

    async def _present(self, column: Any, values: Iterable[str], *where: Any) -> set[str]:
        """The subset of ``values`` found in ``column`` (500 per query: bound parameters)."""
        wanted = list(dict.fromkeys(values))
        found: set[str] = set()
        async with self.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                result = await session.scalars(select(column).where(column.in_(chunk), *where))
                found.update(value for value in result if value)
        return found

    async def store_articles(
        self, feed_id: int, articles: Sequence[NewArticle], *, now: datetime
    ) -> list[int]:
        """Store each item once; return the ids of the articles new to this feed.

        An item this feed carried before (same entry key) is skipped. An item whose
        ``link_key`` (set only when its link identifies one article) is already stored,
        because another feed ran the same article, is linked to that article instead of
        becoming a second copy. Every text is cleaned and bounded first
        (bot.store.values), so a hostile value stores the same on SQLite and PostgreSQL.
        """
        new_ids: list[int] = []
        async with self.session() as session:
            for article in articles:
                article_id = await self._store_one(session, feed_id, _storable(article), now)
                if article_id is not None:
                    new_ids.append(article_id)
            await session.commit()
        return new_ids

    async def _store_one(
        self, session: AsyncSession, feed_id: int, article: NewArticle, now: datetime
    ) -> int | None:
        seen = await session.scalar(
            select(FeedEntryRow.id).where(
                FeedEntryRow.feed_id == feed_id, FeedEntryRow.entry_key == article.entry_key
            )
        )
        if seen is not None:
            return None
        article_id = await self._article_for(session, article, now)
        try:
            async with session.begin_nested():
                session.add(
                    FeedEntryRow(
                        feed_id=feed_id,
                        entry_key=article.entry_key,
                        link_key=article.entry_link_key,
                        article_id=article_id,
                        first_seen_at=now,
                    )
                )
        except IntegrityError:  # another poll of this feed stored the item a moment ago
            return None
        return article_id

    async def _article_for(self, session: AsyncSession, article: NewArticle, now: datetime) -> int:
        """The id of the stored copy of this article, stored now if there is none."""
        if article.link_key:
            existing = await self._article_by_link_key(session, article.link_key)
            if existing is not None:
                return existing
        row = ArticleRow(
            link_key=article.link_key,
            link=article.link,
            title=article.title,
            author=article.author,
            published_at=article.published,
            text=article.text,
            summary="\n".join(article.summary),
            language=article.language,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another feed stored the same article a moment ago: use it
            existing = await self._article_by_link_key(session, article.link_key or "")
            if existing is None:
                raise
            return existing
        return row.id

    @staticmethod
    async def _article_by_link_key(session: AsyncSession, link_key: str) -> int | None:
        return await session.scalar(
            select(ArticleRow.id).where(ArticleRow.link_key == link_key).limit(1)
        )

    async def unseen_articles(self, chat_pk: int) -> list[StoredArticle]:
        """Articles this chat's subscriptions brought in since it subscribed, not yet shown.

        An article carried by two subscribed feeds appears once, under the feed that
        delivered it first. Newest first.
        """
        seen = (
            select(ChatSeenRow.article_id)
            .where(ChatSeenRow.chat_pk == chat_pk, ChatSeenRow.article_id == ArticleRow.id)
            .exists()
        )
        query = (
            select(
                ArticleRow, FeedRow, SubscriptionRow.custom_title, FeedEntryRow, SubscriptionRow.id
            )
            .join(FeedEntryRow, FeedEntryRow.article_id == ArticleRow.id)
            .join(SubscriptionRow, SubscriptionRow.feed_id == FeedEntryRow.feed_id)
            .join(FeedRow, FeedRow.id == FeedEntryRow.feed_id)
            .where(
                SubscriptionRow.chat_pk == chat_pk,
                FeedEntryRow.id > SubscriptionRow.start_entry_id,
                ~seen,
            )
            .order_by(FeedEntryRow.id)
        )
        async with self.session() as session:
            rows = (await session.execute(query)).all()
        by_article: dict[int, StoredArticle] = {}
        for article, feed, custom_title, entry, subscription_id in rows:
            if article.id in by_article:
                continue
            by_article[article.id] = StoredArticle(
                id=article.id,
                title=article.title,
                link=article.link,
                source=custom_title or feed.title or feed.url,
                published=article.published_at,
                first_seen=entry.first_seen_at,
                summary=[line for line in article.summary.split("\n") if line],
                text=article.text,
                language=article.language,
                subscription_id=subscription_id,
            )
        return sorted(
            by_article.values(),
            key=lambda a: (a.published or a.first_seen, a.id),
            reverse=True,
        )

    async def mark_seen(self, chat_pk: int, article_ids: Iterable[int], *, now: datetime) -> None:
        """Mark articles shown (or left out for good) in a chat; marking twice is harmless."""
        async with self.session() as session:
            await self._add_seen(session, chat_pk, article_ids, now)
            await session.commit()

    async def _add_seen(
        self, session: AsyncSession, chat_pk: int, article_ids: Iterable[int], now: datetime
    ) -> None:
        ids = list(dict.fromkeys(article_ids))
        dialect = self.engine.dialect.name
        for start in range(0, len(ids), 500):
            rows = [
                {"chat_pk": chat_pk, "article_id": article_id, "seen_at": now}
                for article_id in ids[start : start + 500]
            ]
            await session.execute(
                _insert_ignoring_duplicates(dialect, ChatSeenRow.__table__, rows)  # type: ignore[arg-type]
            )

    # -- deliveries (outbox) ---------------------------------------------------------------

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
            await self._add_seen(session, chat_pk, ids, now)
            if slot_time is not None:
                await session.execute(
                    update(ChatRow).where(ChatRow.id == chat_pk).values(last_digest_at=slot_time)
                )
            await session.commit()
            return row.id

    async def pending_deliveries(self) -> list[PendingDelivery]:
        """Every delivery not yet sent nor given up on, oldest first."""
        async with self.session() as session:
            rows = await session.execute(
                select(DeliveryRow, ChatRow)
                .join(ChatRow, ChatRow.id == DeliveryRow.chat_pk)
                .where(DeliveryRow.status == PENDING)
                .order_by(DeliveryRow.id)
            )
            return [
                PendingDelivery(
                    id=delivery.id,
                    chat=_chat(chat),
                    slot=delivery.slot,
                    payload=dict(delivery.payload or {}),
                    attempts=delivery.attempts,
                    next_attempt_at=delivery.next_attempt_at,
                    last_error=delivery.last_error,
                )
                for delivery, chat in rows.all()
            ]

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
                )
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


def _storable(article: NewArticle) -> NewArticle:
    """The article with every text cleaned and cut to its column (bot.store.values)."""
    return replace(
        article,
        title=clipped(article.title, TITLE_CHARS) or "Untitled",
        author=clipped(article.author, AUTHOR_CHARS),
        link=clean_optional(article.link),
        text=clean_text(article.text),
        summary=[clean_text(sentence) for sentence in article.summary],
        language=verbatim_or_none(article.language, LANGUAGE_CHARS),
    )
