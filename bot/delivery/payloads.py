"""The outbox payload: a reply (text, lines, digest, delivery options) as JSON and back.

Why its own module: a composed digest is written to the database before it is sent, and
must render the same after a restart or an upgrade. Rows written by older versions lack
later fields (layouts, "also" links, delivery options, pictures, actions, the language), so
reading fills in what a row from before them meant. ``PAYLOAD_VERSION`` is written into every
new row so a future change of shape can tell the generations apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.models import (
    LAYOUT_FULL,
    Action,
    ActionRow,
    ActionStyle,
    AlsoLink,
    Digest,
    DigestItem,
    DigestSection,
    Reply,
    ReplyKind,
)

PAYLOAD_VERSION = 1


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """JSON-safe form of a reply (text, lines, digest, delivery options) for the outbox."""
    return {
        "version": PAYLOAD_VERSION,
        "text": reply.text,
        "kind": reply.kind.value,
        "lines": list(reply.lines),
        "digest": digest_to_dict(reply.digest) if reply.digest is not None else None,
        "silent": reply.silent,
        "previews": reply.previews,
        "actions": [actions_to_dict(row) for row in reply.actions],
        "locale": reply.locale,
    }


def payload_to_reply(payload: Mapping[str, Any]) -> Reply:
    digest = payload.get("digest")
    return Reply(
        text=str(payload.get("text", "")),
        kind=ReplyKind(payload.get("kind", ReplyKind.INFO.value)),
        lines=tuple(payload.get("lines", ())),
        digest=digest_from_dict(digest) if digest else None,
        silent=bool(payload.get("silent", False)),  # absent in rows from older versions
        previews=bool(payload.get("previews", False)),
        actions=tuple(actions_from_dict(row) for row in payload.get("actions") or ()),
        locale=_locale(payload.get("locale")),  # absent before translations: English
    )


def actions_to_dict(row: ActionRow) -> dict[str, Any]:
    """A row of buttons (or a choice list) as JSON: a digest's "Show more" must survive
    the outbox."""
    return {
        "placeholder": row.placeholder,
        "actions": [
            {
                "label": action.label,
                "command": action.command,
                "args": list(action.args),
                "style": action.style.value,
            }
            for action in row.actions
        ],
    }


def actions_from_dict(data: Mapping[str, Any]) -> ActionRow:
    return ActionRow(
        actions=tuple(
            Action(
                label=str(action["label"]),
                command=str(action["command"]),
                args=tuple(str(arg) for arg in action.get("args", ())),
                style=ActionStyle(action.get("style", ActionStyle.NORMAL.value)),
            )
            for action in data.get("actions", ())
        ),
        placeholder=data.get("placeholder"),
    )


def _locale(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """JSON-safe form, for the outbox: a stored digest must render the same after a restart."""
    return {
        "title": digest.title,
        "more_count": digest.more_count,
        "layout": digest.layout,
        "notes": list(digest.notes),
        "sections": [
            {
                "source": section.source,
                "items": [
                    {
                        "title": item.title,
                        "link": item.link,
                        "source": item.source,
                        "published": item.published.isoformat() if item.published else None,
                        "summary": list(item.summary),
                        "also": [{"source": a.source, "link": a.link} for a in item.also],
                        "image": item.image,
                    }
                    for item in section.items
                ],
            }
            for section in digest.sections
        ],
    }


def _image(value: object) -> str | None:
    """A stored item's picture; anything but an http(s) address (a hand-edited or damaged
    row) is no picture rather than a failed delivery."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    return None


def digest_from_dict(data: dict[str, Any]) -> Digest:
    return Digest(
        title=data["title"],
        more_count=int(data.get("more_count", 0)),
        layout=str(data.get("layout") or LAYOUT_FULL),  # payloads from before layouts
        notes=tuple(data.get("notes", ())),
        sections=[
            DigestSection(
                source=section["source"],
                items=[
                    DigestItem(
                        title=item["title"],
                        link=item.get("link"),
                        source=item["source"],
                        published=(
                            datetime.fromisoformat(item["published"])
                            if item.get("published")
                            else None
                        ),
                        summary=list(item.get("summary", [])),
                        also=[  # payloads from before same-story grouping have none
                            AlsoLink(source=a["source"], link=a.get("link"))
                            for a in item.get("also", [])
                        ],
                        image=_image(item.get("image")),  # absent before pictures
                    )
                    for item in section["items"]
                ],
            )
            for section in data["sections"]
        ],
    )
