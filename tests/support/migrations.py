"""Moving a test database to a given migration revision, and filling one as old code did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import ChatTarget
from bot.store.database import create_engine, run_migrations
from bot.store.repository import Store


async def migrate_to(database_url: str, direction: str, revision: str) -> None:
    """Run Alembic ``direction`` ("upgrade" or "downgrade") to ``revision`` on the database."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations, direction, revision)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class OldEntry:
    """An item a feed stored under revision 0004: its entry key and the article it points
    to (articles are told apart by their 0004 ``link_key``; the first entry creates it)."""

    feed_url: str
    entry_key: str
    article_key: str
    link: str
    title: str


OLD_CHAT = ChatTarget("telegram", "42")


async def seed_revision_0004(
    database_url: str, entries: Sequence[OldEntry], *, now: datetime
) -> None:
    """A database at revision 0004, filled as the code of that time did: one chat
    (``OLD_CHAT``) subscribed to every feed, every article stored already shown to it."""
    store = await Store.open(database_url)
    await store.close()
    await migrate_to(database_url, "downgrade", "0004")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as db:
            chat_pk = await _insert(
                db,
                "INSERT INTO chats (platform, chat_id, thread_id, settings, active, created_at)"
                " VALUES (:platform, :chat, '', '{}', :t, :now) RETURNING id",
                platform=OLD_CHAT.platform,
                chat=OLD_CHAT.chat_id,
                t=True,
                now=now,
            )
            feeds: dict[str, int] = {}
            articles: dict[str, int] = {}
            for entry in entries:
                if entry.feed_url not in feeds:
                    feeds[entry.feed_url] = await _insert(
                        db,
                        "INSERT INTO feeds (url, consecutive_failures, disabled, full_text, "
                        "created_at) VALUES (:url, 0, :f, :f, :now) RETURNING id",
                        url=entry.feed_url,
                        f=False,
                        now=now,
                    )
                    await db.execute(
                        text(
                            "INSERT INTO subscriptions (chat_pk, feed_id, start_entry_id, "
                            "created_at) VALUES (:chat, :feed, 0, :now)"
                        ),
                        {"chat": chat_pk, "feed": feeds[entry.feed_url], "now": now},
                    )
                if entry.article_key not in articles:
                    articles[entry.article_key] = await _insert(
                        db,
                        "INSERT INTO articles (link_key, link, title, text, summary, "
                        "created_at) VALUES (:key, :link, :title, '', '', :now) RETURNING id",
                        key=entry.article_key,
                        link=entry.link,
                        title=entry.title,
                        now=now,
                    )
                    await db.execute(
                        text("INSERT INTO chat_seen VALUES (:c, :a, :now)"),
                        {"c": chat_pk, "a": articles[entry.article_key], "now": now},
                    )
                await db.execute(
                    text(
                        "INSERT INTO feed_entries (feed_id, entry_key, article_id, "
                        "first_seen_at) VALUES (:f, :k, :a, :now)"
                    ),
                    {
                        "f": feeds[entry.feed_url],
                        "k": entry.entry_key,
                        "a": articles[entry.article_key],
                        "now": now,
                    },
                )
    finally:
        await engine.dispose()


async def _insert(db: AsyncConnection, sql: str, **values: object) -> int:
    return int((await db.execute(text(sql), values)).scalar_one())
