"""Migrations keep the data: downgrades that rebuild a parent table must not cascade.

On SQLite, Alembic's batch mode drops a column by copying the table, dropping the original
and renaming the copy; with foreign keys on, that DROP cascade-deletes every child row.
These tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command as alembic_command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.models import ChatTarget, NewArticle
from bot.store.database import alembic_config, create_engine, run_migrations
from bot.store.repository import Store
from tests.support.feeds import new_article
from tests.support.migrations import migrate_to

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
KEPT_TABLES = ("chats", "feeds", "subscriptions", "articles", "feed_entries", "chat_seen")


def story(n: int) -> NewArticle:
    return new_article(n, published=NOW)


async def seed(store: Store) -> None:
    """A chat following two feeds, with stored stories, a delivered digest and a filter."""
    chat = await store.get_or_create_chat(ChatTarget("telegram", "-100"))
    for name in ("a", "b"):
        feed = await store.get_or_create_feed(f"https://{name}.example/feed.xml")
        subscription, _ = await store.subscribe(chat.pk, feed.id)
        ids = await store.store_articles(
            feed.id, [story(ord(name)), story(ord(name) + 100)], now=NOW
        )
        await store.commit_digest(chat.pk, f"slot-{name}", {"n": name}, ids, now=NOW)
    await store.add_filter(
        chat.pk, kind="exclude", pattern="sport", is_regex=False, subscription_id=subscription.id
    )


async def counts(database_url: str, tables: tuple[str, ...]) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                table: (
                    await connection.execute(text(f"SELECT count(*) FROM {table}"))
                ).scalar_one()
                for table in tables
            }
    finally:
        await engine.dispose()


async def test_downgrades_and_upgrade_keep_every_row(database_url: str) -> None:
    store = await Store.open(database_url)
    await seed(store)
    await store.close()
    before = await counts(database_url, (*KEPT_TABLES, "deliveries", "filters"))
    assert all(before.values()), before

    await migrate_to(database_url, "downgrade", "0005")  # rebuilds deliveries on SQLite
    assert await counts(database_url, (*KEPT_TABLES, "deliveries", "filters")) == before
    await migrate_to(database_url, "downgrade", "0003")  # drops the filters table
    await migrate_to(database_url, "downgrade", "0002")  # rebuilds feeds on SQLite
    kept = {table: before[table] for table in (*KEPT_TABLES, "deliveries")}
    assert await counts(database_url, (*KEPT_TABLES, "deliveries")) == kept
    await migrate_to(database_url, "downgrade", "0001")  # rebuilds chats on SQLite
    assert await counts(database_url, (*KEPT_TABLES, "deliveries")) == kept

    store = await Store.open(database_url)  # back to head
    try:
        chat = await store.find_chat(ChatTarget("telegram", "-100"))
        assert chat is not None
        assert [s.feed.url for s in await store.list_subscriptions(chat.pk)] == [
            "https://a.example/feed.xml",
            "https://b.example/feed.xml",
        ]
        assert await store.unseen_articles(chat.pk) == []  # the seen marks survived too
    finally:
        await store.close()
    assert await counts(database_url, (*KEPT_TABLES, "deliveries")) == kept


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite foreign-key pragmas only")
    return database_url


async def test_foreign_keys_are_back_on_after_migrating(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url)
    try:
        async with store.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            await connection.commit()
            await connection.run_sync(run_migrations, "downgrade", "0003")
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    finally:
        await store.close()


async def test_a_migration_leaving_dangling_references_is_rolled_back(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url)
    try:
        async with store.engine.connect() as connection:
            await connection.execute(text("PRAGMA foreign_keys=OFF"))
            await connection.execute(
                text(
                    "INSERT INTO subscriptions (chat_pk, feed_id, start_entry_id, created_at) "
                    "VALUES (999, 999, 0, CURRENT_TIMESTAMP)"
                )
            )
            await connection.commit()
            await connection.execute(text("PRAGMA foreign_keys=ON"))
            await connection.commit()
            with pytest.raises(RuntimeError, match="broken foreign keys"):
                await connection.run_sync(run_migrations, "downgrade", "0003")
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == HEAD  # nothing of the downgrade was committed
            tables = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table' AND name='filters'")
            )
            assert tables.scalar_one_or_none() == "filters"
    finally:
        await store.close()


async def test_alembic_refuses_sqlite_with_foreign_keys_on(sqlite_url: str) -> None:
    """A caller bypassing run_migrations gets an error, not a silently emptied database."""
    engine = create_engine(sqlite_url)
    try:

        def downgrade(connection) -> None:  # type: ignore[no-untyped-def]
            config = alembic_config()
            config.attributes["connection"] = connection
            alembic_command.downgrade(config, "base")

        async with engine.begin() as connection:
            with pytest.raises(RuntimeError, match="foreign keys off"):
                await connection.run_sync(downgrade)
    finally:
        await engine.dispose()
