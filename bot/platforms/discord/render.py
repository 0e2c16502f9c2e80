"""Neutral replies and digests → Discord messages: content plus embeds, within every limit.

One embed per story (clickable title, summary as description, source as author, the
story's picture as thumbnail, the other outlets' versions of the story as an "Also" field
of masked links), at most
10 embeds and 6000 embed characters per message, content at most 2000 characters; a digest
is split between stories, never inside one. Feed text is markdown-escaped so a title cannot
format, link or hide anything, and mentions are neutralised by the adapter
(``allowed_mentions`` none). ``render_plain`` is the fallback for channels where the bot may
not embed links. ``attach_actions`` puts a reply's actions (buttons, choice lists) under its
last message as Discord components. Pure: this module does not import discord.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.i18n import _, in_reply_language
from bot.models import LAYOUT_COMPACT, Action, ActionRow, ActionStyle, Digest, DigestItem
from bot.platforms.callbacks import DISCORD_LIMIT, ActionTooLong, encode_action
from bot.platforms.chunking import pack, safe_href, shorten, take_within
from bot.platforms.wording import ALSO_FIELD_NAME, ALSO_LABEL, error_head, more_links, more_stories
from handlers.model import Reply, ReplyKind

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
AUTHOR_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
# The "also" links of a story reported by several outlets: an embed field, or a line of text.
ALSO_PLAIN_BUDGET = 600
MAX_ALSO_SOURCE = 100
# What a story's description is trimmed to: a digest is for skimming.
SUMMARY_LIMIT = 1000
DIGEST_COLOUR = 0x2F80ED
# Components: at most 5 rows per message, 5 buttons per row, 25 options per select menu
# (a menu fills a row); labels and placeholders have limits of their own.
ROWS_PER_MESSAGE = 5
BUTTONS_PER_ROW = 5
OPTIONS_PER_MENU = 25
BUTTON_LABEL_LIMIT = 80
OPTION_LABEL_LIMIT = 100
PLACEHOLDER_LIMIT = 150
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
PRIMARY, SECONDARY, DANGER = 1, 2, 4
BUTTON_STYLES = {ActionStyle.PRIMARY: PRIMARY, ActionStyle.DANGER: DANGER}
#: custom_id of a select menu; the action is in the value of the option picked.
MENU_ID_PREFIX = "menu:"

log = logging.getLogger(__name__)
_MARKDOWN = re.compile(r"([\\*_~`|\[\]()<])")
_LINE_START = re.compile(r"^(\s*)([#>-])", re.MULTILINE)
_URL = re.compile(r"https?://[^\s<>]+")


def escape_markdown(text: str) -> str:
    """Backslash-escape Discord markdown so feed text shows literally; URLs stay clickable."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(_escape_plain(text[position : match.start()]))
        parts.append(match.group())
        position = match.end()
    parts.append(_escape_plain(text[position:]))
    return "".join(parts)


def _escape_plain(text: str) -> str:
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message: content and embeds as Discord's JSON shapes (dicts)."""

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)


def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000-per-message embed total."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("author", {}).get("name", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    for item in embed.get("fields", []):
        total += len(item.get("name", "")) + len(item.get("value", ""))
    return total


def story_embed(item: DigestItem) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": shorten(item.title, TITLE_LIMIT),  # embed titles show markdown literally
        "author": {"name": shorten(item.source, AUTHOR_LIMIT)},
        "color": DIGEST_COLOUR,
    }
    href = safe_href(item.link)
    if href and len(href) <= 2048:
        embed["url"] = href
    summary = " ".join(item.summary)
    if summary:
        description = escape_markdown(shorten(summary, SUMMARY_LIMIT))
        embed["description"] = shorten(description, DESCRIPTION_LIMIT)
    if item.published:
        embed["timestamp"] = item.published.isoformat()
    image = safe_href(item.image)
    if image and len(image) <= 2048:  # Discord fetches it (through its media proxy)
        embed["thumbnail"] = {"url": image}
    also = _also_links(item, FIELD_VALUE_LIMIT)
    if also:
        embed["fields"] = [{"name": _(ALSO_FIELD_NAME), "value": also, "inline": False}]
    return embed


def without_thumbnails(message: DiscordMessage) -> DiscordMessage:
    """The message with its stories' pictures left out: what is sent again when Discord
    refuses one of them, so the digest still arrives."""
    embeds = [{k: v for k, v in embed.items() if k != "thumbnail"} for embed in message.embeds]
    return replace(message, embeds=embeds)  # its buttons stay


def has_thumbnails(message: DiscordMessage) -> bool:
    return any("thumbnail" in embed for embed in message.embeds)


def _also_links(item: DigestItem, budget: int) -> str:
    """The other outlets' versions as masked links, "B · C", within ``budget`` characters.

    Names are markdown-escaped and link targets percent-encoded, so a feed cannot break out
    of a link; a link too long to fit is dropped and the outlet named plainly.
    """
    parts = []
    for also in item.also:
        name = escape_markdown(shorten(also.source, MAX_ALSO_SOURCE))
        href = safe_href(also.link)
        link = f"[{name}]({_masked_link_target(href)})" if href else ""
        parts.append(link if link and len(link) <= budget // 2 else name)
    shown, left = take_within(parts, budget - len(" and 999 more"), " · ")
    return " · ".join(shown) + more_links(left)


def _text_chunks(reply: Reply, limit: int = CONTENT_LIMIT) -> list[str]:
    head = error_head(reply.text) if reply.kind is ReplyKind.ERROR else reply.text
    lines = [escape_markdown(shorten(line, limit)) for line in (head, *reply.lines)]
    lines = [shorten(line, limit) for line in lines]
    return ["\n".join(group) for group in pack(lines, lambda g: len("\n".join(g)) <= limit)]


def _more_line(digest: Digest) -> str:
    return more_stories(digest.more_count)


def _masked_link_target(href: str) -> str:
    """A URL that cannot end a markdown link early: brackets and spaces percent-encoded."""
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), (" ", "%20")):
        href = href.replace(char, code)
    return href


def _compact_story(item: DigestItem) -> str:
    title = escape_markdown(shorten(item.title, 300))
    href = safe_href(item.link)
    if href and len(href) <= 1000:
        return f"• [{title}]({_masked_link_target(href)})"
    return f"• {title}"


@in_reply_language
def render_compact(reply: Reply) -> list[DiscordMessage]:
    """The compact layout: no embeds, each story one line with its title linked.

    Discord may unfurl those links into previews of its own; the adapter suppresses them
    (the SUPPRESS_EMBEDS flag) unless the chat turned previews on.
    """
    lines = _text_chunks(reply)
    digest = reply.digest
    if digest is not None:
        for section in digest.sections:
            lines.append(f"**{escape_markdown(shorten(section.source, 200))}**")
            lines += [_compact_story(item) for item in section.items]
        if digest.more_count:
            lines.append(_more_line(digest))
    groups = pack(lines, lambda g: len("\n".join(g)) <= CONTENT_LIMIT)
    return [DiscordMessage(content="\n".join(group)) for group in groups]


@in_reply_language
def render_reply(reply: Reply) -> list[DiscordMessage]:
    """Text first (its last chunk carries the first embeds), then the digest's embeds."""
    chunks = _text_chunks(reply)
    if reply.digest is None:
        return [DiscordMessage(content=chunk) for chunk in chunks]
    if reply.digest.layout == LAYOUT_COMPACT:
        return render_compact(reply)
    embeds = [story_embed(item) for item in reply.digest.items]
    groups = pack(
        embeds,
        lambda g: len(g) <= EMBEDS_PER_MESSAGE and sum(map(embed_length, g)) <= EMBED_TOTAL_LIMIT,
    )
    messages = [DiscordMessage(content=chunk) for chunk in chunks[:-1]]
    last_text = chunks[-1] if chunks else ""
    if reply.digest.more_count:
        more = _more_line(reply.digest)
        last_text = (
            f"{last_text}\n{more}" if len(last_text) + len(more) < CONTENT_LIMIT else last_text
        )
    for index, group in enumerate(groups or [[]]):
        messages.append(DiscordMessage(content=last_text if index == 0 else "", embeds=group))
    return messages


@in_reply_language
def render_plain(reply: Reply) -> list[DiscordMessage]:
    """No embeds: text and stories as plain content messages (link previews suppressed)."""
    if reply.digest is not None and reply.digest.layout == LAYOUT_COMPACT:
        return render_compact(reply)  # it has no embeds to begin with
    lines = [escape_markdown(shorten(line, CONTENT_LIMIT)) for line in (reply.text, *reply.lines)]
    if reply.digest is not None:
        for item in reply.digest.items:
            story = f"**{escape_markdown(shorten(item.title, 300))}**"
            href = safe_href(item.link)
            if href:
                story += f"\n<{href}>"
            summary = " ".join(item.summary)
            if summary:
                story += "\n" + escape_markdown(shorten(summary, 600))
            story = shorten(story, CONTENT_LIMIT)
            also = _also_links(item, ALSO_PLAIN_BUDGET)
            also_line = f"\n{_(ALSO_LABEL)} {also}"
            if also and len(story) + len(also_line) <= CONTENT_LIMIT:
                story += also_line
            lines.append(story)
        if reply.digest.more_count:
            lines.append(_more_line(reply.digest))
    groups = pack(lines, lambda g: len("\n\n".join(g)) <= CONTENT_LIMIT)
    return [DiscordMessage(content="\n\n".join(group)) for group in groups]


def attach_actions(
    messages: list[DiscordMessage], actions: tuple[ActionRow, ...], key: bytes
) -> list[DiscordMessage]:
    """``messages`` with the actions as components under the last one (none: unchanged).

    A button's custom_id, or a menu option's value, is the signed action
    (bot.platforms.callbacks), so a press is understood from what Discord sends back alone,
    by any process and after any restart. Rows of more than 5 buttons continue on the
    next row; what does not fit Discord's 5 rows or 25 options is left out (and logged),
    as is an action too long to encode: a reply is never refused for its buttons.
    """
    components = render_components(actions, key)
    if not components or not messages:
        return messages
    return [*messages[:-1], replace(messages[-1], components=components)]


def render_components(actions: tuple[ActionRow, ...], key: bytes) -> list[dict[str, Any]]:
    """Action rows as Discord's component JSON: button rows and string select menus."""
    rows: list[dict[str, Any]] = []
    used: set[str] = set()  # custom_ids and option values must be unique in a message
    for row in actions:
        fitting: list[tuple[Action, str]] = []
        for action in row.actions:
            data = _encoded(action, key)
            if data and data not in used:
                used.add(data)
                fitting.append((action, data))
        if row.placeholder is not None:
            if fitting:
                rows.append(_menu(row.placeholder, fitting, len(rows)))
            continue
        for start in range(0, len(fitting), BUTTONS_PER_ROW):
            buttons = [_button(action, data) for action, data in fitting[start:][:BUTTONS_PER_ROW]]
            rows.append({"type": ACTION_ROW, "components": buttons})
    if len(rows) > ROWS_PER_MESSAGE:
        log.warning("discord: %d rows of actions, showing %d", len(rows), ROWS_PER_MESSAGE)
    return rows[:ROWS_PER_MESSAGE]


def _encoded(action: Action, key: bytes) -> str | None:
    try:
        return encode_action(action, key, limit=DISCORD_LIMIT)
    except (ActionTooLong, ValueError) as exc:
        log.warning("discord: action left out: %s", exc)
        return None


def _button(action: Action, custom_id: str) -> dict[str, Any]:
    return {
        "type": BUTTON,
        "style": BUTTON_STYLES.get(action.style, SECONDARY),
        "label": shorten(action.label, BUTTON_LABEL_LIMIT) or "·",
        "custom_id": custom_id,
    }


def _menu(placeholder: str, actions: list[tuple[Action, str]], index: int) -> dict[str, Any]:
    if len(actions) > OPTIONS_PER_MENU:
        log.warning("discord: %d choices in a menu, showing %d", len(actions), OPTIONS_PER_MENU)
    options = [
        {"label": shorten(action.label, OPTION_LABEL_LIMIT) or "·", "value": data}
        for action, data in actions[:OPTIONS_PER_MENU]
    ]
    menu: dict[str, Any] = {
        "type": STRING_SELECT,
        "custom_id": f"{MENU_ID_PREFIX}{index}",
        "options": options,
        "min_values": 1,
        "max_values": 1,
    }
    if placeholder:
        menu["placeholder"] = shorten(placeholder, PLACEHOLDER_LIMIT)
    return {"type": ACTION_ROW, "components": [menu]}
