"""Neutral replies and digests → Telegram HTML messages of at most 4096 characters.

Every piece of text that came from a feed (titles, sources, summaries, links) is escaped:
feeds carry `<`, `&`, quotes and broken tags, and Telegram rejects a message whose HTML it
cannot parse. Each message also has a plain-text twin, sent if Telegram still rejects the
markup, so a digest is never lost to a formatting problem. This module does not import
the telegram library: it is pure and tested on its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import _, in_reply_language
from bot.models import LAYOUT_COMPACT, Action, ActionRow, Digest, DigestItem
from bot.platforms.chunking import pack, safe_href, shorten, take_within
from bot.platforms.wording import ALSO_LABEL, error_head, more_links, more_stories
from handlers.model import Reply, ReplyKind

MESSAGE_LIMIT = 4096
SEPARATOR = "\n\n"
# Bounds that keep one story's head well inside a message even after HTML escaping.
MAX_TITLE = 300
MAX_LINK = 2000
# The "also:" line of a story reported by several outlets: what it may take of a message.
ALSO_BUDGET = 1200
MAX_ALSO_SOURCE = 100


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


def _item_block(item: DigestItem, limit: int, *, with_summary: bool = True) -> _Block:
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
    summary = " ".join(item.summary) if with_summary else ""
    also_html, also_plain = _also_line(item) if with_summary else ("", "")
    summary = shorten(summary, max(limit - len(head_html) - len(also_html) - 2, 0))
    while True:
        block = _Block(
            html=head_html + (f"\n{escape(summary)}" if summary else "") + also_html,
            plain=head_plain + (f"\n{summary}" if summary else "") + also_plain,
        )
        if _fits([block], limit, "") or not (summary or also_html):
            return block
        if summary:
            summary = shorten(summary, max(len(summary) - 64, 0))
        else:  # the head alone nearly fills a message: the "also" line goes first
            also_html = also_plain = ""


def _also_line(item: DigestItem) -> tuple[str, str]:
    """'also: B, C' (each name linked to that outlet's version), as HTML and as plain text.

    Starts with a newline; empty when no other outlet reported the story.
    """
    html_parts: list[str] = []
    plain_parts: list[str] = []
    for also in item.also:
        name = shorten(also.source, MAX_ALSO_SOURCE)
        href = safe_href(also.link)
        anchor = f'<a href="{html.escape(href, quote=True)}">{escape(name)}</a>' if href else ""
        if href and len(anchor) <= ALSO_BUDGET // 2:  # a huge link is named, not linked
            html_parts.append(anchor)
            plain_parts.append(f"{name} ({href})")
        else:
            html_parts.append(escape(name))
            plain_parts.append(name)
    if not html_parts:
        return "", ""
    shown, left = take_within(html_parts, ALSO_BUDGET, ", ")
    more = more_links(left)
    return (
        f"\n{_(ALSO_LABEL)} {', '.join(shown)}{more}",
        f"\n{_(ALSO_LABEL)} {', '.join(plain_parts[: len(shown)])}{more}",
    )


def _blocks_for_digest(digest: Digest, limit: int) -> list[_Block]:
    blocks = [_Block(html=f"<b>{escape(digest.title)}</b>", plain=digest.title)]
    for section in digest.sections:
        source = shorten(section.source, 200)
        header = _Block(html=f"<b>{escape(source)}</b>", plain=f"— {source} —")
        if digest.layout == LAYOUT_COMPACT:
            blocks += _compact_blocks(header, section.items, limit)
        else:
            blocks.append(header)
            blocks += [_item_block(item, limit) for item in section.items]
    if digest.more_count:
        note = more_stories(digest.more_count)
        blocks.append(_Block(html=f"<i>{escape(note)}</i>", plain=note))
    return blocks


def _compact_blocks(header: _Block, items: list[DigestItem], limit: int) -> list[_Block]:
    """The source, then linked titles one per line, joined into blocks that fit a message."""
    lines = [header] + [_item_block(item, limit, with_summary=False) for item in items]
    return [_joined(group, "\n") for group in pack(lines, lambda g: _fits(g, limit, "\n"))]


def _joined(group: list[_Block], separator: str) -> _Block:
    return _Block(
        html=separator.join(b.html for b in group), plain=separator.join(b.plain for b in group)
    )


def _blocks_for_text(reply: Reply, limit: int) -> list[_Block]:
    head = error_head(reply.text) if reply.kind is ReplyKind.ERROR else reply.text
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


@in_reply_language
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


def lead_image(reply: Reply) -> str | None:
    """The picture of a digest's lead story, shown as the first message's link preview
    (None when the lead story has none, or the chat turned images off)."""
    items = reply.digest.items if reply.digest is not None else []
    return safe_href(items[0].image) if items else None


def render_digest(digest: Digest, *, limit: int = MESSAGE_LIMIT) -> list[TelegramMessage]:
    return _pack(_blocks_for_digest(digest, limit), limit, SEPARATOR)


#: Button text: Telegram shows about this much of a label on a phone.
MAX_BUTTON_LABEL = 64


def keyboard_rows(
    rows: tuple[ActionRow, ...], encode: Callable[[Action], str | None]
) -> list[list[tuple[str, str]]]:
    """A reply's actions as rows of inline buttons: (label, callback_data).

    A row of buttons stays one row; a choice list becomes a column, one button per row
    (Telegram has no menu, and a column of full names reads better on a phone than
    squeezed ones). ``encode`` gives the callback_data, or None for an action that cannot
    be carried: that button is left out rather than the whole reply.
    """
    keyboard: list[list[tuple[str, str]]] = []
    for row in rows:
        buttons = []
        for action in row.actions:
            data = encode(action)
            if data is not None:
                buttons.append((shorten(action.label, MAX_BUTTON_LABEL), data))
        if row.placeholder is not None:
            keyboard += [[button] for button in buttons]
        elif buttons:
            keyboard.append(buttons)
    return keyboard
