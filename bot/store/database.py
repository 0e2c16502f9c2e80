"""Opening the database and bringing its schema up to date.

Why here: the bot applies its own Alembic migrations at start, so an operator upgrades by
pulling the new version and restarting; there is no separate migration step to forget.
SQLite gets the pragmas it needs to behave like a server database (foreign keys on, WAL so
readers do not block the writer, a busy timeout instead of instant "database is locked").

Migrations on SQLite run with foreign keys OFF (see `run_migrations`): Alembic's batch mode
changes a table by copying it, dropping the original and renaming the copy, and with foreign
keys on that DROP is an implicit DELETE whose ON DELETE CASCADE empties every child table.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed number: the PostgreSQL advisory lock under which a process migrates, so two
# processes starting together on one database migrate one after the other.
MIGRATION_LOCK_KEY = 0x6E657773  # "news"
#: Pooled server connections are replaced after this long (see _refuse_closed_connection).
POOL_RECYCLE_SECONDS = 1800


def create_engine(database_url: str) -> AsyncEngine:
    """Create the async engine; for a SQLite file, make sure its folder exists."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, pool_recycle=POOL_RECYCLE_SECONDS)
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has already closed, at no round trip.

    Why not ``pool_pre_ping``: it costs three round trips on every checkout with asyncpg
    (BEGIN, an empty query, ROLLBACK), more than the single UPDATE of a steady poll. A
    server that restarts, or a backend that is terminated, closes its sockets; the
    driver sees that while the event loop runs and marks the connection closed, so
    asking it is enough. Raising DisconnectionError makes the pool replace it with a new
    connection before anyone uses it. A connection a firewall silently dropped is not
    seen this way: ``pool_recycle`` bounds how long any connection is kept.
    """
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration (idempotent: a no-op on an up-to-date schema)."""
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations, "upgrade", "head")
    log.debug("database schema is up to date (%s)", engine.url.get_backend_name())


def run_migrations(connection: Connection, direction: str, revision: str) -> None:
    """Upgrade or downgrade to `revision` in one transaction on `connection`.

    `connection` must not be inside a transaction: on SQLite, ``PRAGMA foreign_keys`` is
    silently ignored within one, and the migrations need foreign keys OFF so a batch table
    rebuild cannot cascade-delete child rows (the procedure SQLite documents for schema
    changes). Before committing, ``PRAGMA foreign_key_check`` must come back clean, so a
    migration that leaves dangling references is rolled back instead of committed; foreign
    keys are switched back on whatever happens.
    """
    if direction not in ("upgrade", "downgrade"):
        raise ValueError(f"direction must be 'upgrade' or 'downgrade', not {direction!r}")
    config = alembic_config()
    config.attributes["connection"] = connection
    run = command.upgrade if direction == "upgrade" else command.downgrade
    if connection.dialect.name != "sqlite":
        with connection.begin():
            # Released with the transaction; the second process then finds nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            run(config, revision)
        return
    if connection.in_transaction():
        raise RuntimeError("SQLite migrations must start outside a transaction")
    _set_foreign_keys(connection, enabled=False)
    try:
        with connection.begin():
            # An explicit BEGIN: the sqlite3 driver only opens a transaction before DML, so
            # without it the DDL of a migration would be committed piecemeal. IMMEDIATE
            # takes the write lock first: a second process starting at the same moment
            # waits (busy timeout), then finds the schema up to date.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            run(config, revision)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if problems:
                raise RuntimeError(f"migration left broken foreign keys: {problems[:5]}")
    finally:
        _set_foreign_keys(connection, enabled=True)


def _set_foreign_keys(connection: Connection, *, enabled: bool) -> None:
    """Switch SQLite foreign keys and check it took effect (it is a no-op in a transaction)."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    state = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    connection.commit()
    if bool(state) != enabled:
        raise RuntimeError("could not switch SQLite foreign keys: a transaction is open")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
