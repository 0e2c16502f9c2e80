"""The command registry: every command as data (name, help, arguments, access, handler).

Why declarative: help text, the Telegram command menu and Discord's slash-command
definitions are all generated from this one table, so the platforms cannot drift apart, and
argument checks and access checks happen once, here, before any handler runs. A command
declares who may run it (``access``) and, for commands that show a value to anyone but
change it only for some (/schedule, /settings…), who may change it (``changes``); handlers
never check permissions themselves. They receive a `CommandContext` with the chat loaded.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

from bot.chat_state import ChatState, language_hint_changes
from bot.i18n import _, chat_language, match_language, using
from bot.models import Chat
from handlers.access import SpaceRecorder, command_allowed, refusal
from handlers.context import CommandContext
from handlers.model import Command, Reply
from handlers.rate_limit import TokenBucketLimiter

if TYPE_CHECKING:
    from handlers.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[CommandContext], Awaitable[Reply]]


class Access(IntEnum):
    """Who may do something, from least to most trusted."""

    ANYONE = 0
    CHAT_ADMIN = 1  # a chat's administrators (and operators): the adapter decides who
    OPERATOR = 2  # the bot's operators, NEWSDIGEST_ADMINS

    def allows(self, services: Services, command: Command) -> bool:
        if self is Access.OPERATOR:
            return services.settings.is_bot_admin(command.platform, command.user.id)
        if self is Access.CHAT_ADMIN:
            return command.is_admin
        return True


def has_arguments(args: tuple[str, ...]) -> bool:
    return bool(args)


@dataclass(frozen=True, slots=True)
class Changes:
    """ "Anyone may show, some may change": which calls change something, and who may.

    ``is_change`` tells a change from a look (by default: any argument is a change);
    ``what`` names what is changed for the refusal ("the schedule"); ``hint`` tells the
    refused user how to look instead. Both are marked with ``N_`` and translated when shown.
    """

    what: str
    access: Access = Access.CHAT_ADMIN
    is_change: Callable[[tuple[str, ...]], bool] = has_arguments
    hint: str = ""


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
    # Names a provider of suggestions while the argument is typed (handlers.completion).
    completes: str = ""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command as data. ``summary``, ``details``, ``why_restricted`` and the arguments'
    descriptions are English constants marked with ``N_``: /help and the platforms' menus
    translate them into the language they show (bot.i18n)."""

    name: str
    summary: str
    handler: Handler
    args: tuple[ArgSpec, ...] = ()
    access: Access = Access.ANYONE  # needed to run the command at all
    changes: Changes | None = None  # needed, in addition, for calls that change something
    why_restricted: str = ""  # told to those the access refuses, and in /help
    about_scheduled_digests: bool = False  # platforms without a scheduler may say so
    details: str = ""
    fetches: bool = field(default=False)  # may take seconds: platforms should defer/ack first

    @property
    def admins_only(self) -> bool:
        """Every use needs a chat administrator (platforms may hide it from the others)."""
        return self.access is Access.CHAT_ADMIN

    def access_note(self) -> str | None:
        """The line /help shows about who may use the command, or None for anyone."""
        if self.access is Access.OPERATOR:
            if self.why_restricted:
                return _("Only the bot's operators (NEWSDIGEST_ADMINS) can use it ({why}).").format(
                    why=_(self.why_restricted)
                )
            return _("Only the bot's operators (NEWSDIGEST_ADMINS) can use it.")
        if self.access is Access.CHAT_ADMIN:
            return _("In groups, only chat administrators can use it.")
        if self.changes is not None:
            if self.changes.access is Access.OPERATOR:
                text = _(
                    "Anyone can see {what}; in groups, only the bot's operators can change it."
                )
            else:
                text = _(
                    "Anyone can see {what}; in groups, only chat administrators can change it."
                )
            return text.format(what=_(self.changes.what))
        return None

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
            return _("Missing {argument}: {description}.\nUsage: {usage}").format(
                argument=missing.name, description=_(missing.description), usage=self.usage
            )
        takes_rest = any(arg.rest for arg in self.args)
        if not takes_rest and len(args) > len(self.args):
            return _("Too many arguments.\nUsage: {usage}").format(usage=self.usage)
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

    async def dispatch(
        self,
        services: Services,
        command: Command,
        *,
        say_now: Callable[[str], Awaitable[None]] | None = None,
    ) -> Reply:
        """Validate, check permission, run the handler; every failure becomes a clear reply.

        The operator's limits apply here, once for every platform: chats outside
        NEWSDIGEST_ALLOWED_CHATS are refused before anything else, and commands that fetch
        spend a token of the chat's rate limit only when they are about to run.

        The reply is worded in the chat's language (bot.i18n.chat_language): the user's
        own language until the chat is loaded, and it carries that language to the renderer.
        """
        with using(chat_language(None, command.locale)) as language:
            reply = await self._dispatch(services, command, say_now=say_now)
            language = reply.locale or language
        return reply if reply.locale else replace(reply, locale=language)

    async def _dispatch(
        self,
        services: Services,
        command: Command,
        *,
        say_now: Callable[[str], Awaitable[None]] | None = None,
    ) -> Reply:
        if not command_allowed(services.settings, command):
            return refusal(command)  # in the user's language: the chat is none of ours
        spec = self.get(command.name)
        wait = 0.0
        if spec is not None and spec.fetches and self._refused(services, spec, command) is None:
            wait = self._rate_limit_wait(services, command)
        if self._refused(services, spec, command, wait) is not None:
            # Worded in the chat's language when it chose one (looked up, never created).
            known = await services.store.find_chat(command.target)
            with using(chat_language(known, command.locale)) as language:
                refused = self._refused(services, spec, command, wait)
            if refused is not None:  # rendered in that language too ("Fehler: …")
                return replace(refused, locale=language)
        assert spec is not None  # _refused answers unknown commands
        try:
            chat = await services.store.get_or_create_chat(command.target)
            chat = await self._spaces.remember(services, command, chat)
            chat = await _remember_language(services, command, chat)
            with using(chat_language(chat, command.locale)) as language:
                reply = await spec.handler(CommandContext(services, command, chat, say_now=say_now))
                return reply if reply.locale else replace(reply, locale=language)
        except Exception:
            log.exception("command /%s failed in %s", spec.name, command.target)
            return Reply.error(
                _(
                    "Sorry, /{name} failed unexpectedly. The error was logged; "
                    "please try again later."
                ).format(name=spec.name)
            )

    def _refused(
        self, services: Services, spec: CommandSpec | None, command: Command, wait: float = 0.0
    ) -> Reply | None:
        """Why the command is not run (unknown, not allowed, bad arguments, too fast; in
        the current language), or None. Pure: the caller decides the language and ``wait``
        (seconds until the chat may fetch again)."""
        if spec is None:
            return Reply.error(
                _("Unknown command /{name}. Send /help to see what I can do.").format(
                    name=command.name
                )
            )
        denied = self._denied(services, spec, command)
        if denied is not None:
            return denied
        complaint = spec.check_args(command.args)
        if complaint:
            return Reply.error(complaint)
        if wait:
            return Reply.error(
                _("Slow down: try again in {seconds} s.").format(seconds=math.ceil(wait)),
                _(
                    "Commands that fetch feeds (/{name} is one) are limited to "
                    "{rate} a minute per chat."
                ).format(name=spec.name, rate=services.settings.command_rate_per_minute),
            )
        return None

    @staticmethod
    def _denied(services: Services, spec: CommandSpec, command: Command) -> Reply | None:
        """The refusal when the user may not do this, else None (see Access, Changes)."""
        if not spec.access.allows(services, command):
            if spec.access is Access.OPERATOR:
                if spec.why_restricted:
                    head = _("Sorry, /{name} is for the operators of this bot only: {why}")
                else:
                    head = _("Sorry, /{name} is for the operators of this bot only.")
                return Reply.error(
                    head.format(name=spec.name, why=_(spec.why_restricted)),
                    _(
                        "Operators are the users in NEWSDIGEST_ADMINS. "
                        "Send /list to see this chat's feeds."
                    ),
                )
            return Reply.error(
                _(
                    "Only administrators of this chat can use /{name}. "
                    "Ask an admin, or use /list to see the current subscriptions."
                ).format(name=spec.name)
            )
        changes = spec.changes
        if (
            changes is not None
            and changes.is_change(command.args)
            and not changes.access.allows(services, command)
        ):
            if changes.access is Access.OPERATOR:
                text = _("Only the bot's operators (NEWSDIGEST_ADMINS) can change {what}.")
            else:
                text = _("Only administrators of this chat can change {what}.")
            lines = (_(changes.hint),) if changes.hint else ()
            return Reply.error(text.format(what=_(changes.what)), *lines)
        return None

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


async def _remember_language(services: Services, command: Command, chat: Chat) -> Chat:
    """Remember the user's language for the chat's digests, where no user is talking.

    Written only when it changes what the chat would read (a chat of English speakers
    never writes it), and never over a language the chat chose with /language.
    """
    state = ChatState.of(chat)
    spoken = match_language(command.locale)
    if state.language is not None or spoken is None:
        return chat
    if spoken == chat_language(chat):
        return chat
    return await services.store.update_chat_settings(chat.pk, changes=language_hint_changes(spoken))
