"""Making untrusted text storable on every database the bot supports.

Why at the store's door: feed items, HTTP headers and chat commands are written by
strangers, and SQLite and PostgreSQL disagree exactly where a stranger can aim. PostgreSQL
refuses a NUL character in text and enforces ``VARCHAR(n)`` lengths; SQLite accepts both.
Neither driver can encode a lone UTF-16 surrogate (JSON's ``"\\ud800"``) as UTF-8. One bad
value used to fail the insert of a whole poll on PostgreSQL only. Every string that
reaches a column passes through here first, so the same values are stored on both.

Other C0 control characters (except tab, newline and carriage return) go too: they are
legal in the database but mean nothing to a reader, and chat platforms reject some of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
ELLIPSIS = "…"


def clean_text(value: str) -> str:
    """``value`` without the characters a database or a chat platform refuses."""
    return _UNSTORABLE.sub("", value)


def clean_optional(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def clipped(value: str | None, limit: int) -> str | None:
    """Cleaned and cut to ``limit`` characters (with "…"), for display text like titles.

    Empty text becomes None: an empty title or author is no title or author.
    """
    if value is None:
        return None
    value = clean_text(value)
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + ELLIPSIS
    return value or None


def verbatim_or_none(value: str | None, limit: int) -> str | None:
    """Cleaned, or None when longer than ``limit``: for values that are wrong when cut.

    An ETag or a language tag cut in half is a different, false value; storing nothing
    only costs a conditional GET or a language hint.
    """
    if value is None:
        return None
    value = clean_text(value)
    return value if value and len(value) <= limit else None


def clean_json(value: Any) -> Any:
    """A JSON-able structure with every string in it (keys too) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(key)): clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(item) for item in value]
    return value
