"""Alembic environment: runs on a connection handed over by bot.store.database.

Migrations are applied by the bot itself at start (see `bot.store.database.migrate`), so
this environment never opens its own engine; it uses the connection in
``config.attributes["connection"]``.

On SQLite it refuses to run with foreign keys on: batch operations rebuild a table (copy,
drop, rename) and dropping a parent table with foreign keys on cascade-deletes its children.
`bot.store.database.run_migrations` switches them off around the migration.
"""

from alembic import context

from bot.store.tables import Base

connection = context.config.attributes["connection"]
if (
    connection.dialect.name == "sqlite"
    and connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
):
    raise RuntimeError(
        "SQLite migrations must run with foreign keys off; use bot.store.database.run_migrations"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
