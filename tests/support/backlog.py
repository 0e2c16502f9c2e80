"""Large backlogs for tests: storing thousands of stories fast, and seeing what is read.

Why: the digest must read a bounded number of articles in full whatever the backlog, and
a test of that needs thousands of unseen stories (one ``Store.store_articles`` item at a
time takes minutes on PostgreSQL) and a way to see how many article rows were read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select

from bot.models import NewArticle
from bot.store.repository import Store
from bot.store.tables import ArticleRow, FeedEntryRow


async def store_quickly(
    store: Store, feed_id: int, articles: list[NewArticle], *, now: datetime
) -> None:
    """Store a large batch as ``Store.store_articles`` would, in a few bulk statements
    (one item at a time takes minutes for thousands on PostgreSQL)."""
    async with store.session() as session:
        await session.execute(
            insert(ArticleRow),
            [
                {
                    "link_key": a.link_key,
                    "link": a.link,
                    "title": a.title,
                    "published_at": a.published,
                    "text": a.text,
                    "summary": "\n".join(a.summary),
                    "language": a.language,
                    "created_at": now,
                }
                for a in articles
            ],
        )
        keys = [a.link_key for a in articles]
        ids: dict[str | None, int] = {}
        for start in range(0, len(keys), 500):
            rows = await session.execute(
                select(ArticleRow.link_key, ArticleRow.id).where(
                    ArticleRow.link_key.in_(keys[start : start + 500])
                )
            )
            ids.update({key: article_id for key, article_id in rows})
        await session.execute(
            insert(FeedEntryRow),
            [
                {
                    "feed_id": feed_id,
                    "entry_key": a.entry_key,
                    "link_key": a.link_key,
                    "article_id": ids[a.link_key],
                    "first_seen_at": now,
                }
                for a in articles
            ],
        )
        await session.commit()


@contextmanager
def articles_read_in_full() -> Iterator[list[int]]:
    """The ids of article rows read in full (with their text) while the block runs: the
    ORM's ``load`` event fires once per article row it builds from a result."""
    loaded: list[int] = []

    def record(target: Any, _context: Any) -> None:
        loaded.append(target.id)

    event.listen(ArticleRow, "load", record)
    try:
        yield loaded
    finally:
        event.remove(ArticleRow, "load", record)
