"""Actions (buttons, menu entries) as the short strings platforms carry back on a press.

Why signed: Telegram's ``callback_data`` (at most 64 bytes) and Discord's ``custom_id``
(at most 100 characters) come back from the client, and a modified client can send any
string. A press only ever runs a command the presser could have typed, with the same
permission checks, so a forgery could do no more than typing; the tag still lets an
adapter tell "not ours" (answered politely, nothing run) from "ours but stale" (the
handler answers, e.g. the feed is gone), and keeps a press from smuggling a command the
bot never offered. The key is derived from the platform's token, so every gateway process
accepts every other's buttons and a press survives restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from bot.models import Action

#: Telegram's limit on callback_data, in bytes.
TELEGRAM_LIMIT = 64
#: Discord's limit on a component's custom_id, in characters.
DISCORD_LIMIT = 100

_SEPARATOR = "\x1f"  # ASCII unit separator: never typed, so arguments keep their spaces
_TAG_BYTES = 6  # 8 base64 characters: forging one takes ~2^48 tries against a live bot
_TAG_CHARS = 8
_PURPOSE = b"newsdigest action"


class ActionTooLong(ValueError):
    """An action does not fit the platform's limit: a bug in the handler that made it."""


@dataclass(frozen=True, slots=True)
class Pressed:
    """A decoded press: the command to run and its arguments."""

    command: str
    args: tuple[str, ...]


def action_key(token: str) -> bytes:
    """The signing key for one platform's actions, derived from its token."""
    return hmac.new(token.encode(), _PURPOSE, hashlib.sha256).digest()


def _tag(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(digest).decode()


def encode_action(action: Action, key: bytes, *, limit: int) -> str:
    """The string to hand the platform for ``action``; raises ActionTooLong past ``limit``.

    ``limit`` is in UTF-8 bytes (Telegram's unit; for Discord's characters it is stricter).
    """
    parts = (action.command, *action.args)
    if any(_SEPARATOR in part for part in parts) or not action.command:
        raise ValueError(f"action {action.command!r} has an argument it cannot carry")
    body = _SEPARATOR.join(parts)
    data = _tag(key, body) + body
    if len(data.encode()) > limit:
        raise ActionTooLong(
            f"action /{action.command} {' '.join(action.args)} needs "
            f"{len(data.encode())} bytes; the platform allows {limit}"
        )
    return data


def decode_action(data: str, key: bytes) -> Pressed | None:
    """The press ``data`` stands for, or None when the bot did not make it (forged, or
    signed with another token)."""
    if len(data) <= _TAG_CHARS:
        return None
    tag, body = data[:_TAG_CHARS], data[_TAG_CHARS:]
    try:  # a client may send anything: non-ASCII tags, lone surrogates
        expected = _tag(key, body).encode()
        if not hmac.compare_digest(tag.encode(), expected):
            return None
    except UnicodeError:
        return None
    command, *args = body.split(_SEPARATOR)
    return Pressed(command=command, args=tuple(args))
