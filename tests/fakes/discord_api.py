"""A fake Discord REST API and gateway for end-to-end tests with the real discord.py 2.x.

The fake is an aiohttp server on 127.0.0.1 (random port) serving the REST API under
``/api/v10`` and the gateway websocket under ``/gateway``. The real library talks to it
exactly as it talks to Discord: login, application command sync, the gateway handshake,
INTERACTION_CREATE, interaction callbacks, follow-ups through the interaction webhook,
channel messages (JSON or multipart with files). Every REST call is recorded; tests script
incoming interactions and failures.

Wiring discord.py to it
-----------------------
discord.py has no constructor option for its endpoints; both are module-level defaults:

* REST: the class attribute ``discord.http.Route.BASE`` (default
  ``"https://discord.com/api/v10"``). Every route, including the interaction callback and
  webhook (follow-up) routes, builds its URL from it when the request is made. Set it to
  ``fake.api_base`` (``http://127.0.0.1:PORT/api/v10``): the version path is part of it,
  no trailing slash.
* Gateway: the class attribute ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``, a
  ``yarl.URL`` (default ``wss://gateway.discord.gg/``). A plain ``Client``/``Bot`` connects
  straight to it (discord.py replaces its query with ``v=10&encoding=json&compress=...``),
  and goes back to it after an invalidated session. Set it to ``yarl.URL(fake.gateway_url)``.
  Resumes use ``resume_gateway_url`` from READY, which the fake sets to its own gateway.
  ``AutoShardedClient`` without ``shard_count`` asks ``GET /gateway/bot`` instead, which
  the fake answers with its gateway URL and ``shards`` (the recommended shard count).

``point_discord_py_at(fake)`` sets both and restores the previous values on exit::

    async with FakeDiscordAPI() as fake:
        with point_discord_py_at(fake):
            client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            tree = app_commands.CommandTree(client)
            await client.login(fake.token)
            connection = asyncio.create_task(client.connect())
            await fake.wait_ready()
            ...
            await client.close()  # then await connection: it returns at once
            await connection

``guild_ready_timeout`` matters: discord.py dispatches ``on_ready`` that many seconds (default
2) after the last GUILD_CREATE. Close the client before stopping the fake; ``stop()`` also
closes any gateway connection at once (code 1001, which discord.py takes as "reconnect", so
a client left running retries with backoff until it is closed).

Public API of :class:`FakeDiscordAPI`
-------------------------------------
Construction
    ``FakeDiscordAPI(bot_user_id=555, application_id=555, token="fake-discord-token",
    guilds=None, enforce_limits=False, clock=None, shards=1, max_concurrency=1)``.
    ``guilds`` is a list of keyword dicts for ``add_guild`` (``{"id": 1000, "name": ...,
    "channels": [...], ...}``); None gives the default guild below, ``[]`` none at all.
    ``shards`` and ``max_concurrency`` are what ``GET /gateway/bot`` recommends (the
    attributes ``recommended_shards`` and ``max_concurrency`` may be changed later).
Sharding
    An IDENTIFY may carry ``shard: [id, count]``; that connection is then told only about
    the guilds with ``(guild_id >> 22) % count == id`` (READY, GUILD_CREATE), and every
    event about a guild (``guild_id`` in its data) goes only to the connections of that
    guild's shard; events without a guild (direct messages) go to shard 0, as on Discord.
    An IDENTIFY without ``shard`` is shard 0 of 1 and hears everything. An event no
    connection serves is recorded in ``undelivered`` (``(event, data)``) and sent nowhere:
    its guild's shard is not running. ``identifies``: the ``d`` of every IDENTIFY;
    ``shard_of(guild_id, count)`` computes a guild's shard. An IDENTIFY whose session
    would hold more than ``max_guilds_per_session`` guilds (2,500, Discord's limit; tests
    lower it) is closed with 4011 "Sharding required", as Discord does.
Lifecycle
    ``await start()`` / ``await stop()`` or ``async with``. ``url`` is
    ``http://127.0.0.1:PORT``, ``api_base`` is ``{url}/api/v10``, ``gateway_url`` is
    ``ws://127.0.0.1:PORT/gateway``. ``stop(close_code=1001)`` closes gateway connections
    first and is safe to call twice.
The default guild (constants in this module)
    Guild 1000 owned by user 40 ("owner"); text channel 2000 ("news"); public thread 2001
    ("digests", parent 2000); roles: @everyone (id 1000, ordinary member permissions),
    1001 "Moderators" (MANAGE_GUILD | MANAGE_CHANNELS | MANAGE_MESSAGES), 1002 the bot's
    managed role; members: 40, 42 "alice" (a moderator), 43 "bob" (no role) and the bot.
    ``add_guild(guild_id, name=, owner_id=, roles=, channels=, threads=, members=,
    everyone_permissions=, bot_role_id=)`` (roles ``{"id", "name", "permissions"}``,
    channels ``{"id", "name"}``, threads ``{"id", "name", "parent_id"}``, members ``{"id",
    "username", "roles"}``; the owner and the bot always join), ``add_channel(guild_id,
    channel_id, name=, type=0, parent_id=None)`` (type 11 makes a thread of ``parent_id``),
    ``add_member(guild_id, user_id, username=None, roles=())`` and
    ``set_role_permissions(guild_id, role_id, value)`` change the world; the gateway only
    tells the client about guilds at IDENTIFY time.
    ``member_permissions(guild_id, user_id)`` computes permissions like Discord (owner and
    ADMINISTRATOR get everything; channel overwrites are not modelled).
Recorded traffic
    ``calls``: every REST call in arrival order as :class:`RecordedCall` (``method``,
    ``path`` relative to the API base such as ``/channels/2000/messages``, ``json`` (the
    JSON body, or ``payload_json`` of a multipart body), ``files`` ``{field: (filename,
    bytes)}``, ``headers``, ``query``, ``status``, ``response``, ``response_headers``,
    ``at``). ``calls_to(method, path_pattern)`` filters them: the pattern is matched against
    the whole path; ``{name}`` placeholders match one path segment, the rest is a regular
    expression (``"/channels/{id}/messages"``, ``r"/channels/\\d+/messages"``); a leading
    ``/api/v10`` is ignored; method ``"*"`` matches any.
    ``channel_messages(channel_id)``: the current state of messages created with ``POST
    /channels/{id}/messages`` (deleted ones left out). Stored messages also keep the
    ``allowed_mentions`` they were sent with (not a Discord field; discord.py ignores it).
    ``message(channel_id, message_id)``: any message the fake holds, interaction responses
    included. ``registered_commands(guild_id=None)``: what the last sync stored (global
    when ``guild_id`` is None), as Discord echoes it (``id``, ``application_id``,
    ``version``, ``guild_id``, string ``default_member_permissions``). ``identify``: the
    last IDENTIFY ``d`` (token, intents, properties, shard); ``presence``: the last presence
    update; ``gateway_received`` / ``gateway_sent``: every gateway payload;
    ``gateway_queries``: the query string of each gateway connection; ``bugs``: exceptions
    raised inside the fake's own handlers.
Incoming traffic
    ``await send_interaction(name, options=None, *, guild_id=1000, channel_id=None,
    user_id=42, username=None, permissions=None, dm=False, attachments=None,
    locale="en-US")`` dispatches INTERACTION_CREATE for a registered chat-input command
    and returns a :class:`FakeInteraction`. ``name`` may name a subcommand ("feeds add").
    ``options`` is ``{option: value}``, converted by the registered option types (strings,
    integers, numbers, booleans, users, channels, roles; an attachment is a ``(filename,
    bytes[, content_type])`` tuple, served by the fake under ``/attachments/...``) or a
    list of raw option dicts. ``attachments={option: (filename, bytes, content_type)}``
    is the same as passing tuples in ``options``. A guild command registered for the guild
    wins over a global one, as in Discord (``data.guild_id`` set). ``channel_id`` defaults
    to 2000 (the DM channel with ``dm=True``, where ``user`` replaces ``member``).
    ``permissions`` is the member's permission bitfield (None: computed from roles, so user
    42 has MANAGE_GUILD, 43 does not). An unknown user becomes a member without roles.
    Unknown commands, options or missing required options raise ``LookupError`` /
    ``ValueError`` in the test, since Discord's client would never send them.
    ``await press(message, custom_id, *, values=None, user_id=42, permissions=None,
    check=True)`` dispatches a MESSAGE_COMPONENT interaction (type 3): ``user_id`` presses
    the button ``custom_id`` of a stored ``message`` (any message dict with its ``id`` and
    ``channel_id``), or picks ``values`` in the select menu ``custom_id``; the interaction
    carries the message as stored now. The component and the values must be in the
    message, as Discord's client only sends those, unless ``check=False`` (a modified
    client sending anything).
    ``await autocomplete(name, focused, typed, options=None, *, guild_id=1000,
    channel_id=2000, user_id=42, permissions=None)`` dispatches an
    APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4): ``typed`` so far in the option
    ``focused`` of /``name``, which must be registered with ``autocomplete``; the others as
    given. ``FakeInteraction.choices`` is what the bot answered (callback type 8).
    ``await dispatch(event, data)`` sends any other gateway event (to the connections of
    the shard of ``data["guild_id"]``, see Sharding).
    ``await disconnect_gateway(code=4000, invalidate_session=False)`` drops the
    connection: the client resumes (``RESUMED``), or identifies again if invalidated.
Interactions
    :class:`FakeInteraction` has ``id``, ``token``, ``payload`` and ``responses``: dicts in arrival
    order, each ``{"kind", "type", "data", "files", "message", "ephemeral"}`` with ``kind`` one of
    ``callback`` (``type`` 4 message, 5 deferred, 9 modal; for a component press also 6 deferred
    update and 7 update message, whose ``message`` is the pressed one (7 edits it: content, embeds,
    components); 8 autocomplete result, the only one an autocomplete takes; ``data`` the callback's
    ``data``), ``followup``, ``edit_original``, ``delete_original``, ``edit_followup``,
    ``delete_followup`` (``data`` the JSON body sent) and ``message`` the resulting message. ``await
    wait_response(timeout=10.0, count=None)`` returns ``responses`` once the user would see an
    answer (a non-deferred callback, or a deferral followed by a follow-up or an edit of the
    original), or once there are ``count``. ``original`` and ``followups`` are the current messages
    (after a press's callback 6 or 7, ``original`` is the pressed message, and ``@original`` edits
    it).
Waiting, never sleeping
    ``await wait_for_call(method, path_pattern, count=1, timeout=10.0)``, ``await
    wait_until(predicate, timeout=10.0)`` (re-checked whenever the fake sees traffic) and
    ``await wait_ready(timeout=10.0)`` (until a client identified and READY plus every
    GUILD_CREATE were sent, or a resume completed) raise ``TimeoutError`` listing the calls.
Scripted behaviour
    ``fail_next(method, path_pattern, *, status, code=0, message="", retry_after=None,
    times=1, is_global=False, errors=None, after=0)`` answers the next matching calls (after
    letting ``after`` of them through) with
    ``{"code", "message"[, "errors"]}`` and that status (defaults per status: 403 50013
    "Missing Permissions", 404 10003 "Unknown Channel" on channel paths, 400 50035 "Invalid
    Form Body"). A 429 carries ``retry_after`` (default 0.05) and ``global`` in the body and
    ``Via``, ``Retry-After``, ``X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket/
    -Scope`` (and ``X-RateLimit-Global`` when global) headers, so discord.py sleeps and
    retries. Note discord.py retries 500/502/504 (and webhooks any 5xx) with 1 s, 3 s, ...
    sleeps, so prefer 4xx for scripted failures. ``enforce_limits = True`` (or the
    constructor argument) enforces ``limits`` (:class:`RateLimits`: 5 messages per 5 s per
    channel on ``POST /channels/{id}/messages``, 50 requests per second for the bot token;
    interaction and webhook-token routes are exempt, as on Discord): successful message
    posts then carry the bucket headers, so discord.py pre-emptively waits, and excess
    requests get 429 with the headers above. Windows use the ``clock`` constructor
    argument (seconds as a float or a ``datetime``; default ``time.monotonic``), also
    ``RecordedCall.at``. ``privileged_intents_allowed = False`` closes the gateway with
    4014 when the client asks for members, presences or message content.
    ``refuse_image(url)`` answers every message whose embed thumbnail or image is ``url``
    with 400 50035 naming that field (``embeds.N.thumbnail.url``).

Behaviour modelled on Discord
-----------------------------
Responses are ``Content-Type: application/json`` exactly (discord.py only decodes that).
A wrong bot token gets 401 (``LoginFailure`` at login); interaction and webhook-token
routes need no token. Unknown routes get 404 ``{"code": 0, "message": "404: Not Found"}``.
Messages and interaction responses are validated like Discord: content ≤ 2000 characters,
≤ 10 embeds, title ≤ 256, description ≤ 4096, ≤ 25 fields, field name ≤ 256 and value ≤
1024 (both required), footer ≤ 2048, author name ≤ 256, ≤ 6000 characters per message over
all embeds, http(s) URLs in embeds, well-formed ``allowed_mentions``; failures are 400
``{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`` (nested under
``data`` for interaction callbacks); an empty message is 400 50006; files over 10 MiB are
413 40005. Answers are realistic Message objects (ids are snowflakes, attachments served
by the fake); ``mentions``/``mention_everyone``/``mention_roles`` are computed from the
content and ``allowed_mentions`` (absent: everything pings), so "no pings" is checkable on
the answer too. Channel posts need VIEW_CHANNEL and SEND_MESSAGES (403 50001 / 50013).
Messages keep their ``components`` (buttons, select menus) as sent, and edits replace them.
Interactions: a callback type the interaction does not take is 400 50035; a second callback
is 400 40060; an unknown one 404 10062; follow-ups before
the callback 404 10015; the first follow-up after a deferral (type 5) fills in the
"thinking" original, keeping the deferral's ephemerality, as Discord does; callbacks answer
``{"interaction": ..., "resource": {"type", "message"}}`` when discord.py asks
``with_response``, else 204. Command sync (``PUT .../commands``) validates names,
descriptions, option order and duplicates (400 50035, so discord.py raises
``CommandSyncFailure``) and keeps command ids stable across syncs. A bug in the fake itself
is answered with HTTP 418 (never retried by discord.py) and recorded in ``bugs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import inspect
import json
import math
import mimetypes
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes.waiting import ChangeSignal, seconds, wait_until

JSONDict = dict[str, Any]

API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000

DEFAULT_GUILD_ID = 1000
DEFAULT_CHANNEL_ID = 2000
DEFAULT_THREAD_ID = 2001
MODERATOR_ROLE_ID = 1001
BOT_ROLE_ID = 1002
OWNER_ID = 40
DEFAULT_USER_ID = 42
OTHER_USER_ID = 43

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = MANAGE_GUILD | MANAGE_CHANNELS | MANAGE_MESSAGES

# Gateway intents that need switching on in the developer portal.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
GUILD_MEMBERS_INTENT = 1 << 1

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Message flags.
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
_SENDABLE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | (1 << 15)

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
_THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_COMMAND_NAME_RE = re.compile(r"[-_\w]{1,32}")
_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
_EVERYONE_RE = re.compile(r"@(?:everyone|here)")


def _iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat(timespec="microseconds")


def _compile_path(pattern: str) -> re.Pattern[str]:
    pattern = re.sub(r"^/api/v\d+", "", pattern.strip())
    return re.compile(_PLACEHOLDER_RE.sub("[^/]+", pattern))


def _snowflake_str(value: Any) -> str:
    return str(int(value))


class _Snowflakes:
    """Real-looking, strictly increasing snowflakes (created_at is about now)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(value, self._last + 1)
        return self._last


# --------------------------------------------------------------------------- records


@dataclass
class RecordedCall:
    """One REST call as the fake received and answered it."""

    method: str
    path: str  # relative to the API base, e.g. /channels/2000/messages
    json: Any = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # the fake's clock when the call arrived
    status: int | None = None
    response: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def code(self) -> int | None:
        """Discord's JSON error code of the answer, if it was an error."""
        if isinstance(self.response, dict) and not self.ok:
            return self.response.get("code")
        return None


@dataclass
class RateLimits:
    """The limits ``enforce_limits`` applies."""

    channel_messages: int = 5
    channel_window: float = 5.0
    global_per_second: int = 50


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSONDict
    retry_after: float | None
    is_global: bool
    remaining: int
    after: int = 0  # matching calls let through before the failures start


class _APIError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: JSONDict | None = None,
        headers: dict[str, str] | None = None,
        body: JSONDict | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.headers = headers or {}
        if body is None:
            body = {"code": code, "message": message}
            if errors:
                body["errors"] = errors
        self.payload = body


def _form_error(errors: JSONDict) -> _APIError:
    return _APIError(400, 50035, "Invalid Form Body", errors=errors)


def _put_error(errors: JSONDict, path: list[Any], code: str, message: str) -> None:
    node = errors
    for key in path:
        node = node.setdefault(str(key), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _unknown(status: int, code: int, what: str) -> _APIError:
    return _APIError(status, code, what)


# --------------------------------------------------------------------------- validation


def _check_length(
    errors: JSONDict, path: list[Any], value: Any, limit: int, *, required: bool = False
) -> int:
    """Discord's string checks; returns the length counted towards the embed total."""
    if value is None or value == "":
        if required:
            _put_error(errors, path, "BASE_TYPE_REQUIRED", "This field is required")
        return 0
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        _put_error(errors, path, "STRING_TYPE_CONVERT", f"Could not interpret {value!r} as string.")
        return 0
    text = str(value)
    if len(text) > limit:
        _put_error(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return len(text)


def _check_url(errors: JSONDict, path: list[Any], value: Any, *, attachment_ok: bool) -> None:
    if value is None:
        return
    text = str(value)
    schemes = ("http", "https", "attachment") if attachment_ok else ("http", "https")
    scheme, sep, rest = text.partition(":")
    if not sep or not rest.startswith("//") or not scheme:
        _put_error(errors, path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    elif scheme.lower() not in schemes:
        _put_error(
            errors,
            path,
            "URL_TYPE_INVALID_SCHEME",
            f'Scheme "{scheme}" is not supported. Scheme must be one of {schemes}.',
        )


def _check_embed(errors: JSONDict, path: list[Any], embed: Any) -> int:
    if not isinstance(embed, dict):
        _put_error(errors, path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return 0
    size = _check_length(errors, [*path, "title"], embed.get("title"), 256)
    size += _check_length(errors, [*path, "description"], embed.get("description"), 4096)
    _check_url(errors, [*path, "url"], embed.get("url"), attachment_ok=False)
    fields = embed.get("fields") or []
    if not isinstance(fields, list):
        _put_error(errors, [*path, "fields"], "LIST_TYPE_CONVERT", "Only iterables may be used.")
        fields = []
    if len(fields) > MAX_FIELDS:
        _put_error(
            errors,
            [*path, "fields"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {MAX_FIELDS} or fewer in length.",
        )
    for index, item in enumerate(fields):
        item = item if isinstance(item, dict) else {}
        where = [*path, "fields", index]
        size += _check_length(errors, [*where, "name"], item.get("name"), 256, required=True)
        size += _check_length(errors, [*where, "value"], item.get("value"), 1024, required=True)
    footer = embed.get("footer")
    if isinstance(footer, dict):
        where = [*path, "footer"]
        size += _check_length(errors, [*where, "text"], footer.get("text"), 2048, required=True)
        _check_url(errors, [*where, "icon_url"], footer.get("icon_url"), attachment_ok=True)
    author = embed.get("author")
    if isinstance(author, dict):
        where = [*path, "author"]
        size += _check_length(errors, [*where, "name"], author.get("name"), 256, required=True)
        _check_url(errors, [*where, "url"], author.get("url"), attachment_ok=False)
        _check_url(errors, [*where, "icon_url"], author.get("icon_url"), attachment_ok=True)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if isinstance(media, dict):
            _check_url(errors, [*path, key, "url"], media.get("url"), attachment_ok=True)
    return size


def _check_allowed_mentions(errors: JSONDict, allowed: Any) -> None:
    path = ["allowed_mentions"]
    if not isinstance(allowed, dict):
        _put_error(errors, path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    parse = allowed.get("parse", [])
    if not isinstance(parse, list):
        _put_error(errors, [*path, "parse"], "LIST_TYPE_CONVERT", "Only iterables may be used.")
        parse = []
    for index, kind in enumerate(parse):
        if kind not in ("roles", "users", "everyone"):
            _put_error(
                errors,
                [*path, "parse", index],
                "BASE_TYPE_CHOICES",
                "Value must be one of {'roles', 'users', 'everyone'}.",
            )
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        if kind in parse and ids:
            _put_error(
                errors,
                path,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if len(ids) > 100:
            _put_error(
                errors, [*path, kind], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )


def _check_message_fields(errors: JSONDict, payload: JSONDict, prefix: list[Any]) -> None:
    content = payload.get("content")
    if content is not None:
        _check_length(errors, [*prefix, "content"], content, MAX_CONTENT)
    embeds = payload.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            _put_error(
                errors, [*prefix, "embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used."
            )
        elif len(embeds) > MAX_EMBEDS:
            _put_error(
                errors,
                [*prefix, "embeds"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_EMBEDS} or fewer in length.",
            )
        else:
            total = sum(
                _check_embed(errors, [*prefix, "embeds", index], embed)
                for index, embed in enumerate(embeds)
            )
            if total > MAX_EMBED_TOTAL:
                _put_error(
                    errors,
                    [*prefix, "embeds"],
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                )
    if payload.get("allowed_mentions") is not None:
        inner: JSONDict = {}
        _check_allowed_mentions(inner, payload["allowed_mentions"])
        if inner:
            node = errors
            for key in prefix:
                node = node.setdefault(str(key), {})
            node.update(inner)


def _embed_has_content(embed: Any) -> bool:
    return isinstance(embed, dict) and any(
        embed.get(key)
        for key in ("title", "description", "fields", "image", "thumbnail", "author", "footer")
    )


def _is_empty(message: JSONDict) -> bool:
    return not (
        str(message.get("content") or "").strip()
        or any(_embed_has_content(embed) for embed in message.get("embeds") or [])
        or message.get("attachments")
        or message.get("sticker_ids")
        or message.get("sticker_items")
        or message.get("components")
        or message.get("poll")
    )


def _file_index(field_name: str) -> str:
    match = re.fullmatch(r"files\[(\d+)\]", field_name)
    return match.group(1) if match else field_name


# --------------------------------------------------------------------------- interactions

BUTTON, STRING_SELECT = 2, 3
# Which callbacks Discord takes for each interaction type: a command (2) a message,
# a deferral or a modal; a component press (3) also "deferred update" (6) and "update
# the pressed message" (7); an autocomplete (4) only its result (8).
_CALLBACK_TYPES = {2: (4, 5, 9), 3: (4, 5, 6, 7, 9), 4: (8,)}


class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot answered to it."""

    def __init__(self, fake: FakeDiscordAPI, payload: JSONDict, channel_id: int) -> None:
        self._fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.channel_id = channel_id
        self.responses: list[JSONDict] = []
        self.callback_type: int | None = None
        self.original_id: int | None = None
        self.followup_ids: list[int] = []

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} name={self.name!r} responses={len(self.responses)}>"

    @property
    def name(self) -> str:
        data = self.payload["data"]
        return str(data.get("name") or data.get("custom_id"))

    @property
    def choices(self) -> list[JSONDict]:
        """What an autocomplete was answered with (callback type 8)."""
        callback = self.callback
        return list(callback["data"].get("choices") or []) if callback else []

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def callback(self) -> JSONDict | None:
        return next((r for r in self.responses if r["kind"] == "callback"), None)

    @property
    def original(self) -> JSONDict | None:
        """The current original response message (None before it, or once deleted)."""
        if self.original_id is None:
            return None
        return copy.deepcopy(self._fake.message(self.channel_id, self.original_id))

    @property
    def followups(self) -> list[JSONDict]:
        messages = (self._fake.message(self.channel_id, mid) for mid in self.followup_ids)
        return [copy.deepcopy(m) for m in messages if m is not None]

    def is_answered(self) -> bool:
        """Whether the user sees an answer: a message, a modal, or a filled-in deferral."""
        if self.callback_type is None:
            return False
        if self.callback_type not in (5, 6):
            return True
        return any(
            r["kind"] in ("followup", "edit_original")
            for r in self.responses
            if r["kind"] != "callback"
        )

    async def wait_response(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
        *,
        count: int | None = None,
    ) -> list[JSONDict]:
        """The responses so far, once answered (or once there are ``count`` of them)."""
        if count is None:
            await self._fake.wait_until(
                self.is_answered, timeout=timeout, what=f"an answer to /{self.name}"
            )
        else:
            await self._fake.wait_until(
                lambda: len(self.responses) >= count,
                timeout=timeout,
                what=f"{count} response(s) to /{self.name}",
            )
        return list(self.responses)

    def _record(
        self,
        kind: str,
        call: RecordedCall,
        data: Any,
        message: JSONDict | None,
        rtype: int | None = None,
    ) -> None:
        self.responses.append(
            {
                "kind": kind,
                "type": rtype,
                "data": copy.deepcopy(data) if isinstance(data, dict) else {},
                "files": dict(call.files),
                "message": copy.deepcopy(message),
                "ephemeral": bool(message and int(message.get("flags") or 0) & EPHEMERAL),
            }
        )


# --------------------------------------------------------------------------- gateway state


@dataclass
class _GatewaySession:
    session_id: str
    intents: int = 0
    shard: list[int] | None = None
    seq: int = 0


class _GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, query: dict[str, str]) -> None:
        self.ws = ws
        self.query = query
        self.session: _GatewaySession | None = None
        self.ready = False
        self.lock = asyncio.Lock()


# --------------------------------------------------------------------------- the fake


class FakeDiscordAPI:
    """A scriptable Discord REST API and gateway; see the module docstring for the API."""

    def __init__(
        self,
        *,
        bot_user_id: int = 555,
        application_id: int = 555,
        token: str = "fake-discord-token",
        guilds: list[dict[str, Any]] | None = None,
        enforce_limits: bool = False,
        clock: Callable[[], float | datetime] | None = None,
        shards: int = 1,
        max_concurrency: int = 1,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.recommended_shards = shards
        self.max_concurrency = max_concurrency
        self.max_guilds_per_session = 2500
        self.application_id = application_id
        self.token = token
        self.bot_username = "NewsDigest"
        self.application_flags = 0
        self.heartbeat_interval_ms = 41_250
        self.privileged_intents_allowed = True
        # Image addresses refused in embeds (refuse_image): 400 50035 naming the field.
        self.refused_images: set[str] = set()
        self.enforce_limits = enforce_limits
        self.limits = RateLimits()
        self.clock: Callable[[], float | datetime] = clock or time.monotonic
        self.url = ""

        self.calls: list[RecordedCall] = []
        self.bugs: list[str] = []
        self.interactions: list[FakeInteraction] = []
        self.identify: JSONDict | None = None
        self.identifies: list[JSONDict] = []
        self.undelivered: list[tuple[str, JSONDict]] = []
        self.presence: JSONDict | None = None
        self.gateway_received: list[JSONDict] = []
        self.gateway_sent: list[JSONDict] = []
        self.gateway_queries: list[dict[str, str]] = []

        self._ids = _Snowflakes()
        self._users: dict[int, JSONDict] = {}
        self._guilds: dict[int, JSONDict] = {}
        self._dm_channels: dict[int, JSONDict] = {}
        self._dm_by_user: dict[int, int] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._channel_posts: dict[int, list[int]] = {}
        self._attachments: dict[int, tuple[str, bytes, str]] = {}
        self.file_downloads: list[str] = []  # paths of attachments the bot downloaded
        self._commands: dict[int | None, list[JSONDict]] = {}
        self._interactions_by_id: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self._failures: list[_Failure] = []
        self._channel_windows: dict[int, list[float]] = {}
        self._global_window: list[float] = [-math.inf, 0]
        self._sessions: dict[str, _GatewaySession] = {}
        self._connections: list[_GatewayConnection] = []
        self._signal = ChangeSignal()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

        self.add_user(bot_user_id, self.bot_username, bot=True)
        self.add_user(OWNER_ID, "owner")
        self.add_user(DEFAULT_USER_ID, "alice")
        self.add_user(OTHER_USER_ID, "bob")
        if guilds is None:
            self.add_guild(
                DEFAULT_GUILD_ID,
                name="NewsDigest Test Guild",
                owner_id=OWNER_ID,
                roles=[
                    {
                        "id": MODERATOR_ROLE_ID,
                        "name": "Moderators",
                        "permissions": MODERATOR_PERMISSIONS,
                    }
                ],
                channels=[{"id": DEFAULT_CHANNEL_ID, "name": "news"}],
                threads=[
                    {"id": DEFAULT_THREAD_ID, "name": "digests", "parent_id": DEFAULT_CHANNEL_ID}
                ],
                members=[
                    {"id": DEFAULT_USER_ID, "roles": [MODERATOR_ROLE_ID]},
                    {"id": OTHER_USER_ID},
                ],
                bot_role_id=BOT_ROLE_ID,
            )
        else:
            for spec in guilds:
                spec = dict(spec)
                self.add_guild(int(spec.pop("id")), **spec)

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"{self.url.replace('http://', 'ws://', 1)}/gateway"

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._handle_api)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/", self._handle_gateway)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._handle_file)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._runner = runner

    async def stop(self, *, close_code: int = 1001) -> None:
        """Close gateway connections at once, then the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self._close_connections(close_code, b"fake server stopping")
        self._notify()
        await runner.cleanup()

    async def __aenter__(self) -> FakeDiscordAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the world

    def add_user(self, user_id: int, username: str | None = None, *, bot: bool = False) -> JSONDict:
        name = username or f"user{user_id}"
        user: JSONDict = {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name.capitalize(),
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "collectibles": None,
        }
        if bot:
            user["bot"] = True
        self._users[user_id] = user
        return copy.deepcopy(user)

    def user(self, user_id: int) -> JSONDict | None:
        user = self._users.get(int(user_id))
        return copy.deepcopy(user) if user else None

    def add_guild(
        self,
        guild_id: int,
        *,
        name: str | None = None,
        owner_id: int = OWNER_ID,
        roles: list[JSONDict] | None = None,
        channels: list[JSONDict] | None = None,
        threads: list[JSONDict] | None = None,
        members: list[JSONDict] | None = None,
        everyone_permissions: int = EVERYONE_PERMISSIONS,
        bot_role_id: int | None = None,
    ) -> None:
        """Add a guild the bot is in. Channels default to one text channel "general"."""
        guild_id = int(guild_id)
        bot_role_id = bot_role_id or self._ids.next()
        guild: JSONDict = {
            "id": guild_id,
            "name": name or f"Guild {guild_id}",
            "owner_id": int(owner_id),
            "joined_at": _iso(),
            "roles": {},
            "channels": {},
            "threads": {},
            "members": {},
        }
        self._guilds[guild_id] = guild
        self._add_role(guild, {"id": guild_id, "name": "@everyone"}, everyone_permissions, 0)
        for position, role in enumerate(roles or [], start=1):
            self._add_role(guild, role, int(role.get("permissions", 0)), position)
        self._add_role(
            guild,
            {"id": bot_role_id, "name": self.bot_username, "managed": True},
            EVERYONE_PERMISSIONS,
            len(guild["roles"]),
            bot_id=self.bot_user_id,
        )
        for spec in channels if channels is not None else [{"name": "general"}]:
            self.add_channel(guild_id, int(spec.get("id") or self._ids.next()), **_without(spec))
        for spec in threads or []:
            thread_type = int(spec.get("type", PUBLIC_THREAD))
            self.add_channel(
                guild_id,
                int(spec.get("id") or self._ids.next()),
                **{**_without(spec), "type": thread_type},
            )
        self.add_member(guild_id, int(owner_id))
        self.add_member(guild_id, self.bot_user_id, roles=[bot_role_id])
        for spec in members or []:
            self.add_member(
                guild_id, int(spec["id"]), spec.get("username"), roles=spec.get("roles", ())
            )

    def _add_role(
        self, guild: JSONDict, spec: JSONDict, permissions: int, position: int, bot_id: int = 0
    ) -> None:
        role_id = int(spec.get("id") or self._ids.next())
        role: JSONDict = {
            "id": str(role_id),
            "name": spec.get("name", f"role {role_id}"),
            "color": int(spec.get("color", 0)),
            "colors": {"primary_color": int(spec.get("color", 0))},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": bool(spec.get("managed", False)),
            "mentionable": bool(spec.get("mentionable", False)),
            "flags": 0,
        }
        if bot_id:
            role["tags"] = {"bot_id": str(bot_id)}
        guild["roles"][role_id] = role

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """Change a role's permissions (the @everyone role's id is the guild id)."""
        self._guilds[int(guild_id)]["roles"][int(role_id)]["permissions"] = str(permissions)

    def add_channel(
        self,
        guild_id: int,
        channel_id: int,
        *,
        name: str | None = None,
        type: int = GUILD_TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> JSONDict:
        """Add a text channel (type 0) or a thread (type 11/12, needs ``parent_id``)."""
        guild = self._guilds[int(guild_id)]
        channel_id = int(channel_id)
        base: JSONDict = {
            "id": str(channel_id),
            "type": int(type),
            "name": name or f"channel-{channel_id}",
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if int(type) in _THREAD_TYPES:
            if parent_id is None:
                raise ValueError("a thread needs parent_id")
            base.update(
                parent_id=str(parent_id),
                owner_id=str(self.bot_user_id),
                message_count=0,
                total_message_sent=0,
                member_count=1,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _iso(),
                    "locked": False,
                    "create_timestamp": _iso(),
                },
            )
            guild["threads"][channel_id] = base
        else:
            base.update(
                position=len(guild["channels"]),
                permission_overwrites=[],
                parent_id=str(parent_id) if parent_id is not None else None,
                topic=topic,
                nsfw=False,
                default_auto_archive_duration=1440,
            )
            guild["channels"][channel_id] = base
        return copy.deepcopy(base)

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        username: str | None = None,
        *,
        roles: Any = (),
    ) -> None:
        user_id = int(user_id)
        if user_id not in self._users or username:
            self.add_user(user_id, username or self._users.get(user_id, {}).get("username"))
        self._guilds[int(guild_id)]["members"][user_id] = {
            "roles": [int(role) for role in roles],
            "joined_at": _iso(),
        }

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        guild = self._guilds[int(guild_id)]
        if int(user_id) == guild["owner_id"]:
            return ALL_PERMISSIONS
        value = int(guild["roles"][guild["id"]]["permissions"])
        member = guild["members"].get(int(user_id))
        for role_id in member["roles"] if member else []:
            role = guild["roles"].get(role_id)
            if role:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str, path_pattern: str) -> list[RecordedCall]:
        wanted = method.upper()
        regex = _compile_path(path_pattern)
        return [
            call
            for call in self.calls
            if (wanted == "*" or call.method == wanted) and regex.fullmatch(call.path)
        ]

    def channel_messages(self, channel_id: int) -> list[JSONDict]:
        """Current copies of the messages created by POST /channels/{id}/messages."""
        stored = self._messages.get(int(channel_id), {})
        return [
            copy.deepcopy(stored[mid])
            for mid in self._channel_posts.get(int(channel_id), [])
            if mid in stored
        ]

    def message(self, channel_id: int, message_id: int) -> JSONDict | None:
        message = self._messages.get(int(channel_id), {}).get(int(message_id))
        return copy.deepcopy(message) if message else None

    def registered_commands(self, guild_id: int | None = None) -> list[JSONDict]:
        key = None if guild_id is None else int(guild_id)
        return copy.deepcopy(self._commands.get(key, []))

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
        what: str = "condition",
    ) -> None:
        """Wait until predicate() is true; re-checked whenever the fake sees traffic."""
        await wait_until(self._signal, predicate, timeout=timeout, what=what, seen=self._seen)

    def _seen(self) -> str:
        counts = Counter(f"{call.method} {call.path}" for call in self.calls)
        return ", ".join(f"{name} x{n}" for name, n in counts.items()) or "none"

    async def wait_for_call(
        self,
        method: str,
        path_pattern: str,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> list[RecordedCall]:
        """All matching calls so far, once there are at least count of them (answered)."""
        await self.wait_until(
            lambda: sum(c.status is not None for c in self.calls_to(method, path_pattern)) >= count,
            timeout=timeout,
            what=f"{count} call(s) to {method} {path_pattern}",
        )
        return self.calls_to(method, path_pattern)

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until a client identified (or resumed) and READY + GUILD_CREATEs were sent."""
        await self.wait_until(
            lambda: any(conn.ready for conn in self._connections),
            timeout=timeout,
            what="a gateway client to identify",
        )

    # ------------------------------------------------------------------ scripting

    def refuse_image(self, url: str) -> None:
        """Answer every message or interaction response whose embed thumbnail or image is
        ``url`` with 400 50035 "Invalid Form Body" naming that field, as Discord does for
        an address it will not take."""
        self.refused_images.add(url)

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int,
        code: int = 0,
        message: str = "",
        retry_after: float | None = None,
        times: int = 1,
        is_global: bool = False,
        errors: JSONDict | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next `times` matching calls with an error (see the module docstring).

        ``after`` lets that many matching calls through first (fail the 2nd message).
        """
        if not code and not message:
            code, message = _default_error(status, path_pattern)
        body: JSONDict = {"code": code, "message": message}
        if errors:
            body["errors"] = errors
        if status == 429:
            retry_after = 0.05 if retry_after is None else retry_after
            body = {"message": message, "retry_after": retry_after, "global": is_global}
            if code:
                body["code"] = code
        self._failures.append(
            _Failure(
                method.upper(),
                _compile_path(path_pattern),
                status,
                body,
                retry_after,
                is_global,
                times,
                after,
            )
        )

    async def send_interaction(
        self,
        name: str,
        options: dict[str, Any] | list[JSONDict] | None = None,
        *,
        guild_id: int = DEFAULT_GUILD_ID,
        channel_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        username: str | None = None,
        permissions: int | None = None,
        dm: bool = False,
        attachments: dict[str, tuple[Any, ...]] | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Dispatch a chat-input command interaction (see the module docstring)."""
        await self.wait_ready()
        words = name.strip().lstrip("/").split()
        if not words:
            raise ValueError("empty command name")
        if user_id not in self._users or username:
            self.add_user(user_id, username or self._users.get(user_id, {}).get("username"))
        in_guild = not dm
        if in_guild:
            guild = self._guilds.get(int(guild_id))
            if guild is None:
                raise LookupError(f"unknown guild {guild_id}")
            if user_id not in guild["members"]:
                self.add_member(guild_id, user_id)
            channel_id = DEFAULT_CHANNEL_ID if channel_id is None else int(channel_id)
            channel, channel_guild = self._find_channel(channel_id)
            if channel is None or channel_guild != int(guild_id):
                raise LookupError(f"channel {channel_id} is not in guild {guild_id}")
        else:
            channel = self._dm_channel(user_id)
            channel_id = int(channel["id"])
        command, guild_command = self._registered_command(
            words[0], int(guild_id) if in_guild else None
        )

        values = dict(options) if isinstance(options, dict) else {}
        values.update(attachments or {})
        resolved: JSONDict = {}
        definitions: list[JSONDict] = command.get("options") or []
        nested: list[JSONDict] = []
        holder = nested
        path = [words[0]]
        for word in words[1:]:
            sub = next(
                (
                    o
                    for o in definitions
                    if o.get("name") == word and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                raise LookupError(f"/{' '.join(path)} has no subcommand {word!r}")
            path.append(word)
            entry: JSONDict = {"name": word, "type": sub["type"], "options": []}
            holder.append(entry)
            holder = entry["options"]
            definitions = sub.get("options") or []
        if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in definitions):
            raise ValueError(f"/{' '.join(path)} needs a subcommand")
        if isinstance(options, list):
            holder.extend(copy.deepcopy(options))
        else:
            holder.extend(
                self._convert_options(
                    definitions,
                    values,
                    resolved,
                    guild_id=int(guild_id) if in_guild else None,
                    channel_id=channel_id,
                    command=" ".join(path),
                )
            )

        data: JSONDict = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
        }
        if nested:
            data["options"] = nested
        if resolved:
            data["resolved"] = resolved
        if guild_command:
            data["guild_id"] = str(guild_id)
        return await self._deliver_interaction(
            2,
            data,
            guild_id=guild_id if in_guild else None,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
        )

    async def press(
        self,
        message: JSONDict,
        custom_id: str,
        *,
        values: list[str] | None = None,
        user_id: int = DEFAULT_USER_ID,
        permissions: int | None = None,
        check: bool = True,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Dispatch a MESSAGE_COMPONENT interaction: ``user_id`` presses the button
        ``custom_id`` of ``message`` (a message dict the fake holds), or picks ``values``
        in its select menu ``custom_id``. The message is sent as it is stored now.
        ``check=False`` sends a custom_id or values the message does not have (a modified
        client); otherwise they must be there, as Discord's client only sends those.
        ``locale`` is the presser's client language.
        """
        await self.wait_ready()
        channel_id = int(message["channel_id"])
        stored = self._messages.get(channel_id, {}).get(int(message["id"]))
        if stored is None:
            raise LookupError(f"message {message['id']} is not in channel {channel_id}")
        component = next(
            (
                item
                for row in stored.get("components") or []
                for item in row.get("components") or []
                if item.get("custom_id") == custom_id
            ),
            None,
        )
        if check and component is None:
            raise LookupError(f"message {message['id']} has no component {custom_id!r}")
        kind = int(component["type"]) if component else (STRING_SELECT if values else BUTTON)
        data: JSONDict = {"custom_id": custom_id, "component_type": kind}
        if kind != BUTTON:
            offered = [option["value"] for option in (component or {}).get("options") or []]
            if check and not values:
                raise ValueError("a select menu needs values")
            if check and any(value not in offered for value in values or []):
                raise ValueError(f"{values!r} are not all options of {custom_id!r}")
            data["values"] = list(values or [])
        _, guild_id = self._find_channel(channel_id)
        self._ensure_member(guild_id, user_id)
        return await self._deliver_interaction(
            3,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
            message=stored,
        )

    async def autocomplete(
        self,
        name: str,
        focused: str,
        typed: str,
        options: dict[str, Any] | None = None,
        *,
        guild_id: int = DEFAULT_GUILD_ID,
        channel_id: int = DEFAULT_CHANNEL_ID,
        user_id: int = DEFAULT_USER_ID,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Dispatch an APPLICATION_COMMAND_AUTOCOMPLETE interaction: ``typed`` so far in the
        option ``focused`` of /``name`` (it must be registered with autocomplete), the
        other options as given, by a user whose client speaks ``locale``. The bot answers
        with callback type 8 (``choices``)."""
        await self.wait_ready()
        command, guild_command = self._registered_command(name, guild_id)
        definitions = {o["name"]: o for o in command.get("options") or []}
        definition = definitions.get(focused)
        if definition is None or not definition.get("autocomplete"):
            raise LookupError(f"/{name} has no option {focused!r} with autocomplete")
        given = [
            {"name": key, "type": definitions[key]["type"], "value": value}
            for key, value in (options or {}).items()
        ]
        # The focused value is what was typed, a string even for a number option.
        given.append({"name": focused, "type": definition["type"], "value": typed, "focused": True})
        data: JSONDict = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": given,
        }
        if guild_command:
            data["guild_id"] = str(guild_id)
        self._ensure_member(guild_id, user_id)
        return await self._deliver_interaction(
            4,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
        )

    def _ensure_member(self, guild_id: int | None, user_id: int) -> None:
        """A user the test names exists, and is a member of the guild (None: a DM)."""
        if user_id not in self._users:
            self.add_user(user_id)
        if guild_id is not None and user_id not in self._guilds[guild_id]["members"]:
            self.add_member(guild_id, user_id)

    async def _deliver_interaction(
        self,
        kind: int,
        data: JSONDict,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        permissions: int | None,
        locale: str = "en-US",
        message: JSONDict | None = None,
    ) -> FakeInteraction:
        """Wrap ``data`` as an interaction of ``kind`` by ``user_id`` and dispatch it."""
        in_guild = guild_id is not None
        user = copy.deepcopy(self._users[user_id])
        channel = self._dm_channel(user_id) if not in_guild else None
        interaction_id = self._ids.next()
        payload: JSONDict = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "token": f"fake-interaction-{secrets.token_urlsafe(48)}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        if guild_id is not None:
            member_permissions = (
                self.member_permissions(guild_id, user_id) if permissions is None else permissions
            )
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel={
                    **self._channel_payload(channel_id),
                    "permissions": str(member_permissions),
                },
                member={
                    **self._member_payload(guild_id, user_id),
                    "permissions": str(member_permissions),
                },
                app_permissions=str(self.member_permissions(guild_id, self.bot_user_id)),
                authorizing_integration_owners={"0": str(guild_id)},
                context=0,
            )
        else:
            payload.update(
                channel=copy.deepcopy(channel),
                user=user,
                app_permissions=str(EVERYONE_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        interaction = FakeInteraction(self, payload, channel_id)
        self.interactions.append(interaction)
        self._interactions_by_id[interaction.id] = interaction
        self._interactions_by_token[interaction.token] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _registered_command(self, name: str, guild_id: int | None) -> tuple[JSONDict, bool]:
        if guild_id is not None:
            for command in self._commands.get(guild_id, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command, True
        for command in self._commands.get(None, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command, False
        where = f"globally or in guild {guild_id}" if guild_id is not None else "globally"
        raise LookupError(f"/{name} is not registered {where}: sync the command tree first")

    def _convert_options(
        self,
        definitions: list[JSONDict],
        values: dict[str, Any],
        resolved: JSONDict,
        *,
        guild_id: int | None,
        channel_id: int,
        command: str,
    ) -> list[JSONDict]:
        known = {o["name"]: o for o in definitions}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"/{command} has no option(s) {sorted(unknown)}")
        result = []
        for definition in definitions:
            option_name = definition["name"]
            if option_name not in values or values[option_name] is None:
                if definition.get("required"):
                    raise ValueError(f"/{command} needs option {option_name!r}")
                continue
            value = values[option_name]
            kind = int(definition["type"])
            if kind == STRING:
                value = str(value)
            elif kind == INTEGER:
                value = int(value)
            elif kind == NUMBER:
                value = float(value)
            elif kind == BOOLEAN:
                value = bool(value)
            elif kind in (USER, MENTIONABLE) and int(value) in self._users:
                value = self._resolve_user(int(value), guild_id, resolved)
            elif kind in (ROLE, MENTIONABLE):
                value = self._resolve_role(int(value), guild_id, resolved)
            elif kind == USER:
                raise ValueError(f"unknown user {value}")
            elif kind == CHANNEL:
                value = self._resolve_channel(int(value), resolved)
            elif kind == ATTACHMENT:
                value = self._resolve_attachment(value, channel_id, resolved)
            choices = definition.get("choices")
            if choices and value not in [choice["value"] for choice in choices]:
                raise ValueError(f"{value!r} is not a choice of option {option_name!r}")
            result.append({"name": option_name, "type": kind, "value": value})
        return result

    def _resolve_user(self, user_id: int, guild_id: int | None, resolved: JSONDict) -> str:
        resolved.setdefault("users", {})[str(user_id)] = copy.deepcopy(self._users[user_id])
        if guild_id is not None and user_id in self._guilds[guild_id]["members"]:
            member = self._member_payload(guild_id, user_id)
            member.pop("user")
            member["permissions"] = str(self.member_permissions(guild_id, user_id))
            resolved.setdefault("members", {})[str(user_id)] = member
        return str(user_id)

    def _resolve_role(self, role_id: int, guild_id: int | None, resolved: JSONDict) -> str:
        role = self._guilds[guild_id]["roles"].get(role_id) if guild_id is not None else None
        if role is None:
            raise ValueError(f"unknown role {role_id}")
        resolved.setdefault("roles", {})[str(role_id)] = copy.deepcopy(role)
        return str(role_id)

    def _resolve_channel(self, channel_id: int, resolved: JSONDict) -> str:
        channel, guild_id = self._find_channel(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}")
        entry = self._channel_payload(channel_id)
        if guild_id is not None:
            entry["permissions"] = str(self.member_permissions(guild_id, self.bot_user_id))
        resolved.setdefault("channels", {})[str(channel_id)] = entry
        return str(channel_id)

    def _resolve_attachment(self, value: Any, channel_id: int, resolved: JSONDict) -> str:
        if not isinstance(value, tuple | list) or len(value) not in (2, 3):
            raise ValueError("an attachment option is (filename, bytes[, content_type])")
        filename, content = str(value[0]), bytes(value[1])
        content_type = value[2] if len(value) == 3 else None
        attachment = self._store_attachment(channel_id, filename, content, content_type)
        attachment["ephemeral"] = True
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]

    # ------------------------------------------------------------------ gateway

    async def dispatch(self, event: str, data: JSONDict, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Send a DISPATCH (op 0) event to the identified connections of its guild's shard.

        Without a ``guild_id`` in ``data`` the event belongs to shard 0 (direct messages).
        When no connection serves that shard the event is kept in ``undelivered``.
        """
        await self.wait_ready(timeout)
        guild_id = int(data.get("guild_id") or 0)
        targets = [c for c in self._connections if c.ready and self._serves(c, guild_id)]
        if not targets:
            self.undelivered.append((event, copy.deepcopy(data)))
            self._notify()
        for conn in targets:
            await self._send_dispatch(conn, event, data)

    @staticmethod
    def shard_of(guild_id: int, count: int) -> int:
        """The shard Discord sends a guild's events to: ``(guild_id >> 22) % count``."""
        return (int(guild_id) >> 22) % count

    @classmethod
    def _session_serves(cls, session: _GatewaySession, guild_id: int) -> bool:
        """Whether a session hears about ``guild_id`` (0: no guild, which is shard 0's)."""
        if session.shard is None:
            return True
        shard_id, count = session.shard
        return cls.shard_of(guild_id, count) == shard_id

    def _serves(self, conn: _GatewayConnection, guild_id: int) -> bool:
        return conn.session is not None and self._session_serves(conn.session, guild_id)

    async def disconnect_gateway(
        self, code: int = 4000, *, invalidate_session: bool = False
    ) -> None:
        """Close every gateway connection with ``code`` (the client reconnects)."""
        if invalidate_session:
            self._sessions.clear()
        await self._close_connections(code, b"fake disconnect")

    async def _close_connections(self, code: int, message: bytes) -> None:
        connections = list(self._connections)
        for conn in connections:
            conn.ready = False
        await asyncio.gather(
            *(conn.ws.close(code=code, message=message) for conn in connections),
            return_exceptions=True,
        )

    async def _send(self, conn: _GatewayConnection, payload: JSONDict) -> None:
        async with conn.lock:
            self.gateway_sent.append(payload)
            await conn.ws.send_str(json.dumps(payload))

    async def _send_dispatch(self, conn: _GatewayConnection, event: str, data: JSONDict) -> None:
        assert conn.session is not None
        conn.session.seq += 1
        await self._send(conn, {"op": 0, "t": event, "s": conn.session.seq, "d": data})

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=0)
        await ws.prepare(request)
        conn = _GatewayConnection(ws, dict(request.query))
        self.gateway_queries.append(dict(request.query))
        self._connections.append(conn)
        self._notify()
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"Error while decoding payload.")
                return ws
            await self._send(
                conn,
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake"]},
                    "s": None,
                    "t": None,
                },
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                self.gateway_received.append(payload)
                self._notify()
                await self._on_gateway_payload(conn, payload)
        except (ConnectionError, RuntimeError):
            pass  # the client went away mid-send
        except Exception as exc:  # a bug in the fake: make it loud, close the connection
            self.bugs.append(f"gateway: {exc!r}")
            await ws.close(code=4000, message=b"fake gateway bug")
        finally:
            conn.ready = False
            self._connections.remove(conn)
            self._notify()
        return ws

    async def _on_gateway_payload(self, conn: _GatewayConnection, payload: JSONDict) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            await self._send(conn, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data if isinstance(data, dict) else {})
        elif op == 6:
            await self._resume(conn, data if isinstance(data, dict) else {})
        elif conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == 3:
            self.presence = data
        elif op == 8:
            await self._request_members(conn, data if isinstance(data, dict) else {})
        elif op != 4:  # voice state updates are accepted and ignored
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _GatewayConnection, data: JSONDict) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS and not self.privileged_intents_allowed:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard")
        if shard is not None and not (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) for n in shard)
            and 0 <= shard[0] < shard[1]
        ):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        self.identify = copy.deepcopy(data)
        self.identifies.append(copy.deepcopy(data))
        session = _GatewaySession(secrets.token_hex(16), intents, shard)
        guild_ids = [gid for gid in self._guilds if self._session_serves(session, gid)]
        if len(guild_ids) > self.max_guilds_per_session:
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        self._sessions[session.session_id] = session
        conn.session = session
        ready: JSONDict = {
            "v": API_VERSION,
            "user": self._bot_user(),
            "user_settings": {},
            "session_type": "normal",
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "_trace": ["fake"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(conn, "READY", ready)
        for gid in guild_ids:
            await self._send_dispatch(conn, "GUILD_CREATE", self._guild_create(gid, intents))
        conn.ready = True
        self._notify()

    async def _resume(self, conn: _GatewayConnection, data: JSONDict) -> None:
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = self._sessions.get(str(data.get("session_id")))
        if session is None:
            await self._send(conn, {"op": 9, "d": False, "s": None, "t": None})
            return
        conn.session = session
        await self._send_dispatch(conn, "RESUMED", {"_trace": ["fake"]})
        conn.ready = True
        self._notify()

    async def _request_members(self, conn: _GatewayConnection, data: JSONDict) -> None:
        guild_id = int(data.get("guild_id") or 0)
        guild = self._guilds.get(guild_id)
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        user_ids = {int(u) for u in data.get("user_ids") or []}
        limit = int(data.get("limit") or 0) or len(guild["members"])
        members = [
            self._member_payload(guild_id, uid)
            for uid in guild["members"]
            if (not user_ids or uid in user_ids)
            and self._users[uid]["username"].lower().startswith(query)
        ][:limit]
        chunk: JSONDict = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in user_ids - set(guild["members"])],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(conn, "GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ payload builders

    def _bot_user(self) -> JSONDict:
        user = copy.deepcopy(self._users[self.bot_user_id])
        user.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return user

    def _member_payload(self, guild_id: int, user_id: int) -> JSONDict:
        member = self._guilds[int(guild_id)]["members"][int(user_id)]
        return {
            "user": copy.deepcopy(self._users[int(user_id)]),
            "roles": [str(role) for role in member["roles"]],
            "joined_at": member["joined_at"],
            "nick": None,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "communication_disabled_until": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }

    def _guild_payload(self, guild_id: int) -> JSONDict:
        guild = self._guilds[guild_id]
        return {
            "id": str(guild_id),
            "name": guild["name"],
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild["owner_id"]),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [copy.deepcopy(role) for role in guild["roles"].values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500_000,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
        }

    def _guild_create(self, guild_id: int, intents: int) -> JSONDict:
        guild = self._guilds[guild_id]
        member_ids = (
            list(guild["members"]) if intents & GUILD_MEMBERS_INTENT else [self.bot_user_id]
        )
        return {
            **self._guild_payload(guild_id),
            "joined_at": guild["joined_at"],
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(guild["members"]),
            "voice_states": [],
            "members": [self._member_payload(guild_id, uid) for uid in member_ids],
            "channels": [copy.deepcopy(c) for c in guild["channels"].values()],
            "threads": [
                {**copy.deepcopy(t), "guild_id": str(guild_id)} for t in guild["threads"].values()
            ],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _find_channel(self, channel_id: int) -> tuple[JSONDict | None, int | None]:
        for guild_id, guild in self._guilds.items():
            channel = guild["channels"].get(channel_id) or guild["threads"].get(channel_id)
            if channel is not None:
                return channel, guild_id
        return self._dm_channels.get(channel_id), None

    def _channel_payload(self, channel_id: int) -> JSONDict:
        channel, guild_id = self._find_channel(channel_id)
        if channel is None:
            raise _unknown(404, 10003, "Unknown Channel")
        payload = copy.deepcopy(channel)
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
        return payload

    def _dm_channel(self, user_id: int) -> JSONDict:
        if user_id not in self._dm_by_user:
            channel_id = self._ids.next()
            self._dm_channels[channel_id] = {
                "id": str(channel_id),
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [copy.deepcopy(self._users[user_id])],
            }
            self._dm_by_user[user_id] = channel_id
        return copy.deepcopy(self._dm_channels[self._dm_by_user[user_id]])

    def _store_attachment(
        self, channel_id: int, filename: str, content: bytes, content_type: str | None
    ) -> JSONDict:
        attachment_id = self._ids.next()
        content_type = (
            content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        self._attachments[attachment_id] = (filename, content, content_type)
        url = f"{self.url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    # ------------------------------------------------------------------ plumbing

    def _notify(self) -> None:
        self._signal.notify()

    def _now(self) -> float:
        return seconds(self.clock())

    # ------------------------------------------------------------------ HTTP

    async def _read_body(self, request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
        if not request.can_read_body:
            return None, {}
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: dict[str, tuple[str, bytes]] = {}
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = (part.filename, bytes(await part.read(decode=False)))
                elif part.name == "payload_json":
                    payload = json.loads(await part.text())
            return payload, files
        raw = await request.read()
        if not raw:
            return None, {}
        if request.content_type == "application/json":
            return json.loads(raw), {}
        return raw.decode(errors="replace"), {}

    @staticmethod
    def _response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
        if body is None:
            return web.Response(status=204, headers=headers)
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )

    async def _handle_api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        call = RecordedCall(
            request.method,
            path,
            headers=dict(request.headers),
            query=dict(request.query),
            at=self._now(),
        )
        self.calls.append(call)
        headers: dict[str, str] = {}
        try:
            try:
                call.json, call.files = await self._read_body(request)
            except ValueError:
                raise _APIError(400, 50109, "The request body contains invalid JSON.") from None
            status, body = await self._route(call, headers)
        except _APIError as exc:
            status, body = exc.status, exc.payload
            headers.update(exc.headers)
        except Exception as exc:  # a bug in the fake: loud, and never retried by discord.py
            self.bugs.append(f"{call.method} {call.path}: {exc!r}")
            status, body = 418, {"code": 0, "message": f"fake Discord API bug: {exc!r}"}
        call.status = 204 if body is None else status
        call.response = body
        call.response_headers = dict(headers)
        self._notify()
        return self._response(status, body, headers)

    async def _handle_file(self, request: web.Request) -> web.Response:
        self.file_downloads.append(request.path)
        try:
            stored = self._attachments.get(int(request.match_info["attachment"]))
        except ValueError:
            stored = None
        if stored is None:
            return web.Response(status=404, text="Not Found")
        _, content, content_type = stored
        return web.Response(body=content, headers={"Content-Type": content_type})

    def _build_routes(
        self,
    ) -> list[tuple[str, re.Pattern[str], Callable[..., Any], bool]]:
        app = r"/applications/(?P<app_id>\d+)"
        guild_cmds = app + r"/guilds/(?P<guild_id>\d+)/commands"
        hook = r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)"
        channel = r"/channels/(?P<channel_id>\d+)"
        routes: list[tuple[str, str, Callable[..., Any], bool]] = [
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user, True),
            ("POST", r"/users/@me/channels", self._create_dm, True),
            ("GET", r"/oauth2/applications/@me", self._get_application, True),
            ("GET", r"/applications/@me", self._get_application, True),
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, True),
            ("GET", app + r"/commands", self._get_commands, True),
            ("PUT", app + r"/commands", self._put_commands, True),
            ("POST", app + r"/commands", self._post_command, True),
            ("GET", guild_cmds, self._get_commands, True),
            ("PUT", guild_cmds, self._put_commands, True),
            ("POST", guild_cmds, self._post_command, True),
            ("GET", app + r"/commands/(?P<command_id>\d+)", self._get_command, True),
            ("DELETE", app + r"/commands/(?P<command_id>\d+)", self._delete_command, True),
            ("GET", guild_cmds + r"/(?P<command_id>\d+)", self._get_command, True),
            ("DELETE", guild_cmds + r"/(?P<command_id>\d+)", self._delete_command, True),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
                False,
            ),
            ("POST", hook, self._followup, False),
            ("GET", hook + r"/messages/(?P<message_id>@original|\d+)", self._get_hook_msg, False),
            (
                "PATCH",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._edit_hook_msg,
                False,
            ),
            (
                "DELETE",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._delete_hook_msg,
                False,
            ),
            ("GET", channel, self._get_channel, True),
            ("POST", channel + r"/messages", self._post_message, True),
            ("GET", channel + r"/messages", self._list_messages, True),
            ("GET", channel + r"/messages/(?P<message_id>\d+)", self._get_message, True),
            ("PATCH", channel + r"/messages/(?P<message_id>\d+)", self._edit_message, True),
            ("DELETE", channel + r"/messages/(?P<message_id>\d+)", self._delete_message, True),
            ("POST", channel + r"/typing", self._typing, True),
            ("GET", r"/guilds/(?P<guild_id>\d+)", self._get_guild, True),
            ("GET", r"/guilds/(?P<guild_id>\d+)/channels", self._get_guild_channels, True),
            (
                "GET",
                r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)",
                self._get_member,
                True,
            ),
        ]
        return [(method, re.compile(rx), handler, auth) for method, rx, handler, auth in routes]

    async def _route(self, call: RecordedCall, headers: dict[str, str]) -> tuple[int, Any]:
        matches = [
            (method, match, handler, auth)
            for method, regex, handler, auth in self._routes
            if (match := regex.fullmatch(call.path)) is not None
        ]
        found = next((m for m in matches if m[0] == call.method), None)
        if found is None:
            if matches:
                raise _APIError(405, 0, "405: Method Not Allowed")
            raise _APIError(404, 0, "404: Not Found")
        _, match, handler, auth = found
        if auth and call.headers.get("Authorization") != f"Bot {self.token}":
            raise _APIError(401, 0, "401: Unauthorized")
        self._take_failure(call)
        if self.enforce_limits and auth:
            self._check_global_limit()
            if handler == self._post_message:
                self._check_channel_limit(int(match["channel_id"]), headers)
        result = handler(call, **match.groupdict())
        if inspect.isawaitable(result):
            result = await result
        return (200, result) if result is not None else (204, None)

    # ------------------------------------------------------------------ failures and limits

    def _take_failure(self, call: RecordedCall) -> None:
        for failure in self._failures:
            if failure.method not in ("*", call.method) or not failure.pattern.fullmatch(call.path):
                continue
            if failure.after > 0:
                failure.after -= 1
                return
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            headers: dict[str, str] = {}
            if failure.status == 429:
                headers = self._limit_headers(
                    "global" if failure.is_global else "user",
                    failure.retry_after or 0.0,
                    bucket=_bucket_hash(call.method, call.path),
                )
            raise _APIError(
                failure.status, 0, "", headers=headers, body=copy.deepcopy(failure.body)
            )

    @staticmethod
    def _limit_headers(scope: str, retry_after: float, *, bucket: str) -> dict[str, str]:
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": scope,
        }
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Bucket": bucket,
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                }
            )
        return headers

    def _check_global_limit(self) -> None:
        now = self._now()
        window = self._global_window
        if now >= window[0] + 1.0:
            window[0], window[1] = now, 0
        if window[1] >= self.limits.global_per_second:
            retry_after = round(window[0] + 1.0 - now, 3)
            raise _APIError(
                429,
                0,
                "",
                headers=self._limit_headers("global", retry_after, bucket=""),
                body={
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": True,
                },
            )
        window[1] += 1

    def _check_channel_limit(self, channel_id: int, headers: dict[str, str]) -> None:
        now = self._now()
        limit, span = self.limits.channel_messages, self.limits.channel_window
        window = self._channel_windows.setdefault(channel_id, [-math.inf, 0])
        if now >= window[0] + span:
            window[0], window[1] = now, 0
        reset_after = round(window[0] + span - now, 3)
        bucket = _bucket_hash("POST", "/channels/{channel_id}/messages")
        if window[1] >= limit:
            limited = self._limit_headers("user", reset_after, bucket=bucket)
            limited["X-RateLimit-Limit"] = str(limit)
            raise _APIError(
                429,
                0,
                "",
                headers=limited,
                body={
                    "message": "You are being rate limited.",
                    "retry_after": reset_after,
                    "global": False,
                },
            )
        window[1] += 1
        headers.update(
            {
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(limit - window[1]),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            }
        )

    # ------------------------------------------------------------------ users, app, gateway

    def _get_me(self, call: RecordedCall) -> JSONDict:
        return self._bot_user()

    def _get_user(self, call: RecordedCall, user_id: str) -> JSONDict:
        user = self.user(int(user_id))
        if user is None:
            raise _unknown(404, 10013, "Unknown User")
        return user

    def _create_dm(self, call: RecordedCall) -> JSONDict:
        body = call.json if isinstance(call.json, dict) else {}
        try:
            user_id = int(body.get("recipient_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _form_error(
                {
                    "recipient_id": {
                        "_errors": [
                            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                        ]
                    }
                }
            ) from None
        if user_id not in self._users or user_id == self.bot_user_id:
            raise _APIError(400, 50033, "Invalid Recipient(s)")
        return self._dm_channel(user_id)

    def _get_application(self, call: RecordedCall) -> JSONDict:
        return {
            "id": str(self.application_id),
            "name": "NewsDigest Test",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(self.token.encode()).hexdigest(),
            "flags": self.application_flags,
            "owner": copy.deepcopy(self._users[OWNER_ID]),
            "team": None,
            "bot": self._bot_user(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "approximate_guild_count": len(self._guilds),
            "integration_types_config": {"0": {}},
        }

    def _get_gateway(self, call: RecordedCall) -> JSONDict:
        return {"url": self.gateway_url}

    def _get_gateway_bot(self, call: RecordedCall) -> JSONDict:
        return {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    # ------------------------------------------------------------------ commands

    def _command_scope(self, app_id: str, guild_id: str | None) -> int | None:
        if int(app_id) != self.application_id:
            raise _APIError(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        if guild_id is None:
            return None
        if int(guild_id) not in self._guilds:
            raise _APIError(403, 50001, "Missing Access")
        return int(guild_id)

    def _get_commands(
        self, call: RecordedCall, app_id: str, guild_id: str | None = None
    ) -> list[JSONDict]:
        return self.registered_commands(self._command_scope(app_id, guild_id))

    def _get_command(
        self, call: RecordedCall, app_id: str, command_id: str, guild_id: str | None = None
    ) -> JSONDict:
        for command in self._commands.get(self._command_scope(app_id, guild_id), []):
            if command["id"] == command_id:
                return copy.deepcopy(command)
        raise _unknown(404, 10063, "Unknown application command")

    def _delete_command(
        self, call: RecordedCall, app_id: str, command_id: str, guild_id: str | None = None
    ) -> None:
        scope = self._command_scope(app_id, guild_id)
        commands = self._commands.get(scope, [])
        kept = [c for c in commands if c["id"] != command_id]
        if len(kept) == len(commands):
            raise _unknown(404, 10063, "Unknown application command")
        self._commands[scope] = kept

    def _put_commands(
        self, call: RecordedCall, app_id: str, guild_id: str | None = None
    ) -> list[JSONDict]:
        scope = self._command_scope(app_id, guild_id)
        body = call.json
        if not isinstance(body, list):
            raise _form_error(
                {
                    "_errors": [
                        {"code": "LIST_TYPE_CONVERT", "message": "Only iterables may be used."}
                    ]
                }
            )
        errors: JSONDict = {}
        seen: set[tuple[str, int]] = set()
        for index, command in enumerate(body):
            _check_command(errors, [index], command)
            if isinstance(command, dict):
                key = (str(command.get("name")), int(command.get("type", 1)))
                if key in seen:
                    _put_error(
                        errors,
                        [index, "name"],
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        "Application command names must be unique",
                    )
                seen.add(key)
        if sum(1 for c in body if isinstance(c, dict) and c.get("type", 1) == 1) > 100:
            _put_error(errors, [], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        if errors:
            raise _form_error(errors)
        previous = {(c["name"], c["type"]): c for c in self._commands.get(scope, [])}
        stored = [self._stored_command(c, scope, previous) for c in body]
        self._commands[scope] = stored
        return copy.deepcopy(stored)

    def _post_command(
        self, call: RecordedCall, app_id: str, guild_id: str | None = None
    ) -> JSONDict:
        scope = self._command_scope(app_id, guild_id)
        errors: JSONDict = {}
        _check_command(errors, [], call.json)
        if errors:
            raise _form_error(errors)
        commands = self._commands.setdefault(scope, [])
        previous = {(c["name"], c["type"]): c for c in commands}
        entry = self._stored_command(call.json, scope, previous)
        commands[:] = [
            c for c in commands if (c["name"], c["type"]) != (entry["name"], entry["type"])
        ]
        commands.append(entry)
        return copy.deepcopy(entry)

    def _stored_command(
        self, command: JSONDict, scope: int | None, previous: dict[tuple[str, int], JSONDict]
    ) -> JSONDict:
        entry = copy.deepcopy(command)
        entry["type"] = int(entry.get("type", 1))
        entry.setdefault("description", "")
        entry.setdefault("options", [])
        entry.setdefault("nsfw", False)
        entry.setdefault("contexts", None)
        entry.setdefault("integration_types", [0])
        permissions = entry.get("default_member_permissions")
        entry["default_member_permissions"] = None if permissions is None else str(permissions)
        if scope is None:
            entry.setdefault("dm_permission", True)
        else:
            entry.pop("dm_permission", None)
            entry["guild_id"] = str(scope)
        old = previous.get((entry["name"], entry["type"]))
        entry["id"] = old["id"] if old else str(self._ids.next())
        entry["application_id"] = str(self.application_id)
        unchanged = old is not None and {k: v for k, v in old.items() if k != "version"} == entry
        entry["version"] = old["version"] if old and unchanged else str(self._ids.next())
        return entry

    # ------------------------------------------------------------------ messages

    def _writable_channel(self, channel_id: int, payload: JSONDict, files: dict[str, Any]) -> None:
        channel, guild_id = self._find_channel(channel_id)
        if channel is None:
            raise _unknown(404, 10003, "Unknown Channel")
        if guild_id is None:
            return
        allowed = self.member_permissions(guild_id, self.bot_user_id)
        needed = SEND_MESSAGES_IN_THREADS if channel["type"] in _THREAD_TYPES else SEND_MESSAGES
        if not allowed & VIEW_CHANNEL:
            raise _APIError(403, 50001, "Missing Access")
        if not allowed & needed or (files and not allowed & ATTACH_FILES):
            raise _APIError(403, 50013, "Missing Permissions")

    def _validate(
        self, payload: Any, files: dict[str, tuple[str, bytes]], prefix: list[Any]
    ) -> JSONDict:
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise _form_error(
                {
                    "_errors": [
                        {
                            "code": "DICT_TYPE_CONVERT",
                            "message": "Only dictionaries may be used in a DictType",
                        }
                    ]
                }
            )
        errors: JSONDict = {}
        _check_message_fields(errors, payload, prefix)
        self._check_refused_images(errors, payload, prefix)
        if errors:
            raise _form_error(errors)
        if any(len(content) > ATTACHMENT_SIZE_LIMIT for _, content in files.values()):
            raise _APIError(413, 40005, "Request entity too large")
        return payload

    def _check_refused_images(self, errors: JSONDict, payload: JSONDict, prefix: list[Any]) -> None:
        """Embeds whose thumbnail or image is a refused address (``refuse_image``)."""
        embeds = payload.get("embeds")
        if not self.refused_images or not isinstance(embeds, list):
            return
        for index, embed in enumerate(embeds):
            for key in ("thumbnail", "image"):
                media = embed.get(key) if isinstance(embed, dict) else None
                if isinstance(media, dict) and media.get("url") in self.refused_images:
                    _put_error(
                        errors,
                        [*prefix, "embeds", index, key, "url"],
                        "URL_TYPE_INVALID_URL",
                        "Not a well formed URL.",
                    )

    def _attachments_for(
        self,
        channel_id: int,
        payload: JSONDict,
        files: dict[str, tuple[str, bytes]],
        existing: list[JSONDict],
    ) -> list[JSONDict]:
        uploads = {_file_index(name): value for name, value in files.items()}
        described = payload.get("attachments")
        result: list[JSONDict] = []
        used: set[str] = set()
        if isinstance(described, list):
            kept = {a["id"]: a for a in existing}
            for entry in described:
                if not isinstance(entry, dict):
                    continue
                ident = str(entry.get("id"))
                if ident in uploads and ident not in used:
                    filename, content = uploads[ident]
                    used.add(ident)
                    stored = self._store_attachment(
                        channel_id, str(entry.get("filename") or filename), content, None
                    )
                    if entry.get("description"):
                        stored["description"] = entry["description"]
                    result.append(stored)
                elif ident in kept:
                    result.append(kept[ident])
        else:
            result = list(existing)
        for ident, (filename, content) in uploads.items():
            if ident not in used:
                result.append(self._store_attachment(channel_id, filename, content, None))
        return result

    def _mentions(
        self,
        content: str,
        allowed: Any,
        guild_id: int | None,
        replied_author: JSONDict | None,
    ) -> JSONDict:
        if isinstance(allowed, dict):
            parse = set(allowed.get("parse") or [])
            users = {int(u) for u in allowed.get("users") or []}
            roles = {int(r) for r in allowed.get("roles") or []}
            replied = bool(allowed.get("replied_user", False))
        else:
            parse, users, roles, replied = {"users", "roles", "everyone"}, set(), set(), True
        mentioned: list[JSONDict] = []
        for match in _USER_MENTION_RE.finditer(content):
            user_id = int(match.group(1))
            if user_id in self._users and ("users" in parse or user_id in users):
                user = copy.deepcopy(self._users[user_id])
                if all(m["id"] != user["id"] for m in mentioned):
                    mentioned.append(user)
        if replied and replied_author and all(m["id"] != replied_author["id"] for m in mentioned):
            mentioned.append(copy.deepcopy(replied_author))
        mention_roles: list[str] = []
        guild = self._guilds.get(guild_id) if guild_id is not None else None
        for match in _ROLE_MENTION_RE.finditer(content):
            role_id = int(match.group(1))
            wanted = "roles" in parse or role_id in roles
            if guild and role_id in guild["roles"] and wanted and str(role_id) not in mention_roles:
                mention_roles.append(str(role_id))
        everyone = bool(
            guild_id is not None
            and "everyone" in parse
            and _EVERYONE_RE.search(content)
            and self.member_permissions(guild_id, self.bot_user_id) & MENTION_EVERYONE
        )
        return {"mentions": mentioned, "mention_roles": mention_roles, "mention_everyone": everyone}

    def _new_message(
        self,
        channel_id: int,
        payload: JSONDict,
        files: dict[str, tuple[str, bytes]],
        *,
        message_type: int = 0,
        flags: int = 0,
        interaction: FakeInteraction | None = None,
    ) -> JSONDict:
        _, guild_id = self._find_channel(channel_id)
        referenced: JSONDict | None = None
        reference = payload.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            ref_channel = int(reference.get("channel_id") or channel_id)
            referenced = self._messages.get(ref_channel, {}).get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise _form_error(
                    {
                        "message_reference": {
                            "_errors": [
                                {
                                    "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                    "message": "Unknown message",
                                }
                            ]
                        }
                    }
                )
        message_id = self._ids.next()
        message: JSONDict = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": message_type,
            "author": copy.deepcopy(self._users[self.bot_user_id]),
            "content": str(payload.get("content") or ""),
            "timestamp": _iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "attachments": self._attachments_for(channel_id, payload, files, []),
            "embeds": [_normalise_embed(e) for e in payload.get("embeds") or []],
            "components": copy.deepcopy(payload.get("components") or []),
            "pinned": False,
            "flags": flags,
            "allowed_mentions": copy.deepcopy(payload.get("allowed_mentions")),
        }
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if payload.get("poll"):
            message["poll"] = copy.deepcopy(payload["poll"])
        message.update(
            self._mentions(
                message["content"],
                payload.get("allowed_mentions"),
                guild_id,
                referenced["author"] if referenced else None,
            )
        )
        if referenced is not None:
            message["type"] = 19 if message_type == 0 else message_type
            message["message_reference"] = {
                "type": 0,
                "message_id": referenced["id"],
                "channel_id": referenced["channel_id"],
            }
            if guild_id is not None:
                message["message_reference"]["guild_id"] = str(guild_id)
            message["referenced_message"] = {
                k: v for k, v in copy.deepcopy(referenced).items() if k != "referenced_message"
            }
        if interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
            user = interaction.payload.get("user") or interaction.payload["member"]["user"]
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": 2,
                "name": interaction.name,
                "command_type": 1,
                "user": copy.deepcopy(user),
                "authorizing_integration_owners": interaction.payload[
                    "authorizing_integration_owners"
                ],
            }
            message["interaction"] = {
                "id": str(interaction.id),
                "type": 2,
                "name": interaction.name,
                "user": copy.deepcopy(user),
            }
        self._messages.setdefault(channel_id, {})[message_id] = message
        self._touch_channel(channel_id, message_id)
        return message

    def _touch_channel(self, channel_id: int, message_id: int) -> None:
        channel, _ = self._find_channel(channel_id)
        if channel is not None:
            channel["last_message_id"] = str(message_id)
            if channel.get("type") in _THREAD_TYPES:
                channel["message_count"] = channel.get("message_count", 0) + 1
                channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1

    def _apply_edit(
        self,
        message: JSONDict,
        payload: JSONDict,
        files: dict[str, tuple[str, bytes]],
        *,
        finish_loading: bool = False,
    ) -> JSONDict:
        channel_id = int(message["channel_id"])
        _, guild_id = self._find_channel(channel_id)
        edited = copy.deepcopy(message)
        if "content" in payload:
            edited["content"] = str(payload.get("content") or "")
        if "embeds" in payload:
            edited["embeds"] = [_normalise_embed(e) for e in payload.get("embeds") or []]
        if "components" in payload:
            edited["components"] = copy.deepcopy(payload.get("components") or [])
        if "attachments" in payload or files:
            edited["attachments"] = self._attachments_for(
                channel_id, payload, files, edited["attachments"]
            )
        if payload.get("flags") is not None:
            keep = int(edited["flags"]) & ~SUPPRESS_EMBEDS
            edited["flags"] = keep | (int(payload["flags"]) & SUPPRESS_EMBEDS)
        if "allowed_mentions" in payload:
            edited["allowed_mentions"] = copy.deepcopy(payload["allowed_mentions"])
        if _is_empty(edited):
            raise _APIError(400, 50006, "Cannot send an empty message")
        was_loading = bool(int(edited["flags"]) & LOADING)
        if finish_loading or was_loading:
            edited["flags"] = int(edited["flags"]) & ~LOADING
        if not was_loading:
            edited["edited_timestamp"] = _iso()
        edited.update(
            self._mentions(
                edited["content"],
                payload.get("allowed_mentions", message.get("allowed_mentions")),
                guild_id,
                None,
            )
        )
        self._messages[channel_id][int(edited["id"])] = edited
        return edited

    def _stored_message(self, channel_id: int, message_id: int) -> JSONDict:
        message = self._messages.get(channel_id, {}).get(message_id)
        if message is None:
            raise _unknown(404, 10008, "Unknown Message")
        return message

    def _get_channel(self, call: RecordedCall, channel_id: str) -> JSONDict:
        return self._channel_payload(int(channel_id))

    def _post_message(self, call: RecordedCall, channel_id: str) -> JSONDict:
        cid = int(channel_id)
        self._writable_channel(cid, call.json or {}, call.files)
        payload = self._validate(call.json, call.files, [])
        candidate = {**payload, "attachments": list(call.files) or payload.get("attachments")}
        if _is_empty(candidate):
            raise _APIError(400, 50006, "Cannot send an empty message")
        flags = int(payload.get("flags") or 0) & (SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS)
        message = self._new_message(cid, payload, call.files, flags=flags)
        self._channel_posts.setdefault(cid, []).append(int(message["id"]))
        return copy.deepcopy(message)

    def _list_messages(self, call: RecordedCall, channel_id: str) -> list[JSONDict]:
        cid = int(channel_id)
        if self._find_channel(cid)[0] is None:
            raise _unknown(404, 10003, "Unknown Channel")
        limit = max(1, min(100, int(call.query.get("limit", 50))))
        messages = sorted(self._messages.get(cid, {}).values(), key=lambda m: -int(m["id"]))
        if "before" in call.query:
            messages = [m for m in messages if int(m["id"]) < int(call.query["before"])]
        if "after" in call.query:
            messages = [m for m in messages if int(m["id"]) > int(call.query["after"])]
        return copy.deepcopy(messages[:limit])

    def _get_message(self, call: RecordedCall, channel_id: str, message_id: str) -> JSONDict:
        if self._find_channel(int(channel_id))[0] is None:
            raise _unknown(404, 10003, "Unknown Channel")
        return copy.deepcopy(self._stored_message(int(channel_id), int(message_id)))

    def _edit_message(self, call: RecordedCall, channel_id: str, message_id: str) -> JSONDict:
        if self._find_channel(int(channel_id))[0] is None:
            raise _unknown(404, 10003, "Unknown Channel")
        message = self._stored_message(int(channel_id), int(message_id))
        if message["author"]["id"] != str(self.bot_user_id):
            raise _APIError(403, 50005, "Cannot edit a message authored by another user")
        payload = self._validate(call.json, call.files, [])
        return copy.deepcopy(self._apply_edit(message, payload, call.files))

    def _delete_message(self, call: RecordedCall, channel_id: str, message_id: str) -> None:
        if self._find_channel(int(channel_id))[0] is None:
            raise _unknown(404, 10003, "Unknown Channel")
        self._stored_message(int(channel_id), int(message_id))
        del self._messages[int(channel_id)][int(message_id)]

    def _typing(self, call: RecordedCall, channel_id: str) -> None:
        if self._find_channel(int(channel_id))[0] is None:
            raise _unknown(404, 10003, "Unknown Channel")

    def _get_guild(self, call: RecordedCall, guild_id: str) -> JSONDict:
        if int(guild_id) not in self._guilds:
            raise _unknown(404, 10004, "Unknown Guild")
        return self._guild_payload(int(guild_id))

    def _get_guild_channels(self, call: RecordedCall, guild_id: str) -> list[JSONDict]:
        guild = self._guilds.get(int(guild_id))
        if guild is None:
            raise _unknown(404, 10004, "Unknown Guild")
        return [self._channel_payload(cid) for cid in guild["channels"]]

    def _get_member(self, call: RecordedCall, guild_id: str, user_id: str) -> JSONDict:
        guild = self._guilds.get(int(guild_id))
        if guild is None:
            raise _unknown(404, 10004, "Unknown Guild")
        if int(user_id) not in guild["members"]:
            raise _unknown(404, 10007, "Unknown Member")
        return self._member_payload(int(guild_id), int(user_id))

    # ------------------------------------------------------------------ interaction answers

    def _interaction_callback(
        self, call: RecordedCall, interaction_id: str, token: str
    ) -> JSONDict | None:
        interaction = self._interactions_by_id.get(int(interaction_id))
        if interaction is None or interaction.token != token:
            raise _unknown(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            raise _APIError(400, 40060, "Interaction has already been acknowledged.")
        body = call.json if isinstance(call.json, dict) else {}
        rtype = body.get("type")
        allowed = _CALLBACK_TYPES[int(interaction.payload["type"])]
        if rtype not in allowed:
            raise _form_error(
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"Value must be one of {set(allowed)}.",
                            }
                        ]
                    }
                }
            )
        data = body.get("data") or {}
        message: JSONDict | None = None
        channel_id = interaction.channel_id
        if rtype == 4:
            data = self._validate(data, call.files, ["data"])
            candidate = {**data, "attachments": list(call.files) or data.get("attachments")}
            if _is_empty(candidate):
                raise _APIError(400, 50006, "Cannot send an empty message")
            flags = int(data.get("flags") or 0) & _SENDABLE_FLAGS
            message = self._new_message(
                channel_id, data, call.files, message_type=20, flags=flags, interaction=interaction
            )
        elif rtype == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                channel_id, {}, {}, message_type=20, flags=flags, interaction=interaction
            )
        elif rtype in (6, 7):  # the pressed message is the original: kept, or edited now
            pressed = self._stored_message(channel_id, int(interaction.payload["message"]["id"]))
            if rtype == 7:
                data = self._validate(data, call.files, ["data"])
                pressed = self._apply_edit(pressed, data, call.files)
            message = pressed
        elif rtype == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                raise _form_error(
                    {
                        "data": {
                            "choices": {
                                "_errors": [
                                    {
                                        "code": "BASE_TYPE_MAX_LENGTH",
                                        "message": "Must be 25 or fewer in length.",
                                    }
                                ]
                            }
                        }
                    }
                )
            for index, choice in enumerate(choices):
                name = choice.get("name") if isinstance(choice, dict) else None
                if not isinstance(name, str) or not 1 <= len(name) <= 100:
                    errors = {}
                    _put_error(
                        errors,
                        ["data", "choices", index, "name"],
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    )
                    raise _form_error(errors)
        else:
            missing = [k for k in ("custom_id", "title", "components") if not data.get(k)]
            if missing:
                errors: JSONDict = {}
                for key in missing:
                    _put_error(
                        errors, ["data", key], "BASE_TYPE_REQUIRED", "This field is required"
                    )
                raise _form_error(errors)
        interaction.callback_type = rtype
        interaction.original_id = int(message["id"]) if message else None
        interaction._record("callback", call, data, message, rtype)
        if call.query.get("with_response", "").lower() not in ("1", "true"):
            return None
        resource: JSONDict = {"type": rtype}
        callback: JSONDict = {"id": str(interaction.id), "type": 2}
        if message is not None:
            resource["message"] = copy.deepcopy(message)
            callback.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(int(message["flags"]) & EPHEMERAL),
            )
        return {"interaction": callback, "resource": resource}

    def _hook_interaction(self, app_id: str, token: str) -> FakeInteraction:
        interaction = self._interactions_by_token.get(token)
        if int(app_id) != self.application_id or interaction is None:
            raise _unknown(404, 10015, "Unknown Webhook")
        return interaction

    def _followup(self, call: RecordedCall, app_id: str, token: str) -> JSONDict:
        interaction = self._hook_interaction(app_id, token)
        if not interaction.acknowledged:
            raise _unknown(404, 10015, "Unknown Webhook")
        payload = self._validate(call.json, call.files, [])
        candidate = {**payload, "attachments": list(call.files) or payload.get("attachments")}
        if _is_empty(candidate):
            raise _APIError(400, 50006, "Cannot send an empty message")
        channel_id = interaction.channel_id
        original = (
            self._messages.get(channel_id, {}).get(interaction.original_id)
            if interaction.original_id is not None
            else None
        )
        if original is not None and int(original["flags"]) & LOADING:
            # The first follow-up after a deferral fills in the "thinking" message.
            message = self._apply_edit(original, payload, call.files, finish_loading=True)
        else:
            flags = int(payload.get("flags") or 0) & _SENDABLE_FLAGS
            message = self._new_message(
                channel_id, payload, call.files, flags=flags, interaction=interaction
            )
            interaction.followup_ids.append(int(message["id"]))
        interaction._record("followup", call, payload, message)
        return copy.deepcopy(message)

    def _hook_message(self, interaction: FakeInteraction, message_id: str) -> JSONDict:
        if message_id == "@original":
            if interaction.original_id is None:
                raise _unknown(404, 10008, "Unknown Message")
            target = interaction.original_id
        else:
            target = int(message_id)
            if target != interaction.original_id and target not in interaction.followup_ids:
                raise _unknown(404, 10008, "Unknown Message")
        return self._stored_message(interaction.channel_id, target)

    def _get_hook_msg(
        self, call: RecordedCall, app_id: str, token: str, message_id: str
    ) -> JSONDict:
        interaction = self._hook_interaction(app_id, token)
        return copy.deepcopy(self._hook_message(interaction, message_id))

    def _edit_hook_msg(
        self, call: RecordedCall, app_id: str, token: str, message_id: str
    ) -> JSONDict:
        interaction = self._hook_interaction(app_id, token)
        message = self._hook_message(interaction, message_id)
        payload = self._validate(call.json, call.files, [])
        edited = self._apply_edit(message, payload, call.files)
        original = int(edited["id"]) == interaction.original_id
        interaction._record("edit_original" if original else "edit_followup", call, payload, edited)
        return copy.deepcopy(edited)

    def _delete_hook_msg(
        self, call: RecordedCall, app_id: str, token: str, message_id: str
    ) -> None:
        interaction = self._hook_interaction(app_id, token)
        message = self._hook_message(interaction, message_id)
        target = int(message["id"])
        del self._messages[interaction.channel_id][target]
        if target == interaction.original_id:
            interaction.original_id = None
            interaction._record("delete_original", call, {}, message)
        else:
            interaction.followup_ids.remove(target)
            interaction._record("delete_followup", call, {}, message)


# --------------------------------------------------------------------------- helpers


def _without(spec: JSONDict) -> JSONDict:
    """add_channel keyword arguments from a channel spec dict."""
    allowed = {"name", "type", "parent_id", "topic"}
    return {k: v for k, v in spec.items() if k in allowed}


def _normalise_embed(embed: JSONDict) -> JSONDict:
    result = copy.deepcopy(embed)
    result.setdefault("type", "rich")
    result["content_scan_version"] = 0
    return result


def _bucket_hash(method: str, path: str) -> str:
    template = re.sub(r"\d{5,}|(?<=/)\d+(?=/|$)", "{id}", path)
    return hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:32]


def _default_error(status: int, path_pattern: str) -> tuple[int, str]:
    if status == 403:
        return 50013, "Missing Permissions"
    if status == 404:
        if "channels" in path_pattern:
            return 10003, "Unknown Channel"
        if "webhooks" in path_pattern:
            return 10015, "Unknown Webhook"
        if "interactions" in path_pattern:
            return 10062, "Unknown interaction"
        return 0, "404: Not Found"
    if status == 400:
        return 50035, "Invalid Form Body"
    if status == 401:
        return 0, "401: Unauthorized"
    if status == 429:
        return 0, "You are being rate limited."
    return 0, f"{status}: fake failure"


def _check_command_name(errors: JSONDict, path: list[Any], name: Any, *, chat_input: bool) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        _put_error(errors, path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    elif chat_input and (not _COMMAND_NAME_RE.fullmatch(name) or name != name.lower()):
        _put_error(errors, path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_description(errors: JSONDict, path: list[Any], value: Any) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= 100:
        _put_error(errors, path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _check_options(errors: JSONDict, path: list[Any], options: Any) -> None:
    if not options:
        return
    if not isinstance(options, list):
        _put_error(errors, path, "LIST_TYPE_CONVERT", "Only iterables may be used.")
        return
    if len(options) > 25:
        _put_error(errors, path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    optional_seen = False
    for index, option in enumerate(options):
        where = [*path, index]
        if not isinstance(option, dict):
            _put_error(
                errors, where, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
            )
            continue
        _check_command_name(errors, [*where, "name"], option.get("name"), chat_input=True)
        _check_description(errors, [*where, "description"], option.get("description"))
        kind = option.get("type")
        if kind not in range(1, 12):
            _put_error(errors, [*where, "type"], "BASE_TYPE_CHOICES", "Value must be one of 1-11.")
        if option.get("name") in names:
            _put_error(
                errors,
                [*where, "name"],
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(str(option.get("name")))
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _check_options(errors, [*where, "options"], option.get("options"))
            continue
        if option.get("required"):
            if optional_seen:
                _put_error(
                    errors,
                    where,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            _put_error(
                errors,
                [*where, "choices"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            )


def _check_command(errors: JSONDict, path: list[Any], command: Any) -> None:
    if not isinstance(command, dict):
        _put_error(errors, path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    kind = command.get("type", 1)
    if kind not in (1, 2, 3, 4):
        _put_error(
            errors, [*path, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}."
        )
        return
    chat_input = kind == 1
    _check_command_name(errors, [*path, "name"], command.get("name"), chat_input=chat_input)
    if chat_input:
        _check_description(errors, [*path, "description"], command.get("description"))
        _check_options(errors, [*path, "options"], command.get("options"))
    elif command.get("description"):
        _put_error(
            errors,
            [*path, "description"],
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have description",
        )


@contextlib.contextmanager
def point_discord_py_at(fake: FakeDiscordAPI) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the fake; restore on exit.

    Sets ``discord.http.Route.BASE = fake.api_base`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``.
    """
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
