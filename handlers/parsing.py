"""Turning a typed line such as ``/subscribe@NewsBot https://…`` into a name and arguments.

Shared by the console and the Telegram adapter (Discord's slash commands arrive already
parsed). ``/cmd@OtherBot`` is addressed to another bot in the same group and is ignored.
"""

from __future__ import annotations


def parse_command_line(
    text: str, *, bot_username: str | None = None
) -> tuple[str, tuple[str, ...]] | None:
    """Return (name, args) for a command line, or None when it is not for this bot."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    name, _, addressee = head[1:].partition("@")
    if not name:
        return None
    if addressee and (bot_username is None or addressee.lower() != bot_username.lower()):
        return None
    return name.lower(), tuple(rest.split())
