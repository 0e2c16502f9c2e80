"""What a command handler is given: the command, the chat it came from, and the services.

Why a context: every handler used to load its chat itself (one `get_or_create_chat` per
handler) and to find "subscription number 3" in its own words. The registry loads the
chat once, after the access checks passed, and the context answers the questions several
commands ask, the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.i18n import _
from bot.models import Chat, Subscription
from handlers.lookup import (
    parse_number,
    parse_ref,
    subscription_by_number,
    subscription_by_ref,
)
from handlers.model import Command
from handlers.services import Services


@dataclass(slots=True)
class CommandContext:
    services: Services
    command: Command
    chat: Chat
    # Sends a short message now, ahead of the reply (adapters that can, pass one).
    say_now: Callable[[str], Awaitable[None]] | None = field(default=None, repr=False)
    _subscriptions: list[Subscription] | None = field(default=None, repr=False)

    @property
    def args(self) -> tuple[str, ...]:
        return self.command.args

    async def subscriptions(self, *, fresh: bool = False) -> list[Subscription]:
        """The chat's subscriptions, numbered as /list shows them (read once per command)."""
        if self._subscriptions is None or fresh:
            self._subscriptions = await self.services.store.list_subscriptions(self.chat.pk)
        return self._subscriptions

    async def subscription(self, text: str) -> tuple[Subscription | None, str | None]:
        """The subscription a typed number ("3", "#3") or a button's id ("id:12") names, or
        a complaint to show."""
        subscription_id = parse_ref(text)
        if subscription_id is not None:
            return subscription_by_ref(await self.subscriptions(), subscription_id)
        number = parse_number(text)
        if number is None:
            return None, _(
                "{text} is not a subscription number. Send /list to see the numbers."
            ).format(text=text)
        return subscription_by_number(await self.subscriptions(), number)

    async def progress(self, text: str) -> None:
        """Tell the user what is going on before a long command answers (if the platform
        can); never fails the command."""
        if self.say_now is not None:
            await self.say_now(text)

    async def reload_chat(self) -> Chat:
        """The chat as stored now (after a change made during this command)."""
        self.chat = await self.services.store.get_or_create_chat(self.command.target)
        return self.chat
