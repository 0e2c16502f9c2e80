"""What every fake server needs to let tests wait for traffic without sleeping.

A fake calls :meth:`ChangeSignal.notify` whenever a request or a scripted event arrives;
waiters (``wait_until``, long polls) wake up and re-check their own condition. Time comes
from an injectable clock that returns seconds or a datetime.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime


class ChangeSignal:
    """Wakes every current waiter at once; later waiters wait for the next change."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline, not a sleep
        """Return at the next change, or after ``timeout`` seconds without one."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


async def wait_until(
    signal: ChangeSignal,
    predicate: Callable[[], bool],
    *,
    timeout: float,  # noqa: ASYNC109 - a plain deadline reads best in tests
    what: str,
    seen: Callable[[], str],
) -> None:
    """Re-check ``predicate`` at every change; TimeoutError names what the fake saw."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}; calls: {seen()}")
        await signal.wait(remaining)


def seconds(value: float | datetime) -> float:
    """A fake clock's reading in seconds (clocks may return a float or a datetime)."""
    return value.timestamp() if isinstance(value, datetime) else float(value)
