"""Which gateway shards a process runs, and how fast it may identify them.

Why: Discord requires sharding past 2,500 servers, and each gateway connection (shard)
receives only the events of servers with ``(guild_id >> 22) % shard_count == shard_id``.
The total comes from ``DISCORD_SHARD_COUNT`` or, unset, from what ``GET /gateway/bot``
recommends at start; ``DISCORD_SHARD_IDS`` lets several gateway processes split the
shards of one bot. Discord admits one IDENTIFY per five seconds in each of
``max_concurrency`` buckets (``shard_id % max_concurrency``), and closes the connection of
one that comes too early; discord.py's default waits five seconds before every identify
but the first, whatever the bucket. `IdentifyPacer` waits only as Discord requires.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

IDENTIFY_INTERVAL = 5.0  # seconds between two IDENTIFYs in one rate-limit bucket


@dataclass(frozen=True)
class ShardPlan:
    """The shards this process runs, out of ``count``; identified ``max_concurrency`` at once."""

    count: int
    ids: tuple[int, ...]
    max_concurrency: int = 1

    @classmethod
    def of(
        cls,
        *,
        configured_count: int | None,
        configured_ids: Sequence[int] | None,
        recommended_count: int,
        max_concurrency: int,
    ) -> ShardPlan:
        """The operator's choice where made, else Discord's recommendation (all shards)."""
        count = configured_count or max(1, recommended_count)
        ids = tuple(configured_ids) if configured_ids else tuple(range(count))
        return cls(count, ids, max(1, max_concurrency))

    def identify_wait(self) -> float:
        """The longest identifying all of this process's shards may have to wait."""
        rounds = math.ceil(len(self.ids) / self.max_concurrency)
        return IDENTIFY_INTERVAL * max(0, rounds - 1)

    def describe(self) -> str:
        if len(self.ids) == self.count:
            return f"{self.count} shard{'s' if self.count != 1 else ''}"
        return f"shards {', '.join(map(str, self.ids))} of {self.count}"


class IdentifyPacer:
    """Spaces IDENTIFYs of one bucket by `IDENTIFY_INTERVAL`; other buckets do not wait.

    Used as discord.py's ``before_identify_hook``: called right before each shard (re)sends
    IDENTIFY. A reconnect long after the last identify of its bucket goes at once.
    """

    def __init__(
        self,
        max_concurrency: int = 1,
        *,
        interval: float = IDENTIFY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait(self, shard_id: int | None) -> None:
        """Until ``shard_id`` may identify; records that it does now."""
        bucket = (shard_id or 0) % self.max_concurrency
        lock = self._locks.setdefault(bucket, asyncio.Lock())
        async with lock:
            last = self._last.get(bucket)
            if last is not None:
                delay = last + self.interval - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            self._last[bucket] = self._clock()
