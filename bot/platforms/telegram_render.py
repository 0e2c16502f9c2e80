"""Neutral replies and digests → Telegram HTML messages of at most 4096 characters.

Every piece of text that came from a feed (titles, sources, summaries, links) is escaped:
feeds carry `<`, `&`, quotes and broken tags, and Telegram rejects a message whose HTML it
cannot parse. Each message also has a plain-text twin, sent if Telegram still rejects the
markup, so a digest is never lost to a formatting problem. This module does not import
the telegram library: it is pure and tested on its own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.models import Digest, DigestItem
from bot.platforms.chunking import pack, safe_href, shorten
from handlers.model import Reply, ReplyKind

MESSAGE_LIMIT = 4096
SEPARATOR = "\n\n"
# Bounds that keep one story's head well inside a message even after HTML escaping.
MAX_TITLE = 300
MAX_LINK = 2000


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One message to send: HTML, with the plain text to fall back on."""

    html: str
    plain: str


@dataclass(frozen=True, slots=True)
class _Block:
    html: str
    plain: str


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _item_block(item: DigestItem, limit: int) -> _Block:
    """One story; its summary is shortened (never cut inside markup) until the block fits."""
    title = shorten(item.title, MAX_TITLE)
    href = safe_href(item.link)
    if href and len(href) > MAX_LINK:
        href = None
    title_html = escape(title)
    if href:
        title_html = f'<a href="{html.escape(href, quote=True)}">{title_html}</a>'
    head_html = f"• {title_html}"
    head_plain = f"• {title}" + (f"\n{href}" if href else "")
    summary = shorten(" ".join(item.summary), max(limit - len(head_html) - 1, 0))
    while True:
        block = _Block(
            html=head_html + (f"\n{escape(summary)}" if summary else ""),
            plain=head_plain + (f"\n{summary}" if summary else ""),
        )
        if _fits([block], limit, "") or not summary:
            return block
        summary = shorten(summary, max(len(summary) - 64, 0))


def _blocks_for_digest(digest: Digest, limit: int) -> list[_Block]:
    blocks = [_Block(html=f"<b>{escape(digest.title)}</b>", plain=digest.title)]
    for section in digest.sections:
        source = shorten(section.source, 200)
        blocks.append(_Block(html=f"<b>{escape(source)}</b>", plain=f"— {source} —"))
        blocks += [_item_block(item, limit) for item in section.items]
    if digest.more_count:
        note = f"… and {digest.more_count} more: send /digest to see them."
        blocks.append(_Block(html=f"<i>{escape(note)}</i>", plain=note))
    return blocks


def _blocks_for_text(reply: Reply, limit: int) -> list[_Block]:
    head = reply.text
    if reply.kind is ReplyKind.ERROR:
        head = f"⚠️ {head}"
    lines = [head, *reply.lines]
    blocks = []
    for line in lines:
        line = shorten(line, limit // 2)
        blocks.append(_Block(html=escape(line), plain=line))
    return blocks


def _fits(group: list[_Block], limit: int, separator: str) -> bool:
    """Both the HTML and the plain form of a message must fit."""
    return (
        len(separator.join(b.html for b in group)) <= limit
        and len(separator.join(b.plain for b in group)) <= limit
    )


def _pack(blocks: list[_Block], limit: int, separator: str) -> list[TelegramMessage]:
    groups = pack(blocks, lambda group: _fits(group, limit, separator))
    return [
        TelegramMessage(
            html=separator.join(b.html for b in group),
            plain=separator.join(b.plain for b in group),
        )
        for group in groups
    ]


def render_reply(reply: Reply, *, limit: int = MESSAGE_LIMIT) -> list[TelegramMessage]:
    """All messages for a reply: its text, then its digest, packed together within the limit.

    A short digest and its one-line announcement share one message: every message counts
    against Telegram's per-chat and overall rate limits.
    """
    text_blocks = [
        _Block(html="\n".join(b.html for b in group), plain="\n".join(b.plain for b in group))
        for group in pack(_blocks_for_text(reply, limit), lambda g: _fits(g, limit, "\n"))
    ]
    if reply.digest is None:
        return _pack(text_blocks, limit, SEPARATOR)
    return _pack(text_blocks + _blocks_for_digest(reply.digest, limit), limit, SEPARATOR)


def render_digest(digest: Digest, *, limit: int = MESSAGE_LIMIT) -> list[TelegramMessage]:
    return _pack(_blocks_for_digest(digest, limit), limit, SEPARATOR)
