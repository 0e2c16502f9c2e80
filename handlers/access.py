"""NEWSDIGEST_ALLOWED_CHATS: a private deployment serves only the chats its operator named.

Entries are ``telegram:<chat id>`` (a private chat, group or channel; forum topics follow
their group), ``discord:<channel id>`` (threads follow their channel, a DM is its own
channel) or ``discord:<server id>`` (every channel of that server). An empty list serves
everyone. Chats not on the list get a polite refusal for every command, and the scheduler
posts them no digests.

A digest has no command attached, so it only knows the chat, not the Discord server the
chat belongs to. The server is therefore remembered in the chat's settings (``space_id``)
the first time a command from it is let in through a server entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat_state import ChatState, space_changes
from bot.i18n import _
from bot.models import Chat, ChatTarget
from config.settings import Settings
from handlers.model import Command, Reply

if TYPE_CHECKING:
    from handlers.services import Services


def command_allowed(settings: Settings, command: Command) -> bool:
    return target_allowed(settings, command.target, command.space_id)


def target_allowed(settings: Settings, target: ChatTarget, space_id: str | None) -> bool:
    """Whether a chat may use the bot; adapters ask before they download or look anything
    up for a command, so a chat outside the list costs no more than the refusal."""
    return settings.is_chat_allowed(target.platform, target.chat_id, space_id)


def may_receive_digests(settings: Settings, chat: Chat) -> bool:
    """For the scheduler: a chat outside the allow-list gets no digests."""
    space = ChatState.of(chat).space_id
    return settings.is_chat_allowed(chat.target.platform, chat.target.chat_id, space)


def refusal(command: Command) -> Reply:
    """Polite, and names the entry the operator would add: asking is easy then."""
    return refusal_for(command.target, command.space_id)


def refusal_for(target: ChatTarget, space_id: str | None) -> Reply:
    entry = f"{target.platform}:{target.chat_id}"
    if space_id:
        entry += " " + _("(or the whole server, {entry})").format(
            entry=f"{target.platform}:{space_id}"
        )
    return Reply.error(
        _("Sorry, this bot is private: it only serves the chats its operator chose."),
        _("To use it here, ask the operator to add {entry} to NEWSDIGEST_ALLOWED_CHATS.").format(
            entry=entry
        ),
    )


class SpaceRecorder:
    """Stores which Discord server a chat belongs to, once per chat and process."""

    def __init__(self) -> None:
        self._recorded: set[tuple[ChatTarget, str]] = set()

    async def remember(self, services: Services, command: Command, chat: Chat) -> Chat:
        """The chat, with its server recorded when an allow-list entry names servers."""
        space = command.space_id
        if not space or not services.settings.allowed_chats:
            return chat
        if (command.target, space) in self._recorded:
            return chat
        if ChatState.of(chat).space_id != space:
            chat = await services.store.update_chat_settings(chat.pk, changes=space_changes(space))
        self._recorded.add((command.target, space))
        return chat
