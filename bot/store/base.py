"""What every repository shares: the engine, short sessions, the clock, dialect helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.store.database import session_factory
from bot.store.tables import utcnow


def insert_ignoring_duplicates(dialect: str, table: Table, rows: list[dict[str, Any]]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: idempotent, and safe when two writers race."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(rows).on_conflict_do_nothing()


def affected_rows(result: Any) -> int:
    """How many rows an UPDATE or DELETE touched (the cursor result's ``rowcount``)."""
    return int(getattr(result, "rowcount", 0) or 0)


class StoreBase:
    """The engine and session factory; each repository method is its own short transaction."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions: async_sessionmaker[AsyncSession] = session_factory(engine)

    def session(self) -> AsyncSession:
        return self._sessions()

    async def close(self) -> None:
        await self.engine.dispose()
