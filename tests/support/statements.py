"""Counting what a piece of work asks of the database: statements, transactions, pings.

Round trips are what a poll of 20,000 feeds pays for, so the benchmark and the tests
count them from SQLAlchemy's own events on the engine: every statement executed, every
COMMIT and ROLLBACK of a transaction, and the pool's liveness pings. A ping is not an
event; it happens on each checkout when the engine was made with ``pool_pre_ping``,
and costs three round trips with asyncpg (BEGIN, an empty query, ROLLBACK).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

#: What one pre-ping costs in round trips on each backend (asyncpg wraps it in a
#: transaction for pgbouncer's sake; SQLite is never pinged by the bot).
PING_ROUND_TRIPS = {"postgresql": 3, "sqlite": 1}


@dataclass
class StatementCount:
    """What the engine was asked to do since the counter started."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0
    rollbacks: int = 0
    checkouts: int = 0
    pings: int = 0
    backend: str = ""

    @property
    def round_trips(self) -> int:
        """Statements, one BEGIN per transaction, its end, and the pings' round trips."""
        transactions = self.commits + self.rollbacks
        ping_cost = self.pings * PING_ROUND_TRIPS.get(self.backend, 1)
        return len(self.statements) + 2 * transactions + ping_cost


class StatementCounter:
    """Listens to an engine's events while in use (``with StatementCounter(engine) as c``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine: Engine = engine.sync_engine
        self.count = StatementCount(backend=engine.dialect.name)
        self._pre_ping = bool(getattr(engine.pool, "_pre_ping", False))

    def reset(self) -> StatementCount:
        """The count so far, and start again from zero."""
        done, self.count = self.count, StatementCount(backend=self.count.backend)
        return done

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)
        event.remove(self.engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count.statements.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.count.commits += 1

    def _rollback(self, _conn: Any) -> None:
        self.count.rollbacks += 1

    def _checkout(self, *_args: Any) -> None:
        self.count.checkouts += 1
        if self._pre_ping:
            self.count.pings += 1
