"""Scratch databases for tests and benchmarks: emptied before use."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def empty_database(url: str) -> None:
    """Drop everything in a PostgreSQL database's ``public`` schema (the bot's tables and
    the job queue's); a SQLite file is fresh anyway and left alone."""
    if not url.startswith("postgresql"):
        return
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
