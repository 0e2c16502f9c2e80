"""The contract every chat platform adapter fulfils.

An adapter turns platform events into neutral `Command`s for the shared handlers, and
renders neutral `Reply`/`Digest` objects into the platform's own messages, within that
platform's size and rate limits. Nothing else in the bot knows a platform exists.
"""

from __future__ import annotations

from typing import Protocol

from bot.models import ChatTarget
from handlers.model import Reply


class Platform(Protocol):
    """A running connection to one chat platform."""

    name: str

    async def start(self) -> None:
        """Connect and begin receiving commands; returns once the platform is serving."""

    async def stop(self) -> None:
        """Disconnect cleanly; pending sends finish or fail, nothing is left half-sent."""

    async def send(self, target: ChatTarget, reply: Reply) -> list[str]:
        """Deliver a reply (text, digest or document); returns the platform message ids."""


class TargetUnavailableError(Exception):
    """The platform refused delivery for good (bot blocked, kicked, chat deleted).

    The adapter has already paused the chat; callers must not retry, and must keep the
    undelivered content (the outbox row stays pending) rather than drop it.
    """

    def __init__(self, target: ChatTarget, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason
