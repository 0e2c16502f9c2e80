"""The contract every chat platform adapter fulfils.

An adapter turns platform events into neutral `Command`s for the shared handlers, and
renders neutral `Reply`/`Digest` objects into the platform's own messages, within that
platform's size and rate limits. Nothing else in the bot knows a platform exists.

Adapters do I/O and classify what went wrong; they do not decide what happens next. A
failed send raises `DeliveryError` with one of the `DeliveryProblem`s, and one policy
for every platform (bot.delivery.policy) pauses the chat, retries later or gives up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import ChatTarget, Reply

if TYPE_CHECKING:
    from config.settings import Settings


class Platform(Protocol):
    """A running connection to one chat platform."""

    name: str

    async def start(self) -> None:
        """Connect and begin receiving commands; returns once the platform is serving."""

    async def stop(self) -> None:
        """Disconnect cleanly; pending sends finish or fail, nothing is left half-sent."""

    async def send(self, target: ChatTarget, reply: Reply) -> list[str]:
        """Deliver a reply (text, digest or document); returns the platform message ids.

        All messages of one reply go out together, and replies to one chat in the order
        ``send`` was called (bot.keyed_locks). Raises DeliveryError when it cannot.
        """


class PlatformStartError(Exception):
    """A platform could not start; the message is one line naming the setting and the fix.

    Adapters raise it for what an operator must correct (a refused token, an unreachable
    API) instead of the library's traceback, and never put a secret in it.
    """


class DeliveryProblem(Enum):
    """Why a platform did not take a message, as far as what to do next is concerned."""

    BLOCKED = "blocked"  # the chat refuses the bot: blocked, kicked, no permission to post
    GONE = "gone"  # the chat no longer exists (deleted channel, unknown chat)
    RETRY_LATER = "retry later"  # network trouble, server errors, a flood wait too long
    REJECTED = "rejected"  # this message is refused for good (a bad request)


class DeliveryError(Exception):
    """A send failed; ``problem`` says which kind of failure (see DeliveryProblem)."""

    def __init__(
        self,
        target: ChatTarget,
        problem: DeliveryProblem,
        reason: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{target}: {problem.value}: {reason}")
        self.target = target
        self.problem = problem
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """What the rest of the bot needs to know about one chat platform."""

    name: str
    #: Whether the operator configured it (its token is set).
    is_configured: Callable[[Settings], bool]
    #: "module:Class" of the adapter, imported only when the platform starts.
    adapter: str
    #: How to turn it on, for the help printed when nothing is configured.
    how_to_enable: str

    def create(self, settings: Settings, registry: Any, services: Any) -> Platform:
        """The adapter, given the settings, the command registry and the services."""
        module, _, name = self.adapter.partition(":")
        adapter_class = getattr(importlib.import_module(module), name)
        platform: Platform = adapter_class(settings, registry, services)
        return platform
