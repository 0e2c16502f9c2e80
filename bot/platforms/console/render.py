"""Plain-text rendering of replies and digests, for the terminal (pure: no I/O).

Digests read grouped by source, each story with its summary wrapped to the terminal and
its link (and picture's address, "[image] …") on lines of their own; errors are marked so
they stand out.
"""

from __future__ import annotations

import textwrap

from bot.i18n import _, format_moment, in_reply_language, ngettext
from bot.models import LAYOUT_COMPACT, Action, ActionRow, Digest, Reply, ReplyKind
from bot.platforms.chunking import safe_href
from bot.platforms.wording import ALSO_LABEL, error_head, more_stories


def render_digest_text(digest: Digest, *, width: int = 88) -> str:
    """A digest as plain text: grouped by source, each story with its summary and link.

    The compact layout shows each story as one line: its title and link.
    """
    out = [digest.title, "=" * len(digest.title)]
    for section in digest.sections:
        out += ["", f"## {section.source}"]
        for item in section.items:
            if digest.layout == LAYOUT_COMPACT:
                out.append(f"* {item.title}" + (f" — {item.link}" if item.link else ""))
                continue
            when = f" ({format_moment(item.published)} UTC)" if item.published else ""
            out.append(f"* {item.title}{when}")
            summary = " ".join(item.summary)
            if summary:
                out += textwrap.wrap(
                    summary, width=width, initial_indent="  ", subsequent_indent="  "
                )
            if item.link:
                out.append(f"  {item.link}")
            if safe_href(item.image):
                out.append("  " + _("[image] {address}").format(address=item.image))
            for index, also in enumerate(item.also):  # the story as other outlets told it
                label = f"  {_(ALSO_LABEL)} " if index == 0 else " " * (len(_(ALSO_LABEL)) + 3)
                href = safe_href(also.link)
                out.append(label + also.source + (f" — {href}" if href else ""))
    if digest.more_count:
        out += ["", more_stories(digest.more_count)]
    return "\n".join(out)


@in_reply_language
def render_reply_text(reply: Reply) -> str:
    """A reply as plain text; errors are marked so they stand out in a terminal."""
    head = error_head(reply.text, plain=True) if reply.kind is ReplyKind.ERROR else reply.text
    parts = [head, *reply.lines]
    if reply.digest is not None:
        parts += ["", render_digest_text(reply.digest)]
    if reply.document is not None:
        size = len(reply.document.content)
        parts.append(
            ngettext("[file {name}, {size} byte]", "[file {name}, {size} bytes]", size).format(
                name=reply.document.filename, size=size
            )
        )
    return "\n".join(parts)


def numbered_actions(rows: tuple[ActionRow, ...]) -> tuple[list[Action], list[str]]:
    """A reply's actions numbered from 1 (what typing the number runs) and the lines that
    show them: a row of buttons on one line, a choice list under its placeholder."""
    actions: list[Action] = []
    lines: list[str] = []
    for row in rows:
        labels = []
        for action in row.actions:
            actions.append(action)
            labels.append(f"[{len(actions)}] {action.label}")
        if not labels:
            continue
        if row.placeholder:
            lines.append(row.placeholder)
            lines += [f"  {label}" for label in labels]
        else:
            lines.append("  ".join(labels))
    return actions, lines
