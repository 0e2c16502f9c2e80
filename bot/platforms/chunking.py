"""Rendering helpers every platform shares: message packing, shortening, safe links.

Why one place: every platform has a message size limit (Telegram 4096 characters, Discord
2000 for content and 6000 per embed set) and every digest must be cut between stories,
never inside one, never inside a markup tag. Adapters render blocks that each fit on their
own; `pack` groups consecutive blocks into as few messages as possible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

Block = TypeVar("Block")


class BlockTooLargeError(ValueError):
    """A single block exceeds the limit: the renderer must shorten it before packing."""


def pack(blocks: Sequence[Block], fits: Callable[[list[Block]], bool]) -> list[list[Block]]:
    """Greedily group consecutive blocks; ``fits`` says whether a group makes one message."""
    groups: list[list[Block]] = []
    current: list[Block] = []
    for block in blocks:
        if not fits([block]):
            raise BlockTooLargeError(f"a block does not fit in one message: {block!r:.80}")
        if current and not fits([*current, block]):
            groups.append(current)
            current = []
        current.append(block)
    if current:
        groups.append(current)
    return groups


def shorten(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Cut plain text to ``limit`` characters at a word boundary, marking the cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[: max(limit, 0)]
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def safe_href(url: str | None) -> str | None:
    """Only http(s) links become anchors; anything else would be refused or unsafe."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in {"http", "https"} else None


def take_within(parts: Sequence[str], budget: int, separator: str) -> tuple[list[str], int]:
    """The leading ``parts`` whose join stays within ``budget``, and how many were left out.

    For lists a story carries, such as its "also" links: a long list must not push the story
    past a message limit, so the renderer shows what fits and counts the rest.
    """
    taken: list[str] = []
    length = 0
    for part in parts:
        extra = len(part) + (len(separator) if taken else 0)
        if length + extra > budget:
            break
        taken.append(part)
        length += extra
    return taken, len(parts) - len(taken)
