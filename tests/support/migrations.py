"""Moving a test database to a given migration revision."""

from __future__ import annotations

from bot.store.database import create_engine, run_migrations


async def migrate_to(database_url: str, direction: str, revision: str) -> None:
    """Run Alembic ``direction`` ("upgrade" or "downgrade") to ``revision`` on the database."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations, direction, revision)
    finally:
        await engine.dispose()
