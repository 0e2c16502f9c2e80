"""The neutral vocabulary between chat platforms and command handlers.

A platform adapter turns whatever its library hands it (a Telegram update, a Discord
interaction, a console line) into a `Command`, and renders the `Reply` it gets back. Nothing
here may know about any platform's markup or API: that is what keeps every command working
identically everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.models import ChatTarget, Digest


@dataclass(frozen=True, slots=True)
class User:
    """Who issued a command; ``id`` is the platform's own user id as text."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A file moving in or out of a chat (OPML import/export)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


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

    @property
    def text(self) -> str:
        """The arguments as the user typed them, single-spaced."""
        return " ".join(self.args)


class ReplyKind(Enum):
    """How a reply should look: adapters may style errors (or make them ephemeral)."""

    INFO = "info"
    SUCCESS = "success"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: plain text, optionally a digest or a document to send.

    ``silent`` (no notification sound) and ``previews`` (link previews under a digest) are
    the chat's delivery choices; they live on the reply so that the outbox keeps them and
    a retried delivery looks like the first attempt would have.
    """

    text: str
    kind: ReplyKind = ReplyKind.INFO
    digest: Digest | None = None
    document: Document | None = None
    lines: tuple[str, ...] = field(default=())
    silent: bool = False
    previews: bool = False

    @classmethod
    def error(cls, text: str, *lines: str) -> Reply:
        return cls(text=text, kind=ReplyKind.ERROR, lines=tuple(lines))

    @classmethod
    def success(cls, text: str, *lines: str) -> Reply:
        return cls(text=text, kind=ReplyKind.SUCCESS, lines=tuple(lines))

    @classmethod
    def info(cls, text: str, *lines: str) -> Reply:
        return cls(text=text, kind=ReplyKind.INFO, lines=tuple(lines))

    @property
    def is_error(self) -> bool:
        return self.kind is ReplyKind.ERROR
