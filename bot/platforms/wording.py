"""The words a reader sees around a digest, the same on every platform.

Renderers differ in markup (Telegram HTML, Discord markdown and embeds, plain text), not
in what they say: the line announcing stories left for the next digest, the label of
other outlets' versions of a story, and how an error is marked are defined here once.
The words are in the reply's language (renderers run under bot.i18n.in_reply_language);
the labels are constants marked with ``N_``, so a renderer shows them with ``_(LABEL)``.
"""

from __future__ import annotations

from bot.i18n import N_, _, ngettext

#: Marks an error reply where the platform shows emoji (chat apps).
ERROR_MARK = "⚠️"
#: Marks an error reply in plain text (the terminal).
PLAIN_ERROR_PREFIX = N_("Error:")
#: Introduces the other outlets that reported the same story.
ALSO_LABEL = N_("also:")
#: The Discord embed field holding those outlets.
ALSO_FIELD_NAME = N_("Also")


def error_head(text: str, *, plain: bool = False) -> str:
    """An error reply's first line."""
    return f"{_(PLAIN_ERROR_PREFIX)} {text}" if plain else f"{ERROR_MARK} {text}"


def more_stories(count: int) -> str:
    """The closing line of a capped digest: the rest leads the next one."""
    return ngettext(
        "… and {count} more: send /digest to see it.",
        "… and {count} more: send /digest to see them.",
        count,
    ).format(count=count)


def more_links(left: int) -> str:
    """Appended to a shortened list of links: how many did not fit ('' when none)."""
    return _(" and {count} more").format(count=left) if left else ""
