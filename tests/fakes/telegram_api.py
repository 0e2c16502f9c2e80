"""A fake Telegram Bot API server for end-to-end tests with the real python-telegram-bot.

The fake is an aiohttp server on 127.0.0.1 (random port). The real library talks to it over
HTTP, exactly as it talks to Telegram, so tests exercise request encoding, response parsing
and error mapping too. Every call is recorded; tests script incoming traffic and failures.

Wiring the library to it::

    async with FakeTelegramAPI() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)            # the library appends the token
            .base_file_url(fake.base_file_url)
            .build()
        )
        # or: telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)

Public API of :class:`FakeTelegramAPI`
--------------------------------------
Lifecycle
    ``await start()`` / ``await stop()`` or ``async with``. ``stop()`` wakes pending long
    polls at once and is safe to call twice. ``url`` is ``http://127.0.0.1:PORT``,
    ``base_url`` is ``{url}/bot`` and ``base_file_url`` is ``{url}/file/bot``.
Recorded traffic
    ``calls``: every Bot API call in arrival order, as :class:`RecordedCall` (``method``,
    ``params`` with JSON strings decoded, ``files`` as ``{field: (filename, bytes)}``,
    ``raw_params``, ``status``, ``response``, ``ok``). ``calls_to(method)`` filters them.
    ``sent_messages(chat_id=None)``: params of the ``sendMessage`` calls that succeeded.
    ``downloads``: file paths fetched from the file route. ``commands``: what
    ``setMyCommands`` stored, keyed by ``(scope JSON, language_code)``. ``user_languages``: the
    ``language_code`` a user's messages carry, by user id ("en" unless set). ``files``: the
    :class:`StoredFile` objects by ``file_id``. ``message(chat_id, message_id)``: the fake's
    current copy of a message (pushed, sent or edited).
Incoming traffic
    ``push_update(update)`` queues a raw update and returns its ``update_id``.
    ``send_command(text, ...)`` queues a user message whose first word is a command (with the
    ``bot_command`` entity Telegram adds); ``send_text(text, ...)`` queues a plain message.
    Both take ``chat_id``, ``chat_type`` (private, group, supergroup, channel), ``user_id``,
    ``username``, ``message_thread_id``, ``is_topic_message``, ``document`` (a dict with
    ``file_name``, ``content`` bytes, ``mime_type``: attached to the message, the text
    becomes its caption) and ``reply_to_document`` (the message replies to an earlier message
    carrying that document). Files attached this way can be fetched with ``getFile`` and
    downloaded. ``send_callback_query(data, ...)`` queues an inline-button press (from
    ``user_id`` on ``message_id`` in ``chat_id``, the stored message with its
    ``reply_markup``); ``answerCallbackQuery`` accepts each press's id once (text at most
    200 characters), and ``answered_callbacks`` maps the ids answered to their params.
    ``register_file(content, file_name=..., mime_type=...)`` stores a file for raw updates
    (use ``.as_document()`` in the message). ``pending_updates`` lists the updates not yet
    confirmed through ``getUpdates``' ``offset``.
Webhooks
    ``webhook`` is what the last ``setWebhook`` registered (its params: ``url``,
    ``secret_token``, ``allowed_updates``, ...), None before it and after
    ``deleteWebhook``; ``getWebhookInfo`` reports its URL. Like Telegram, a later
    ``setWebhook`` replaces the earlier one, secret included. The fake does not POST to
    webhooks itself: ``take_update(update_id)`` removes a queued update and returns it, and
    ``webhook_headers()`` are the headers Telegram would send with it (the registered
    secret), so a test can deliver it to whichever server it likes (a load balancer).
Waiting, never sleeping
    ``await wait_for_call(method, count=1, timeout=10.0)`` returns all calls to ``method`` once
    there are at least ``count``; ``await wait_until(predicate, timeout=10.0)`` is the general
    form. Both raise ``TimeoutError`` listing what was called.
Scripted behaviour
    ``fail_next(method, error_code=..., description=..., retry_after=None,
    migrate_to_chat_id=None, chat_id=None, times=1)`` answers the next matching calls with
    ``{"ok": false, ...}`` and the HTTP status equal to ``error_code``; ``retry_after`` and
    ``migrate_to_chat_id`` go into ``parameters``. ``chat_admins`` maps chat id to admin
    user ids (the first one is the owner) for ``getChatAdministrators`` and
    ``getChatMember``. ``reject_html_entities = True`` makes every ``sendMessage`` with
    ``parse_mode=HTML`` fail with 400 "can't parse entities". ``restrict_posting(chat_id,
    description=...)`` makes every message sent to that chat fail with 400 and Telegram's
    wording for a bot that lost the right to post (until ``allow_posting(chat_id)``);
    ``refuse_image(url, description=...)`` makes every ``sendMessage`` whose
    ``link_preview_options.url`` is ``url``, and every ``sendPhoto`` of it, fail with 400
    (default "failed to get HTTP URL content");
    ``hold_next(method, after=0)`` keeps the next call to ``method`` waiting, unanswered,
    until ``release()`` and then answers 502 with nothing sent (a process that died
    mid-send). ``enforce_limits = True``
    (or the constructor argument) answers 429 with ``retry_after`` when ``limits`` are
    exceeded: one message per second per chat, 30 per second overall, 20 per minute per
    group (``limits`` is a :class:`RateLimits` to change them). Only successful sends count.
    The window clock is the ``clock`` constructor argument (seconds as a float, or a
    ``datetime``), so tests can move time by hand; it is also ``RecordedCall.at``.

Behaviour modelled on Telegram
------------------------------
Every method is answered; unknown ones get ``{"ok": true, "result": true}`` (a 404 would
mean "invalid token" to the library). A wrong token gets 401. ``getUpdates`` long-polls up to
``timeout`` seconds, returns as soon as an update is queued, and forgets updates below
``offset``. ``sendMessage`` and ``editMessageText`` check the text like Telegram does: empty
text, more than 4096 characters after entity parsing, and malformed HTML (unsupported tags
such as ``<br>``, unclosed or mismatched tags, a bare ``<``) are 400 Bad Request with
Telegram's wording. Markdown parse modes are not validated. Message ids grow per chat; sent
messages are remembered, so edits, deletions and replies to unknown messages fail like the
real ones. Captions are limited to 1024 characters. Answers to HTML messages carry the parsed
text and entities, as Telegram's do. A bug in the fake itself answers HTTP 500 (the library
raises NetworkError) with the exception in the description.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import math
import mimetypes
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from tests.fakes.waiting import ChangeSignal, seconds, wait_until

JSONDict = dict[str, Any]
ChatKey = int | str  # a chat id or a channel's @username

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# Parameters that are plain strings even when they look like JSON ("[1/3] digest", "42").
# fmt: off
_STRING_PARAMS = frozenset(
    {
        "action", "animation", "audio", "business_connection_id", "callback_query_id", "caption",
        "custom_title", "description", "document", "emoji", "explanation", "file_id",
        "inline_message_id", "language_code", "message_effect_id", "name", "parse_mode", "photo",
        "question", "secret_token", "short_description", "sticker", "text", "thumbnail", "title",
        "url", "video", "voice",
    }
)
# fmt: on

# Methods that deliver a message and so count towards flood limits.
# fmt: off
_RATE_LIMITED_METHODS = frozenset(
    {
        "sendmessage", "senddocument", "sendphoto", "sendaudio", "sendvideo", "sendanimation",
        "sendvoice", "sendmediagroup", "sendsticker", "sendpoll", "sendlocation", "copymessage",
        "forwardmessage",
    }
)
# fmt: on

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
RESTRICTED_DESCRIPTION = "Bad Request: not enough rights to send text messages to the chat"
IMAGE_REFUSED_DESCRIPTION = "Bad Request: failed to get HTTP URL content"
_HTML_REJECTED = "Bad Request: can't parse entities: Can't find end tag corresponding to start tag"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_param(name: str, value: str) -> Any:
    """Form values are strings; the library JSON-encodes everything that is not a str."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# --------------------------------------------------------------------------- HTML parse mode
# A port of the rules of Telegram's HTML parser: only these tags, only four named entities
# (plus numeric ones), attributes in quotes or as name tokens, tags closed in order.

# fmt: off
_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
        "tg-time", "span", "pre", "code", "blockquote",
    }
)
# fmt: on
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-zA-Z]{1,10}));")
_HTML_SPACE = " \t\r\n\v\f\0"


class HTMLEntityError(ValueError):
    """Text Telegram would refuse with "can't parse entities"."""


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, pos)
    if not match:
        return None
    hex_code, dec_code, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, match.end()) if char else None
    code = int(hex_code, 16) if hex_code is not None else int(dec_code)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


@dataclass
class _OpenTag:
    name: str
    offset: int
    argument: str | None = None


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: the plain text and its entities, or HTMLEntityError."""
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    size = len(text)
    i = 0

    def at(pos: int) -> int:  # Telegram reports byte offsets in UTF-8
        return len(text[:pos].encode())

    def char(pos: int) -> str:
        return text[pos] if pos < size else "\0"

    while i < size:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded:
                out.append(decoded[0])
                utf16 += _utf16_len(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            utf16 += _utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if char(i) != "/":
            name_start = i
            while char(i) not in _HTML_SPACE and char(i) != ">":
                i += 1
            if i >= size:
                raise HTMLEntityError(f"Unclosed start tag at byte offset {at(begin)}")
            tag = text[name_start:i].lower()
            if tag not in _HTML_TAGS:
                raise HTMLEntityError(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
            argument = None
            while char(i) != ">":
                while i < size and char(i) in _HTML_SPACE:
                    i += 1
                if char(i) == ">":
                    break
                attr_start = i
                while char(i) not in _HTML_SPACE and char(i) not in "=>":
                    i += 1
                attr = text[attr_start:i].lower()
                if not attr:
                    raise HTMLEntityError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}'
                    )
                while i < size and char(i) in _HTML_SPACE:
                    i += 1
                if char(i) != "=":
                    if tag == "blockquote" and attr == "expandable":
                        argument = "expandable"
                        continue
                    raise HTMLEntityError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {at(begin)}'
                    )
                i += 1
                while i < size and char(i) in _HTML_SPACE:
                    i += 1
                if i >= size:
                    raise HTMLEntityError(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
                if char(i) not in "'\"":
                    token_start = i
                    while char(i).isascii() and (char(i).isalnum() or char(i) in ".-"):
                        i += 1
                    value = text[token_start:i].lower()
                    if char(i) not in _HTML_SPACE and char(i) != ">":
                        raise HTMLEntityError(
                            f"Unexpected end of name token at byte offset {at(token_start)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    parts: list[str] = []
                    while i < size and text[i] != quote:
                        decoded = _decode_html_entity(text, i) if text[i] == "&" else None
                        if decoded:
                            parts.append(decoded[0])
                            i = decoded[1]
                        else:
                            parts.append(text[i])
                            i += 1
                    if i < size:
                        i += 1
                    value = "".join(parts)
                if i >= size:
                    raise HTMLEntityError(f"Unclosed start tag at byte offset {at(begin)}")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            i += 1
            if tag == "span" and argument != "spoiler":
                raise HTMLEntityError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}'
                )
            stack.append(_OpenTag(tag, utf16, argument))
            continue

        if not stack:
            raise HTMLEntityError(f"Unexpected end tag at byte offset {at(begin)}")
        i += 1
        name_start = i
        while char(i) not in _HTML_SPACE and char(i) != ">":
            i += 1
        end_tag = text[name_start:i].lower()
        while i < size and char(i) in _HTML_SPACE:
            i += 1
        if char(i) != ">":
            raise HTMLEntityError(f"Unclosed end tag at byte offset {at(begin)}")
        i += 1
        opened = stack.pop()
        if end_tag and end_tag != opened.name:
            raise HTMLEntityError(
                f'Unmatched end tag at byte offset {at(begin)}, expected "</{opened.name}>", '
                f'found "</{end_tag}>"'
            )
        length = utf16 - opened.offset
        if length <= 0:
            continue
        if opened.name == "code" and opened.argument and stack and stack[-1].name == "pre":
            stack[-1].argument = opened.argument  # <pre><code class="language-x"> is one entity
            continue
        entity: JSONDict = {"offset": opened.offset, "length": length}
        if opened.name == "a":
            if not opened.argument:
                continue
            entity.update(type="text_link", url=opened.argument)
        elif opened.name == "tg-emoji":
            if not opened.argument:
                continue
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.name in _ENTITY_TYPES:
            entity["type"] = _ENTITY_TYPES[opened.name]
            if opened.name == "pre" and opened.argument:
                entity["language"] = opened.argument
            if opened.name == "blockquote" and opened.argument == "expandable":
                entity["type"] = "expandable_blockquote"
        else:
            continue
        entities.append(entity)

    if stack:
        raise HTMLEntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------- records


@dataclass
class RecordedCall:
    """One Bot API call as the fake received and answered it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    raw_params: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # the fake's clock when the call arrived
    status: int | None = None  # HTTP status answered; None while a long poll is pending
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None

    @property
    def description(self) -> str | None:
        return self.response.get("description") if self.response else None


@dataclass
class StoredFile:
    """A file the fake can describe through getFile and serve from the file route."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str

    def as_document(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def as_file(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class RateLimits:
    """Telegram's documented broadcast limits."""

    per_chat_per_second: int = 1
    global_per_second: int = 30
    group_per_minute: int = 20


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    parameters: JSONDict
    chat_id: ChatKey | None
    remaining: int
    after: int = 0  # matching calls let through before the failures start


class _APIError(Exception):
    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters or {}

    def body(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> _APIError:
    return _APIError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------- the fake


class FakeTelegramAPI:
    """A scriptable Telegram Bot API server; see the module docstring for the API."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "NewsDigestTestBot",
        bot_id: int = 123456,
        enforce_limits: bool = False,
        clock: Callable[[], float | datetime] | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = "NewsDigest Test"
        self.url = ""
        self.calls: list[RecordedCall] = []
        self.downloads: list[str] = []
        self.chat_admins: dict[int, list[int]] = {}
        self.reject_html_entities = False
        self.refused_images: dict[str, str] = {}  # image URL → the 400 description
        self.enforce_limits = enforce_limits
        self.limits = RateLimits()
        self.clock: Callable[[], float | datetime] = clock or time.monotonic
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        # The language_code each user's app reports (by user id; "en" when not set).
        self.user_languages: dict[int, str] = {}
        self.files: dict[str, StoredFile] = {}

        self._files_by_path: dict[str, StoredFile] = {}
        self._updates: list[JSONDict] = []
        self.webhook: JSONDict | None = None
        self._next_update_id = 10_001
        self._next_file = 1
        self._next_callback = 1
        self._open_callbacks: set[str] = set()  # pressed, not answered yet
        self.answered_callbacks: dict[str, JSONDict] = {}
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._channel_ids: dict[str, int] = {}
        self._failures: list[_Failure] = []
        self._restricted: dict[int, str] = {}
        self._holds: list[list[Any]] = []  # [method, calls still let through]
        self._held = asyncio.Event()
        self._sends_by_chat: dict[int, deque[float]] = {}
        self._sends_global: deque[float] = deque()
        self._signal = ChangeSignal()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[RecordedCall], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setwebhook": self._set_webhook,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "getfile": self._get_file,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getchat": self._get_chat,
            "getchatadministrators": self._get_chat_administrators,
            "getchatmember": self._get_chat_member,
            "answercallbackquery": self._answer_callback_query,
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._stopping = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._runner = runner

    async def stop(self) -> None:
        """Answer pending long polls at once, then close the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._stopping = True
        self._held.set()  # held calls are answered, so the server can close
        self._notify()
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def sent_messages(self, chat_id: ChatKey | None = None) -> list[dict[str, Any]]:
        """Params of the sendMessage calls that succeeded, optionally for one chat."""
        return [
            call.params
            for call in self.calls_to("sendMessage")
            if call.ok and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    @property
    def pending_updates(self) -> list[JSONDict]:
        return copy.deepcopy(self._updates)

    def take_update(self, update_id: int) -> JSONDict:
        """Remove a queued update and return it, to be POSTed to a webhook by the test."""
        update = next(u for u in self._updates if u["update_id"] == update_id)
        self._updates.remove(update)
        return copy.deepcopy(update)

    def webhook_headers(self) -> dict[str, str]:
        """What Telegram sends with a webhook update: the secret the last setWebhook set."""
        secret = (self.webhook or {}).get("secret_token")
        return {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {}

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The fake's current copy of a message (incoming or sent), if it knows it."""
        return self._messages.get((chat_id, message_id))

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
        what: str = "condition",
    ) -> None:
        """Wait until predicate() is true; re-checked whenever a call or update arrives."""
        await wait_until(self._signal, predicate, timeout=timeout, what=what, seen=self._seen)

    def _seen(self) -> str:
        counts = Counter(call.method for call in self.calls)
        return ", ".join(f"{name} x{n}" for name, n in counts.items()) or "none"

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> list[RecordedCall]:
        """All calls to method so far, once there are at least count of them."""
        await self.wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout=timeout,
            what=f"{count} call(s) to {method}",
        )
        return self.calls_to(method)

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_id: ChatKey | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls to method (for chat_id, if given) with an error.

        ``after`` lets that many matching calls through first (fail the 2nd message).
        """
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        self._failures.append(
            _Failure(method.lower(), error_code, description, parameters, chat_id, times, after)
        )

    def refuse_image(self, url: str, description: str = IMAGE_REFUSED_DESCRIPTION) -> None:
        """Every ``sendMessage`` whose link preview is ``url`` (``link_preview_options.url``),
        and every ``sendPhoto`` of that URL, fails with 400 ``description``."""
        self.refused_images[url] = description

    def restrict_posting(self, chat_id: ChatKey, description: str = RESTRICTED_DESCRIPTION) -> None:
        """Every message to the chat gets 400 ``description`` until ``allow_posting``."""
        self._restricted[self._chat_key(chat_id)] = description

    def allow_posting(self, chat_id: ChatKey) -> None:
        self._restricted.pop(self._chat_key(chat_id), None)

    def hold_next(self, method: str, *, after: int = 0) -> None:
        """The next call to ``method`` (after ``after`` of them) is recorded, then left waiting.

        It stands for a request lost with a process that died: when released (``release()``
        or ``stop()``) it is answered 502 and nothing is sent.
        """
        self._holds.append([method.lower(), after])

    def release(self) -> None:
        """Answer the held calls with 502 (nothing of them was sent)."""
        self._held.set()

    def register_file(
        self,
        content: bytes,
        *,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        folder: str = "documents",
    ) -> StoredFile:
        """Store a file so getFile describes it and the file route serves it."""
        number = self._next_file
        self._next_file += 1
        suffix = PurePosixPath(file_name).suffix
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAIB{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=bytes(content),
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def push_update(self, update: JSONDict) -> int:
        """Queue a raw update; an update_id is assigned unless it has one."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        else:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if isinstance(update.get(key), dict):
                self._remember(update[key])
        self._updates.append(update)
        self._notify()
        return int(update["update_id"])

    def send_command(
        self,
        text: str,
        *,
        chat_id: int = 1001,
        chat_type: str = "private",
        user_id: int = 42,
        username: str = "alice",
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        document: dict[str, Any] | None = None,
        reply_to_document: dict[str, Any] | None = None,
    ) -> int:
        """Queue a user's message starting with "/cmd" or "/cmd@Bot"; returns the update_id."""
        match = _COMMAND_RE.match(text)
        if not match:
            raise ValueError(f"not a command: {text!r}")
        entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}]
        return self._push_message(
            text,
            entities,
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=user_id,
            username=username,
            message_thread_id=message_thread_id,
            is_topic_message=is_topic_message,
            document=document,
            reply_to_document=reply_to_document,
        )

    def send_text(
        self,
        text: str,
        *,
        chat_id: int = 1001,
        chat_type: str = "private",
        user_id: int = 42,
        username: str = "alice",
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        document: dict[str, Any] | None = None,
        reply_to_document: dict[str, Any] | None = None,
    ) -> int:
        """Queue a plain user message (no entities); returns the update_id."""
        return self._push_message(
            text,
            [],
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=user_id,
            username=username,
            message_thread_id=message_thread_id,
            is_topic_message=is_topic_message,
            document=document,
            reply_to_document=reply_to_document,
        )

    def send_callback_query(
        self,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int = 1001,
        user_id: int = 42,
        username: str = "alice",
    ) -> int:
        """Queue an inline-button press on message_id (a message the fake knows, ideally)."""
        user = self._user(user_id, username)
        message = self._messages.get((chat_id, message_id)) if message_id is not None else None
        if message is None:
            # Telegram sends an InaccessibleMessage (date 0) for messages it cannot show.
            message = {"chat": self._chat(chat_id), "message_id": message_id or 1, "date": 0}
        query = {
            "id": f"{self._next_callback:019d}",
            "from": user,
            "chat_instance": f"-{abs(chat_id)}",
            "data": data,
            "message": message,
        }
        self._next_callback += 1
        self._open_callbacks.add(query["id"])
        return self.push_update({"callback_query": query})

    # ------------------------------------------------------------------ incoming helpers

    def _push_message(
        self,
        text: str,
        entities: list[JSONDict],
        *,
        chat_id: int,
        chat_type: str,
        user_id: int,
        username: str,
        message_thread_id: int | None,
        is_topic_message: bool,
        document: dict[str, Any] | None,
        reply_to_document: dict[str, Any] | None,
    ) -> int:
        user = self._user(user_id, username)
        forum = chat_type == "supergroup" and (is_topic_message or message_thread_id is not None)
        chat = self._incoming_chat(chat_id, chat_type, user, forum=forum)

        def base() -> JSONDict:
            message: JSONDict = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": chat,
            }
            if chat_type == "channel":
                message["sender_chat"] = chat
            else:
                message["from"] = user
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
            if is_topic_message:
                message["is_topic_message"] = True
            return message

        replied: JSONDict | None = None
        if reply_to_document is not None:
            replied = base()
            replied["document"] = self._document_from_spec(reply_to_document).as_document()
            self._remember(replied)

        message = base()
        if document is not None:
            message["document"] = self._document_from_spec(document).as_document()
            if text:
                message["caption"] = text
                if entities:
                    message["caption_entities"] = entities
        else:
            message["text"] = text
            if entities:
                message["entities"] = entities
        if replied is not None:
            message["reply_to_message"] = replied
        key = "channel_post" if chat_type == "channel" else "message"
        return self.push_update({key: message})

    def _document_from_spec(self, spec: dict[str, Any]) -> StoredFile:
        return self.register_file(
            spec["content"],
            file_name=spec.get("file_name", "file.bin"),
            mime_type=spec.get("mime_type"),
        )

    def _user(self, user_id: int, username: str | None) -> JSONDict:
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": username.capitalize() if username else f"User {user_id}",
            "language_code": self.user_languages.get(user_id, "en"),
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        return user

    def _incoming_chat(
        self, chat_id: int, chat_type: str, user: JSONDict, *, forum: bool
    ) -> JSONDict:
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
        elif chat_type in {"group", "supergroup", "channel"}:
            known = self._chats.get(chat_id, {})
            chat = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type.capitalize()}"}
            if forum or known.get("is_forum"):
                chat["is_forum"] = True
        else:
            raise ValueError(f"unknown chat type {chat_type!r}")
        self._chats[chat_id] = chat
        return dict(chat)

    # ------------------------------------------------------------------ plumbing

    def _notify(self) -> None:
        """Wake everything waiting (long polls, wait_until); they re-check their condition."""
        self._signal.notify()

    def _now(self) -> float:
        return seconds(self.clock())

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_key(self, value: Any) -> int:
        if isinstance(value, bool) or value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value)
        if text.lstrip("-").isdigit():
            return int(text)
        if not text.startswith("@"):
            raise _bad_request("chat not found")
        if text not in self._channel_ids:
            channel_id = -1_001_000_000_000 - len(self._channel_ids) - 1
            self._channel_ids[text] = channel_id
            self._chats[channel_id] = {
                "id": channel_id,
                "type": "channel",
                "title": text[1:],
                "username": text[1:],
            }
        return self._channel_ids[text]

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            user = self._users.get(chat_id)
            first_name = user["first_name"] if user else f"User {chat_id}"
            return {"id": chat_id, "type": "private", "first_name": first_name}
        if chat_id <= -1_000_000_000_000:
            return {"id": chat_id, "type": "supergroup", "title": "Test Supergroup"}
        return {"id": chat_id, "type": "group", "title": "Test Group"}

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _remember(self, message: JSONDict) -> None:
        chat_id = message.get("chat", {}).get("id")
        message_id = message.get("message_id")
        if chat_id is None or message_id is None:
            return
        self._messages[(chat_id, message_id)] = copy.deepcopy(message)
        self._message_ids[chat_id] = max(self._message_ids.get(chat_id, 0), int(message_id))
        if isinstance(message.get("reply_to_message"), dict):
            self._remember(message["reply_to_message"])

    def _outgoing_message(self, call: RecordedCall, chat_id: int) -> JSONDict:
        """The common part of a Message the bot sends, with thread, reply and keyboard."""
        params = call.params
        chat = self._chat(chat_id)
        message: JSONDict = {
            "message_id": 0,
            "from": self._bot_user(),
            "date": int(time.time()),
            "chat": chat,
        }
        thread_id = params.get("message_thread_id")
        if isinstance(thread_id, int):
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        reply_to = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
        if isinstance(reply_to, int):
            replied = self._messages.get((chat_id, reply_to))
            if replied is not None:
                replied = dict(replied)
                replied.pop("reply_to_message", None)  # Telegram does not nest replies
                message["reply_to_message"] = replied
            elif not allow_missing:
                raise _bad_request("message to be replied not found")
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        return message

    def _store_new(self, message: JSONDict, chat_id: int) -> JSONDict:
        message["message_id"] = self._next_message_id(chat_id)
        self._remember(message)
        return message

    def _formatted(self, text: Any, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
        text = "" if text is None else str(text)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                return parse_html(text)
            except HTMLEntityError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        return text, list(entities) if isinstance(entities, list) else []

    def _message_text(self, call: RecordedCall) -> tuple[str, list[JSONDict]]:
        params = call.params
        if (
            self.reject_html_entities
            and call.method.lower() == "sendmessage"
            and str(params.get("parse_mode", "")).lower() == "html"
        ):
            raise _APIError(400, f'{_HTML_REJECTED} "b"')
        text, entities = self._formatted(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        if not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    def _caption(self, call: RecordedCall, message: JSONDict) -> None:
        params = call.params
        if params.get("caption") in (None, ""):
            return
        caption, entities = self._formatted(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        message["caption"] = caption
        if entities:
            message["caption_entities"] = entities

    def _input_file(self, call: RecordedCall, name: str, folder: str) -> StoredFile:
        """The file a send method refers to: an upload, attach://, a known file_id or a URL."""
        value = call.raw_params.get(name)
        field_name = name
        if value and value.startswith("attach://"):
            field_name = value.removeprefix("attach://")
        if field_name in call.files:
            file_name, content = call.files[field_name]
            return self.register_file(content, file_name=file_name or "file", folder=folder)
        if value in self.files:
            return self.files[value]
        if value and value.startswith(("http://", "https://")):
            file_name = PurePosixPath(value.split("?", 1)[0]).name or "file"
            return self.register_file(b"", file_name=file_name, folder=folder)
        if value:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {name} in the request")

    def _lookup(self, call: RecordedCall, missing: str) -> tuple[int, JSONDict]:
        chat_id = self._chat_key(call.params.get("chat_id"))
        message_id = call.params.get("message_id")
        message = self._messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise _bad_request(missing)
        return chat_id, message

    # ------------------------------------------------------------------ failures and limits

    def _take_failure(self, call: RecordedCall) -> _APIError | None:
        method = call.method.lower()
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None:
                try:
                    chat_id = self._chat_key(call.params.get("chat_id"))
                except _APIError:
                    continue
                if chat_id != self._chat_key(failure.chat_id):
                    continue
            if failure.after > 0:
                failure.after -= 1
                return None
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return _APIError(failure.error_code, failure.description, dict(failure.parameters))
        return None

    def _check_limits(self, chat_id: int, now: float) -> None:
        limits = self.limits
        sends = self._sends_by_chat.setdefault(chat_id, deque())
        while sends and sends[0] <= now - 60:
            sends.popleft()
        while self._sends_global and self._sends_global[0] <= now - 1:
            self._sends_global.popleft()
        waits: list[float] = []
        last_second = [t for t in sends if t > now - 1]
        if len(last_second) >= limits.per_chat_per_second:
            waits.append(last_second[-limits.per_chat_per_second] + 1 - now)
        if len(self._sends_global) >= limits.global_per_second:
            waits.append(self._sends_global[-limits.global_per_second] + 1 - now)
        is_group = self._chat(chat_id)["type"] in {"group", "supergroup"}
        if is_group and len(sends) >= limits.group_per_minute:
            waits.append(sends[-limits.group_per_minute] + 60 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise _APIError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    # ------------------------------------------------------------------ HTTP

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, tuple[str, bytes]]]:
        raw: dict[str, str] = dict(request.query)
        typed: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    for key, value in body.items():
                        typed[key] = value
                        raw[key] = value if isinstance(value, str) else json.dumps(value)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        value.file.seek(0)
                        files[key] = (value.filename, value.file.read())
                    else:
                        raw[key] = str(value)
        params = {key: _decode_param(key, value) for key, value in raw.items()}
        params.update(typed)
        return raw, params, files

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw, params, files = await self._read_params(request)
        call = RecordedCall(method, params, files, raw, at=self._now())
        self.calls.append(call)
        self._notify()
        status = 200
        if request.match_info["token"] != self.token:
            body = _APIError(401, "Unauthorized").body()
            status = 401
        else:
            try:
                body = {"ok": True, "result": await self._dispatch(call)}
            except _APIError as exc:
                body = exc.body()
                status = exc.error_code
            except Exception as exc:  # a bug in the fake: make it loud, not a hang
                body = _APIError(500, f"Internal Server Error: fake failed: {exc!r}").body()
                status = 500
        call.status = status
        call.response = body
        return web.json_response(body, status=status)

    async def _dispatch(self, call: RecordedCall) -> Any:
        failure = self._take_failure(call)
        if failure is not None:
            raise failure
        method = call.method.lower()
        for hold in self._holds:
            if hold[0] != method:
                continue
            if hold[1] > 0:
                hold[1] -= 1
                break
            self._holds.remove(hold)
            await self._held.wait()
            raise _APIError(502, "Bad Gateway")
        if method in _RATE_LIMITED_METHODS and self._restricted:
            restricted = self._restricted.get(self._chat_key(call.params.get("chat_id")))
            if restricted is not None:
                raise _APIError(400, restricted)
        limited = self.enforce_limits and method in _RATE_LIMITED_METHODS
        now = self._now()
        chat_id: int | None = None
        if limited:
            chat_id = self._chat_key(call.params.get("chat_id"))
            self._check_limits(chat_id, now)
        handler = self._handlers.get(method)
        result: Any = True
        if handler is not None:
            result = handler(call)
            if inspect.isawaitable(result):
                result = await result
        if limited and chat_id is not None:
            self._sends_by_chat.setdefault(chat_id, deque()).append(now)
            self._sends_global.append(now)
        return result

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(_APIError(404, "Not Found").body(), status=404)
        self.downloads.append(stored.file_path)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    # ------------------------------------------------------------------ methods

    def _get_me(self, call: RecordedCall) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, call: RecordedCall) -> list[JSONDict]:
        params = call.params
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        limit = params.get("limit", 100)
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout", 0)
        timeout = float(timeout) if isinstance(timeout, int | float) else 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._stopping:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._signal.wait(remaining)
        return copy.deepcopy(self._updates[:limit])

    def _delete_webhook(self, call: RecordedCall) -> bool:
        if call.params.get("drop_pending_updates") is True:
            self._updates.clear()
        self.webhook = None
        return True

    def _set_webhook(self, call: RecordedCall) -> bool:
        if call.params.get("drop_pending_updates") is True:
            self._updates.clear()
        secret = call.params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _APIError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = copy.deepcopy(call.params)
        return True

    def _get_webhook_info(self, call: RecordedCall) -> JSONDict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _send_message(self, call: RecordedCall) -> JSONDict:
        chat_id = self._chat_key(call.params.get("chat_id"))
        preview_url = (call.params.get("link_preview_options") or {}).get("url")
        if preview_url in self.refused_images:
            raise _APIError(400, self.refused_images[preview_url])
        text, entities = self._message_text(call)
        message = self._outgoing_message(call, chat_id)
        message["text"] = text
        if entities:
            message["entities"] = entities
        preview = call.params.get("link_preview_options")
        if isinstance(preview, dict):
            message["link_preview_options"] = preview
        return self._store_new(message, chat_id)

    def _send_document(self, call: RecordedCall) -> JSONDict:
        chat_id = self._chat_key(call.params.get("chat_id"))
        stored = self._input_file(call, "document", "documents")
        message = self._outgoing_message(call, chat_id)
        message["document"] = stored.as_document()
        self._caption(call, message)
        return self._store_new(message, chat_id)

    def _send_photo(self, call: RecordedCall) -> JSONDict:
        chat_id = self._chat_key(call.params.get("chat_id"))
        photo = call.params.get("photo")
        if isinstance(photo, str) and photo in self.refused_images:
            raise _APIError(400, self.refused_images[photo])
        stored = self._input_file(call, "photo", "photos")
        message = self._outgoing_message(call, chat_id)
        message["photo"] = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.content),
                "width": 320,
                "height": 240,
            }
        ]
        self._caption(call, message)
        return self._store_new(message, chat_id)

    def _edit_message_text(self, call: RecordedCall) -> JSONDict | bool:
        text, entities = self._message_text(call)
        if call.params.get("inline_message_id"):
            return True
        _, message = self._lookup(call, "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id or "text" not in message:
            raise _bad_request("message can't be edited")
        markup = call.params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _APIError(400, _NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, call: RecordedCall) -> JSONDict | bool:
        if call.params.get("inline_message_id"):
            return True
        _, message = self._lookup(call, "message to edit not found")
        markup = call.params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if message.get("reply_markup") == markup:
            raise _APIError(400, _NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _answer_callback_query(self, call: RecordedCall) -> bool:
        """Each press is answered once, with at most 200 characters, as Telegram wants."""
        query_id = str(call.params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = call.params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
            raise _APIError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = dict(call.params)
        return True

    def _delete_message(self, call: RecordedCall) -> bool:
        chat_id, message = self._lookup(call, "message to delete not found")
        del self._messages[(chat_id, message["message_id"])]
        return True

    def _get_file(self, call: RecordedCall) -> JSONDict:
        stored = self.files.get(str(call.raw_params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        return stored.as_file()

    @staticmethod
    def _commands_key(call: RecordedCall) -> tuple[str, str]:
        scope = call.params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(call.params.get("language_code") or "")

    def _set_my_commands(self, call: RecordedCall) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands is empty")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(name).lower()):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(description)) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    def _get_my_commands(self, call: RecordedCall) -> list[JSONDict]:
        return self.commands.get(self._commands_key(call), [])

    def _delete_my_commands(self, call: RecordedCall) -> bool:
        self.commands.pop(self._commands_key(call), None)
        return True

    def _get_chat(self, call: RecordedCall) -> JSONDict:
        chat = self._chat(self._chat_key(call.params.get("chat_id")))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _member(self, chat_id: int, user_id: int) -> JSONDict:
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }
        if user_id == self.bot_id:
            user = self._bot_user()
        admins = self.chat_admins.get(chat_id, []) if isinstance(chat_id, int) else []
        if user_id not in admins:
            return {"status": "member", "user": user}
        if user_id == admins[0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        rights = (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_pin_messages",
            "can_manage_topics",
        )
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": user_id != self.bot_id,
            "is_anonymous": False,
            "can_promote_members": False,
            **dict.fromkeys(rights, True),
        }

    def _get_chat_administrators(self, call: RecordedCall) -> list[JSONDict]:
        chat_id = self._chat_key(call.params.get("chat_id"))
        if chat_id in self.chat_admins:
            return [self._member(chat_id, user_id) for user_id in self.chat_admins[chat_id]]
        if self._chat(chat_id)["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        return []

    def _get_chat_member(self, call: RecordedCall) -> JSONDict:
        chat_id = self._chat_key(call.params.get("chat_id"))
        user_id = call.params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        return self._member(chat_id, user_id)
