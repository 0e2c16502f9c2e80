"""The command registry: every command as data (name, help, arguments, permission, handler).

Why declarative: help text, the Telegram command menu and Discord's slash-command
definitions are all generated from this one table, so the platforms cannot drift apart, and
argument checks and permission checks happen once, here, before any handler runs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from handlers.access import SpaceRecorder, command_allowed, refusal
from handlers.model import Command, Reply
from handlers.rate_limit import TokenBucketLimiter

if TYPE_CHECKING:
    from handlers.services import Services

log = logging.getLogger(__name__)

Handler = Callable[["Services", Command], Awaitable[Reply]]


class ArgKind(Enum):
    """What an argument holds; platforms map it to their own option types."""

    TEXT = "text"
    URL = "url"
    INTEGER = "integer"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class ArgSpec:
    name: str
    description: str
    kind: ArgKind = ArgKind.TEXT
    required: bool = True
    rest: bool = False  # takes the rest of the line (several words)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str
    handler: Handler
    args: tuple[ArgSpec, ...] = ()
    admin_only: bool = False
    details: str = ""
    fetches: bool = field(default=False)  # may take seconds: platforms should defer/ack first

    @property
    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for arg in self.args:
            parts.append(f"<{arg.name}>" if arg.required else f"[{arg.name}]")
        return " ".join(parts)

    def check_args(self, args: tuple[str, ...]) -> str | None:
        """A user-facing complaint about the arguments, or None when they fit the spec."""
        required = [arg for arg in self.args if arg.required]
        if len(args) < len(required):
            missing = required[len(args)]
            return f"Missing {missing.name}: {missing.description}.\nUsage: {self.usage}"
        takes_rest = any(arg.rest for arg in self.args)
        if not takes_rest and len(args) > len(self.args):
            return f"Too many arguments.\nUsage: {self.usage}"
        return None


class CommandRegistry:
    """Holds the command specs and dispatches commands to their handlers."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._limiter: TokenBucketLimiter | None = None
        self._limiter_for: Services | None = None
        self._spaces = SpaceRecorder()

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"command {spec.name!r} registered twice")
        self._specs[spec.name] = spec

    def replace(self, spec: CommandSpec) -> None:
        """Swap in an extended version of a registered command, keeping its place in /help."""
        if spec.name not in self._specs:
            raise ValueError(f"command {spec.name!r} is not registered")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name.lower())

    def all(self) -> list[CommandSpec]:
        return list(self._specs.values())

    async def dispatch(self, services: Services, command: Command) -> Reply:
        """Validate, check permission, run the handler; every failure becomes a clear reply.

        The operator's limits apply here, once for every platform: chats outside
        NEWSDIGEST_ALLOWED_CHATS are refused before anything else, and commands that fetch
        spend a token of the chat's rate limit only when they are about to run.
        """
        if not command_allowed(services.settings, command):
            return refusal(command)
        await self._spaces.remember(services, command)
        spec = self.get(command.name)
        if spec is None:
            return Reply.error(f"Unknown command /{command.name}. Send /help to see what I can do.")
        if spec.admin_only and not command.is_admin:
            return Reply.error(
                f"Only administrators of this chat can use /{spec.name}. "
                "Ask an admin, or use /list to see the current subscriptions."
            )
        complaint = spec.check_args(command.args)
        if complaint:
            return Reply.error(complaint)
        if spec.fetches and (wait := self._rate_limit_wait(services, command)):
            return Reply.error(
                f"Slow down: try again in {math.ceil(wait)} s.",
                f"Commands that fetch feeds (/{spec.name} is one) are limited to "
                f"{services.settings.command_rate_per_minute} a minute per chat.",
            )
        try:
            return await spec.handler(services, command)
        except Exception:
            log.exception("command /%s failed in %s", spec.name, command.target)
            return Reply.error(
                f"Sorry, /{spec.name} failed unexpectedly. The error was logged; "
                "please try again later."
            )

    def _rate_limit_wait(self, services: Services, command: Command) -> float:
        """Seconds until this chat may fetch again; 0 spends a token (operators never wait)."""
        settings = services.settings
        if settings.command_rate_per_minute <= 0:
            return 0.0
        if settings.is_bot_admin(command.platform, command.user.id):
            return 0.0
        if self._limiter is None or self._limiter_for is not services:
            self._limiter = TokenBucketLimiter(
                per_minute=settings.command_rate_per_minute,
                burst=settings.command_burst,
                clock=services.clock,
            )
            self._limiter_for = services
        # Per chat, not per thread or topic: new threads must not mint fresh tokens.
        return self._limiter.acquire((command.target.platform, command.target.chat_id))
