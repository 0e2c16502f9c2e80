"""The job queue: a procrastinate App on the bot's own PostgreSQL database.

Why procrastinate: the bot already runs on PostgreSQL, and procrastinate is a job queue
made of nothing else: workers take jobs with ``SELECT … FOR UPDATE SKIP LOCKED``, hear of
new ones by LISTEN/NOTIFY, refuse a second queued job under the same *queueing lock*,
never run two jobs under the same *lock* at once, and find the jobs of a worker whose
heartbeat stopped. No lease protocol of our own.

Its tables live next to the bot's (``procrastinate_*``); :func:`apply_schema` creates them
once, whichever process starts first.
"""

from __future__ import annotations

import logging

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager

from bot.distributed.tasks import register_tasks

log = logging.getLogger(__name__)

#: One number for every process of a deployment: whoever holds it creates the schema.
SCHEMA_LOCK_KEY = 0x6E657773  # "news"


def psycopg_conninfo(database_url: str) -> str:
    """The bot's SQLAlchemy URL (``postgresql+asyncpg://…``) as a libpq URL for psycopg."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError("the job queue needs a PostgreSQL DATABASE_URL")
    return f"postgresql://{rest}"


def build_queue_app(database_url: str, *, max_connections: int = 10) -> procrastinate.App:
    """The App with the bot's tasks registered; open it with ``open_async`` before use."""
    connector = procrastinate.PsycopgConnector(
        conninfo=psycopg_conninfo(database_url),
        min_size=1,
        max_size=max(2, max_connections),
    )
    app = procrastinate.App(connector=connector)
    register_tasks(app)
    return app


async def apply_schema(database_url: str) -> bool:
    """Create procrastinate's tables unless they exist; True when this call created them.

    Every role calls it at start. An advisory lock makes processes starting together
    take turns, so the schema is applied exactly once.
    """
    conninfo = psycopg_conninfo(database_url)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs')")
            row = await cursor.fetchone()
            if row is not None and row[0] is not None:
                return False
            schema = SchemaManager.get_schema()
            async with connection.transaction():
                await connection.execute(schema)
            log.info("job queue tables created")
            return True
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
