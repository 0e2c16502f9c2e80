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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        """Deliver a reply (text, digest or document); returns the platform message ids.

        All messages of one reply go out together, and replies to one chat in the order
        ``send`` was called (bot.keyed_locks). Raises DeliveryError when it cannot.
        With ``progress``, the first ``progress.done`` parts (the reply's messages, then
        its document) are skipped, and ``progress.accepted`` is awaited after each part
        the platform takes; the ids returned are then those of this call's parts.
        """


@dataclass(slots=True)
class PartsProgress:
    """How far a reply split into several messages got, so a retry resumes, not repeats.

    Why: a digest longer than one message goes out as parts; when part 2 fails after
    part 1 was accepted, sending the reply again from the start would show the reader
    part 1 twice. The sender records each accepted part (``on_accepted``, e.g. in the
    outbox row) before the next is sent, and a later attempt, in this process or after a
    restart, starts with ``done`` set to what was recorded.
    """

    done: int = 0  # parts accepted so far, in earlier attempts included
    ids: list[str] = field(default_factory=list)  # their message ids, in order
    on_accepted: Callable[[PartsProgress], Awaitable[None]] | None = None

    def skips(self, index: int) -> bool:
        """Whether part ``index`` (0-based) was accepted already."""
        return index < self.done

    async def accepted(self, message_id: str) -> None:
        """The platform took the next part: count it, and record it before going on."""
        self.done += 1
        self.ids.append(message_id)
        if self.on_accepted is not None:
            await self.on_accepted(self)


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
