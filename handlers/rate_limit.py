"""A token bucket per chat for commands that fetch feeds (/subscribe, /digest, /import).

Why: those commands make the bot download other people's feeds on demand. Without a
limit, one user repeating /digest could make the bot hammer a small publisher's server
(and get the bot's address blocked for everyone). Each chat gets ``burst`` tokens, refilled
at ``per_minute`` a minute; a command spends one. Time comes from the injected clock, so
tests move a FakeClock instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

# Buckets that have refilled completely carry no information; forget them past this many.
MAX_TRACKED = 10_000
# Refills add up fractions of a token (0.1 + 0.1 + …): absorb the floating-point dust.
_EPSILON = 1e-9


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: datetime


class TokenBucketLimiter:
    """``acquire(key)`` spends a token, or says how many seconds until one is available."""

    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], datetime]) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("per_minute and burst must be positive")
        self.per_second = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    def acquire(self, key: Hashable) -> float:
        """0.0 when the command may run (a token was spent); otherwise the seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(tokens=self.burst, updated=now)
        else:
            self._refill(bucket, now)
        if bucket.tokens >= 1.0 - _EPSILON:
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return 0.0
        return (1.0 - bucket.tokens) / self.per_second

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        # A clock that steps backwards (NTP) mints no tokens, and refilling resumes from the
        # new time instead of waiting for the old one to come round again.
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.per_second)
        bucket.updated = now

    def _forget_full(self, now: datetime) -> None:
        if len(self._buckets) < MAX_TRACKED:
            return
        for key, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            if bucket.tokens >= self.burst:
                del self._buckets[key]
