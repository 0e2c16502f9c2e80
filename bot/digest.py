"""The digest composer: a chat's unseen articles → one neutral `Digest`.

Why separate from delivery: the same Digest is rendered as Telegram HTML, Discord embeds or
console text, and stored in the outbox as JSON; composing knows nothing of any of those.
It marks only what it showed as seen, so stories cut by the cap lead the next digest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.models import Chat, Digest, DigestItem, DigestSection, StoredArticle
from bot.store.repository import Store

DEFAULT_TITLE = "Your news digest"


def digest_headline(count: int) -> str:
    """The line that announces a digest: "1 new story." / "5 new stories."."""
    return f"{count} new {'story' if count == 1 else 'stories'}."


def build_digest(
    articles: Sequence[StoredArticle], *, title: str = DEFAULT_TITLE, more_count: int = 0
) -> Digest:
    """Group articles by source; sources ordered by their newest story, stories newest first."""
    sections: dict[str, list[DigestItem]] = {}
    for article in articles:
        sections.setdefault(article.source, []).append(
            DigestItem(
                title=article.title,
                link=article.link,
                source=article.source,
                published=article.published,
                summary=list(article.summary),
            )
        )
    return Digest(
        title=title,
        sections=[DigestSection(source=name, items=items) for name, items in sections.items()],
        more_count=more_count,
    )


class DigestComposer:
    """Builds a chat's next digest from the store and records what it showed."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime], max_items: int) -> None:
        self.store = store
        self.clock = clock
        self.max_items = max_items

    async def prepare(
        self, chat: Chat, *, max_items: int | None = None, title: str = DEFAULT_TITLE
    ) -> tuple[Digest, list[int]] | None:
        """The next digest and the ids of the stories in it, without marking anything.

        The scheduler commits both together with the outbox row (Store.commit_digest).
        """
        unseen = await self.store.unseen_articles(chat.pk)
        if not unseen:
            return None
        shown = unseen[: max_items or self.max_items]
        digest = build_digest(shown, title=title, more_count=len(unseen) - len(shown))
        return digest, [article.id for article in shown]

    async def compose(
        self, chat: Chat, *, max_items: int | None = None, title: str = DEFAULT_TITLE
    ) -> Digest | None:
        """The next digest for a chat, marked as seen; None when nothing new arrived."""
        prepared = await self.prepare(chat, max_items=max_items, title=title)
        if prepared is None:
            return None
        digest, article_ids = prepared
        await self.store.mark_seen(chat.pk, article_ids, now=self.clock())
        return digest


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """JSON-safe form, for the outbox: a stored digest must render the same after a restart."""
    return {
        "title": digest.title,
        "more_count": digest.more_count,
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
                    }
                    for item in section.items
                ],
            }
            for section in digest.sections
        ],
    }


def digest_from_dict(data: dict[str, Any]) -> Digest:
    return Digest(
        title=data["title"],
        more_count=int(data.get("more_count", 0)),
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
                    )
                    for item in section["items"]
                ],
            )
            for section in data["sections"]
        ],
    )
