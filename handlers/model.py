"""The neutral vocabulary between chat platforms and command handlers.

A platform adapter turns whatever its library hands it (a Telegram update, a Discord
interaction, a console line) into a `Command`, and renders the `Reply` it gets back. Nothing
here may know about any platform's markup or API: that is what keeps every command working
identically everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Action, ActionRow, ActionStyle, ChatTarget, Document, Reply, ReplyKind

__all__ = [
    "Action",
    "ActionRow",
    "ActionStyle",
    "Command",
    "Document",
    "Reply",
    "ReplyKind",
    "User",
]


@dataclass(frozen=True, slots=True)
class User:
    """Who issued a command; ``id`` is the platform's own user id as text."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """One command as issued in a chat, already stripped of platform details.

    ``is_admin`` says whether the user may administer this chat (a group admin, a server
    manager, the only person in a private chat, or an operator); the adapter decides it
    because only the platform knows. ``space_id`` is the Discord server the channel belongs
    to (None elsewhere), so NEWSDIGEST_ALLOWED_CHATS can name a whole server.
    """

    platform: str
    target: ChatTarget
    user: User
    name: str
    args: tuple[str, ...] = ()
    is_admin: bool = False
    attachment: Document | None = None
    space_id: str | None = None
    # How a user of this platform attaches a file to a command (for /import's help).
    file_hint: str = ""
    # Sent by pressing a button or picking from a menu (an `Action`), not typed.
    pressed: bool = False
    # The language the platform reports for the user (Telegram's language_code, Discord's
    # locale or the server's), as the platform spells it: the chat's language until the
    # chat chooses one with /language (bot.i18n.chat_language).
    locale: str | None = None

    @property
    def text(self) -> str:
        """The arguments as the user typed them, single-spaced."""
        return " ".join(self.args)
