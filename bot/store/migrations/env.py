"""Alembic environment: runs on a connection handed over by bot.store.database.

Migrations are applied by the bot itself at start (see `bot.store.database.migrate`), so
this environment never opens its own engine; it uses the connection in
``config.attributes["connection"]``.
"""

from alembic import context

from bot.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
