"""The store: one object for the bot's persistent state, split by aggregate underneath.

Why one facade: handlers, the composer and the pipeline get a single ``Store`` (with
:meth:`Store.open` the one way to obtain it), while each aggregate's queries live in a
module of their own — chats, feeds, subscriptions (with filters), articles (with what each
chat has seen), the outbox, the operators' figures and what may be forgotten (retention).
They talk in domain records
(`bot.models`), never in SQL, so the schema can change under them and both database
backends get exactly the same queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.store.articles import ArticlesRepository
from bot.store.chats import ChatsRepository
from bot.store.database import create_engine, migrate
from bot.store.feeds import FeedsRepository
from bot.store.outbox import FAILED, PENDING, SENT, StoriesAlreadyShownError
from bot.store.retention import RetentionRepository
from bot.store.stats import StatsRepository
from bot.store.subscriptions import SubscriptionsRepository
from bot.store.tables import utcnow

__all__ = ["FAILED", "PENDING", "SENT", "Store", "StoriesAlreadyShownError"]


class Store(
    ChatsRepository,
    FeedsRepository,
    SubscriptionsRepository,
    ArticlesRepository,
    StatsRepository,
    RetentionRepository,
):
    """The bot's persistent state. Create with :meth:`open`, close with :meth:`close`."""

    @classmethod
    async def open(cls, database_url: str, *, clock: Callable[[], datetime] = utcnow) -> Store:
        """Connect and apply pending migrations: the one way the bot gets a store."""
        engine = create_engine(database_url)
        try:
            await migrate(engine)
        except Exception:
            await engine.dispose()
            raise
        return cls(engine, clock=clock)
