"""Plain data that crosses module boundaries: parsed feeds, articles, digests.

These dataclasses are the vocabulary shared by the news pipeline, the store, the digest
composer and the handlers. They carry no behaviour that needs a database, a network or
a chat platform, so every layer can use them without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One item of a feed as the parser understood it, before it is stored.

    ``text`` is clean plain text (HTML stripped, boilerplate removed): the summariser's
    input. ``guid`` is ``None`` when the feed gives no stable id; the store then falls back
    to the normalised link. ``image`` is the item's lead picture, an absolute http(s)
    address the platforms may be given (bot.news.images), or None.
    """

    title: str
    link: str | None
    guid: str | None
    published: datetime | None
    author: str | None
    text: str
    language: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A whole feed document: its metadata and its items, newest first as published."""

    title: str
    site_url: str | None
    language: str | None
    format: str
    articles: list[ParsedArticle] = field(default_factory=list)
    ttl_seconds: int | None = None  # RSS <ttl>: how long the publisher asks us to wait


@dataclass(frozen=True, slots=True)
class AlsoLink:
    """Another outlet's version of a digest story: shown as "also: Source" with its link."""

    source: str
    link: str | None


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story in a digest: what a reader sees for it on any platform.

    ``also`` lists the other subscribed outlets that reported the same event (bot.digest.stories).
    """

    title: str
    link: str | None
    source: str
    published: datetime | None
    summary: list[str]
    also: list[AlsoLink] = field(default_factory=list)
    image: str | None = None  # the story's lead picture; None when the chat turned images off


@dataclass(frozen=True, slots=True)
class DigestSection:
    """The stories of one source, so a digest reads grouped by where they came from."""

    source: str
    items: list[DigestItem]


LAYOUT_FULL = "full"  # each story: linked title and summary
LAYOUT_COMPACT = "compact"  # each story: linked title only
LAYOUTS = (LAYOUT_FULL, LAYOUT_COMPACT)


@dataclass(frozen=True, slots=True)
class Digest:
    """A platform-neutral digest. Adapters render it; nothing here knows about markup.

    ``more_count`` is how many unseen stories did not fit under the cap; they stay unseen
    and lead the next digest. ``layout`` is the chat's choice (one of ``LAYOUTS``); it
    travels with the digest so a delivery retried from the outbox looks the same.
    """

    title: str
    sections: list[DigestSection]
    more_count: int = 0
    layout: str = LAYOUT_FULL
    # One-line remarks for the reader ("12 older stories were skipped while paused");
    # whoever wraps the digest in a Reply passes them on as its lines.
    notes: tuple[str, ...] = ()

    @property
    def items(self) -> list[DigestItem]:
        return [item for section in self.sections for item in section.items]


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """Where a command came from and where its replies and digests go.

    ``thread_id`` is the Telegram forum topic or Discord thread ('' for none), so a
    command issued in a topic targets that topic.
    """

    platform: str
    chat_id: str
    thread_id: str = ""

    def __str__(self) -> str:
        suffix = f"/{self.thread_id}" if self.thread_id else ""
        return f"{self.platform}:{self.chat_id}{suffix}"


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat target as stored, with its per-chat preferences."""

    pk: int
    target: ChatTarget
    timezone: str | None
    settings: dict[str, object]
    active: bool
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as stored, with the HTTP validators for the next conditional GET."""

    id: int
    url: str
    title: str | None
    site_url: str | None
    language: str | None
    etag: str | None
    last_modified: str | None
    disabled: bool
    last_error: str | None
    poll_interval_seconds: int | None = None
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    next_poll_at: datetime | None = None
    full_text: bool = True  # fetch the article page when an item is only a teaser


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's subscription as listed to users: ``position`` is the number users type.

    ``muted``: the chat keeps following the feed but its stories stay out of digests.
    """

    id: int
    position: int
    feed: Feed
    custom_title: str | None
    muted: bool = False

    @property
    def display_title(self) -> str:
        return self.custom_title or self.feed.title or self.feed.url


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to be stored: parsed, cleaned, summarised, with its dedupe keys.

    ``entry_key`` identifies the item within its feed; ``link_key`` is set only when the
    link identifies one article, so another feed's copy of it can merge; ``entry_link_key``
    is the normalised link the item carried, whatever it is (see bot.news.links).
    """

    entry_key: str
    link_key: str | None
    link: str | None
    title: str
    author: str | None
    published: datetime | None
    text: str
    summary: list[str]
    language: str | None
    entry_link_key: str | None = None
    image: str | None = None  # the lead picture (bot.news.images)


@dataclass(frozen=True, slots=True)
class CarriedEntry:
    """An item a feed stored before, as its link finds it again: its entry key and the
    title of the article it points to (another feed's title when the two were merged)."""

    entry_key: str
    title: str


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article read back for a digest, with the title of the feed that carried it."""

    id: int
    title: str
    link: str | None
    source: str
    published: datetime | None
    first_seen: datetime
    summary: list[str]
    text: str
    language: str | None = None  # what the summariser needs to re-summarise for a chat
    subscription_id: int | None = None  # the subscription it is shown under (its filters)
    image: str | None = None  # the lead picture (bot.news.images)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An unseen article without its text: enough to order it, apply the backlog bounds
    to it and mark it read, so a digest reads in full only what it may still show."""

    id: int
    subscription_id: int
    source: str
    published: datetime | None
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class FilterRule:
    """One stored rule. ``subscription_id`` None means it applies to the whole chat."""

    id: int
    kind: str
    pattern: str
    is_regex: bool
    subscription_id: int | None = None

    def describe(self) -> str:
        """How /filter list shows the rule: as the user would type it again."""
        return f"{self.kind} /{self.pattern}/" if self.is_regex else f"{self.kind} {self.pattern}"


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """An outbox row still to be sent: its chat, slot, payload and retry state."""

    id: int
    chat: Chat
    slot: str
    payload: dict[str, object]
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    parts_sent: int = 0  # messages of it the platform already accepted
    message_ids: tuple[str, ...] = ()  # their ids


@dataclass(slots=True)
class DeliveryCounts:
    """The outbox in numbers; the one definition `main.py status` and /stats both show."""

    waiting: int = 0  # not tried yet
    retrying: int = 0  # an attempt failed; another comes after a back-off
    sent: int = 0
    failed: int = 0  # given up on (a permanent refusal, or too many attempts)


@dataclass(frozen=True, slots=True)
class Document:
    """A file moving in or out of a chat (OPML import/export)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


class ActionStyle(Enum):
    """How prominent a button is; platforms without styles ignore it."""

    NORMAL = "normal"
    PRIMARY = "primary"
    DANGER = "danger"  # removes something: platforms colour it as a warning


@dataclass(frozen=True, slots=True)
class Action:
    """A button or menu entry under a reply: pressing it runs ``/command args…``.

    Why a command and not a callback: a press is then exactly the typed command, checked
    by the same handler with the same permissions, so a stale or forged press can do no
    more than typing could. Handlers never see how a platform encodes it
    (`bot.platforms.callbacks`).
    """

    label: str
    command: str
    args: tuple[str, ...] = ()
    style: ActionStyle = ActionStyle.NORMAL


@dataclass(frozen=True, slots=True)
class ActionRow:
    """Actions shown together: a row of buttons, or a choice list when ``placeholder`` is
    set (a Discord select menu; a column of buttons on Telegram; numbered on the console)."""

    actions: tuple[Action, ...]
    placeholder: str | None = None


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

    ``delivery_id`` is set when the reply is already in the outbox (a /digest whose stories
    were committed as shown): whoever sends it marks that row sent, and if the process dies
    first the outbox sends it later, so the stories are never lost between the two.
    """

    text: str
    kind: ReplyKind = ReplyKind.INFO
    digest: Digest | None = None
    document: Document | None = None
    lines: tuple[str, ...] = field(default=())
    silent: bool = False
    previews: bool = False
    delivery_id: int | None = None
    # Buttons or choice lists shown under the reply (the last message of a long one).
    actions: tuple[ActionRow, ...] = ()
    # Answering a press: show this in place of the message pressed (a toggled setting,
    # the next page) where the platform can edit it; otherwise it is sent as a new message.
    replaces_pressed: bool = False
    # The language it is worded in (bot.i18n); renderers word their own parts ("… and 3
    # more", dates) in it too, so a digest from the outbox reads as it was composed.
    locale: str | None = None

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
