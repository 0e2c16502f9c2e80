"""The words a reader sees around a digest, the same on every platform.

Renderers differ in markup (Telegram HTML, Discord markdown and embeds, plain text), not
in what they say: the line announcing stories left for the next digest, the label of
other outlets' versions of a story, and how an error is marked are defined here once.
"""

from __future__ import annotations

#: Marks an error reply where the platform shows emoji (chat apps).
ERROR_MARK = "⚠️"
#: Marks an error reply in plain text (the terminal).
PLAIN_ERROR_PREFIX = "Error:"
#: Introduces the other outlets that reported the same story.
ALSO_LABEL = "also:"
#: The Discord embed field holding those outlets.
ALSO_FIELD_NAME = "Also"


def error_head(text: str, *, plain: bool = False) -> str:
    """An error reply's first line."""
    return f"{PLAIN_ERROR_PREFIX} {text}" if plain else f"{ERROR_MARK} {text}"


def more_stories(count: int) -> str:
    """The closing line of a capped digest: the rest leads the next one."""
    return f"… and {count} more: send /digest to see them."


def more_links(left: int) -> str:
    """Appended to a shortened list of links: how many did not fit ('' when none)."""
    return f" and {left} more" if left else ""
