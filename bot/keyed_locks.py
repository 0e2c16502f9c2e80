"""One lock per key (a chat), taken in arrival order, forgotten when nobody needs it.

Why: two things must happen one at a time *per chat* while chats proceed in parallel —
composing a chat's digest (two /digest a moment apart must not show the same stories) and
sending to a chat (one reply's messages go out together, replies in the order they were
produced). ``asyncio.Lock`` wakes its waiters first come, first served, which is exactly
the order wanted; this keeps one per key without letting the table grow with every chat
the bot ever saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLocks:
    """``async with locks.hold(key):`` runs one holder per key, in arrival order."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    def busy(self, key: Hashable) -> bool:
        """Whether someone holds (or waits for) this key's lock right now."""
        return self._users.get(key, 0) > 0

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    @asynccontextmanager
    async def hold_if_free(self, key: Hashable) -> AsyncIterator[bool]:
        """``async with locks.hold_if_free(key) as held:`` holds the key only when nobody
        holds or waits for it, and never waits: ``held`` says whether it got the turn.

        For work that must not queue behind one key while others are due (the
        scheduler); it can come back for this key later.
        """
        if self.busy(key):
            yield False
            return
        async with self.hold(key):  # free: taken at once, with no await in between
            yield True

    def __len__(self) -> int:
        """Keys currently in use (for tests: the table does not grow without bound)."""
        return len(self._locks)
