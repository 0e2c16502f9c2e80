"""One kind of deployment per database: the single process, or the distributed roles.

Why: a ``--role all`` process polls, composes and sends on its own timers. Beside gateways
and workers on the same database it would poll every feed a second time and compose the
same chats' digests in a race with the workers, so the two kinds must not run together;
any number of processes of one kind may.

How: each process on PostgreSQL holds, for as long as it runs, a *shared* session advisory
lock naming its kind, on a connection of its own, and only then looks in ``pg_locks`` for
a process holding the other kind's lock. Of two processes of different kinds starting at
the same moment, the one that looks second sees the first (both may refuse, never both
run). The lock goes with its connection: a killed process frees it at once, so there is
no stale record (such as a dead worker's heartbeat) to wait out before switching kinds.

SQLite needs nothing: the distributed roles refuse to run on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

#: Both halves of the two-number advisory lock keys (apart from the one-number keys).
LOCK_CLASS = 0x6E657773  # "news"
SINGLE, ROLES = "all", "roles"
_KIND_KEYS = {SINGLE: 1, ROLES: 2}
#: Why a process of each kind refuses to start beside the other kind (one line).
_REFUSALS = {
    SINGLE: "gateway or worker roles run on this database (PostgreSQL backend pid {pids}): "
    "a --role all process beside them would poll and send a second time; stop them first, "
    "or start this one as --role gateway or --role worker",
    ROLES: "a --role all process runs on this database (PostgreSQL backend pid {pids}): "
    "gateway and worker roles beside it would poll and send a second time; stop it first",
}


class DeploymentConflictError(Exception):
    """A process of the other kind runs on this database (one line, for the operator)."""


@asynccontextmanager
async def deployment_kind(engine: AsyncEngine, kind: str) -> AsyncIterator[None]:
    """Hold ``kind`` (SINGLE or ROLES) on this database while the block runs.

    Raises DeploymentConflictError, holding nothing, when a process of the other kind
    holds its own.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    other = ROLES if kind == SINGLE else SINGLE
    mine = {"cls": LOCK_CLASS, "key": _KIND_KEYS[kind]}
    connection = await engine.connect()
    try:
        await connection.execute(text("SELECT pg_advisory_lock_shared(:cls, :key)"), mine)
        await connection.commit()  # a session lock: it outlives the transaction
        holders = await connection.scalars(
            text(
                "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = :cls AND objid = :key AND objsubid = 2"
                " AND pid <> pg_backend_pid()"
                # pg_locks covers the whole server: another database is another deployment
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " ORDER BY pid"
            ),
            {"cls": LOCK_CLASS, "key": _KIND_KEYS[other]},
        )
        pids = list(holders)
        await connection.commit()
        if pids:
            listed = ", ".join(str(pid) for pid in pids)
            raise DeploymentConflictError(_REFUSALS[kind].format(pids=listed))
        yield
    finally:
        with contextlib.suppress(Exception):  # a connection already gone holds nothing
            await connection.execute(text("SELECT pg_advisory_unlock_all()"))
            await connection.commit()
        await connection.close()
