"""Articles and feed entries: each story stored once, and what each chat has seen.

Identity follows bot.news.links: a feed entry per item a feed carried (unique per feed),
an article per story (merged across feeds only on a link that names one article).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    ArticleRef,
    CarriedEntry,
    NewArticle,
    StoredArticle,
)
from bot.store.base import StoreBase, insert_ignoring_duplicates
from bot.store.tables import (
    AUTHOR_CHARS,
    IMAGE_URL_CHARS,
    LANGUAGE_CHARS,
    TITLE_CHARS,
    ArticleRow,
    ChatSeenRow,
    FeedEntryRow,
    FeedRow,
    SubscriptionRow,
)
from bot.store.values import clean_optional, clean_text, clipped, verbatim_or_none


class ArticlesRepository(StoreBase):
    async def known_entry_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Which of these entry keys this feed has delivered before (skip re-summarising)."""
        return await self._present(FeedEntryRow.entry_key, keys, FeedEntryRow.feed_id == feed_id)

    async def carried_links(
        self, feed_id: int, link_keys: Iterable[str], *, newest: int
    ) -> dict[str, list[CarriedEntry]]:
        """The entries this feed stored before under each of these normalised links, at
        most the ``newest`` under each (oldest of those first).

        How often a feed carried a link tells whether the link names one of its items
        (an item without an id that comes back under it is that item, edited) or is
        shared by several (bot.feeds.identity). Bounded: a show page every episode of
        years links to would otherwise be read whole, every row, at each new episode.
        """
        wanted = list(dict.fromkeys(link_keys))
        carried: dict[str, list[CarriedEntry]] = {}
        async with self.session() as session:
            for start in range(0, len(wanted), 500):
                rank = (
                    func.row_number()
                    .over(partition_by=FeedEntryRow.link_key, order_by=FeedEntryRow.id.desc())
                    .label("rank")
                )
                recent = (
                    select(
                        FeedEntryRow.id,
                        FeedEntryRow.link_key,
                        FeedEntryRow.entry_key,
                        FeedEntryRow.article_id,
                        rank,
                    )
                    .where(
                        FeedEntryRow.feed_id == feed_id,
                        FeedEntryRow.link_key.in_(wanted[start : start + 500]),
                    )
                    .subquery()
                )
                query = (
                    select(recent.c.link_key, recent.c.entry_key, ArticleRow.title)
                    .join(ArticleRow, ArticleRow.id == recent.c.article_id)
                    .where(recent.c.rank <= newest)
                    .order_by(recent.c.id)
                )
                for link_key, key, title in await session.execute(query):
                    carried.setdefault(link_key or "", []).append(CarriedEntry(key, title))
        return carried

    async def rename_entries(self, feed_id: int, renamed: Mapping[str, str]) -> None:
        """Store entries of this feed under new keys (old key → new key): an item without
        an id recognised by its link keeps its stored key in step with its headline.

        A key another poll gave an entry of the feed a moment ago is left as it is.
        """
        async with self.session() as session:
            for old, new in renamed.items():
                if old == new:
                    continue
                try:
                    async with session.begin_nested():
                        await session.execute(
                            update(FeedEntryRow)
                            .where(FeedEntryRow.feed_id == feed_id, FeedEntryRow.entry_key == old)
                            .values(entry_key=new)
                            .execution_options(synchronize_session=False)
                        )
                except IntegrityError:
                    continue
            await session.commit()

    async def retire_link_keys(self, feed_id: int, link_keys: Iterable[str]) -> int:
        """Stop articles this feed alone brought under these links from being merge targets.

        Called when a link turns out to be shared by several items of the feed: it no
        longer names one article, so another feed's item with that link must not be
        merged into whichever item of this feed happened to come first. An article another
        feed carries too keeps its key (that feed's item named it). Returns how many.
        """
        wanted = list(dict.fromkeys(link_keys))
        carried_here = select(FeedEntryRow.article_id).where(FeedEntryRow.feed_id == feed_id)
        carried_elsewhere = (
            select(FeedEntryRow.id)
            .where(FeedEntryRow.article_id == ArticleRow.id, FeedEntryRow.feed_id != feed_id)
            .exists()
        )
        retired = 0
        async with self.session() as session:
            for start in range(0, len(wanted), 500):
                result = await session.execute(
                    update(ArticleRow)
                    .where(
                        ArticleRow.link_key.in_(wanted[start : start + 500]),
                        ArticleRow.id.in_(carried_here),
                        ~carried_elsewhere,
                    )
                    .values(link_key=None)
                    .execution_options(synchronize_session=False)
                )
                retired += result.rowcount or 0  # type: ignore[attr-defined]
            await session.commit()
        return retired

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
            image=article.image,
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
        """Articles this chat's subscriptions brought in since it subscribed, not yet shown,
        in full and newest first.

        Reads every one of them: a digest reads ``unseen_refs`` and then, through
        ``articles_for``, only what it may still show (bot.digest.reading).
        """
        return await self.articles_for(await self.unseen_refs(chat_pk))

    async def unseen_refs(self, chat_pk: int) -> list[ArticleRef]:
        """The articles ``unseen_articles`` returns, without their text: ids, feed and times.

        An article carried by two subscribed feeds appears once, under the feed that
        delivered it first. Newest first (published, else first seen; then id).
        """
        seen = (
            select(ChatSeenRow.article_id)
            .where(ChatSeenRow.chat_pk == chat_pk, ChatSeenRow.article_id == ArticleRow.id)
            .exists()
        )
        query = (
            select(
                ArticleRow.id,
                ArticleRow.published_at,
                FeedEntryRow.first_seen_at,
                SubscriptionRow.id,
                SubscriptionRow.custom_title,
                FeedRow.title,
                FeedRow.url,
            )
            .join(FeedEntryRow, FeedEntryRow.article_id == ArticleRow.id)
            .join(SubscriptionRow, SubscriptionRow.feed_id == FeedEntryRow.feed_id)
            .join(FeedRow, FeedRow.id == FeedEntryRow.feed_id)
            .where(
                SubscriptionRow.chat_pk == chat_pk,
                FeedEntryRow.id > SubscriptionRow.start_entry_id,
                SubscriptionRow.muted.is_(False),  # unmuting moves start_entry_id past these
                ~seen,
            )
            .order_by(FeedEntryRow.id)
        )
        async with self.session() as session:
            rows = (await session.execute(query)).all()
        refs: dict[int, ArticleRef] = {}
        for article_id, published, first_seen, subscription_id, custom, title, url in rows:
            if article_id not in refs:
                refs[article_id] = ArticleRef(
                    id=article_id,
                    subscription_id=subscription_id,
                    source=custom or title or url,
                    published=published,
                    first_seen=first_seen,
                )
        return sorted(
            refs.values(), key=lambda ref: (ref.published or ref.first_seen, ref.id), reverse=True
        )

    async def articles_for(self, refs: Sequence[ArticleRef]) -> list[StoredArticle]:
        """These articles in full (title, summary, text), in the order given.

        One query per 500 (bound parameters). An article deleted since the refs were read
        (bot.store.retention) is left out.
        """
        ids = [ref.id for ref in refs]
        rows: dict[int, ArticleRow] = {}
        async with self.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found = await session.scalars(select(ArticleRow).where(ArticleRow.id.in_(chunk)))
                rows.update({row.id: row for row in found})
        return [
            StoredArticle(
                id=ref.id,
                title=row.title,
                link=row.link,
                source=ref.source,
                published=row.published_at,
                first_seen=ref.first_seen,
                summary=[line for line in row.summary.split("\n") if line],
                text=row.text,
                language=row.language,
                subscription_id=ref.subscription_id,
                image=row.image,
            )
            for ref in refs
            if (row := rows.get(ref.id)) is not None
        ]

    async def mark_seen(self, chat_pk: int, article_ids: Iterable[int], *, now: datetime) -> None:
        """Mark articles shown (or left out for good) in a chat; marking twice is harmless."""
        async with self.session() as session:
            await add_seen(session, chat_pk, article_ids, now)
            await session.commit()


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
        image=_storable_image(article.image),
    )


def _storable_image(image: str | None) -> str | None:
    """The picture's address as stored: cleaned; dropped when too long or no longer a
    single web address after cleaning (a control character removed mid-URL joins pieces
    the parser judged apart), so only what bot.news.images passed is ever shown."""
    cleaned = verbatim_or_none(image, IMAGE_URL_CHARS)
    if cleaned is None or cleaned != image or not cleaned.startswith(("http://", "https://")):
        return None
    return cleaned


async def add_seen(
    session: AsyncSession, chat_pk: int, article_ids: Iterable[int], now: datetime
) -> None:
    """Mark articles seen by a chat inside the caller's transaction; repeats are ignored,
    also when another writer marks the same article at the same moment."""
    ids = list(dict.fromkeys(article_ids))
    dialect = session.get_bind().dialect.name
    table = ChatSeenRow.__table__
    for start in range(0, len(ids), 500):
        rows = [
            {"chat_pk": chat_pk, "article_id": article_id, "seen_at": now}
            for article_id in ids[start : start + 500]
        ]
        await session.execute(insert_ignoring_duplicates(dialect, table, rows))  # type: ignore[arg-type]
