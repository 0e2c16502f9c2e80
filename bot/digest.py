"""The digest composer: a chat's unseen articles → one neutral `Digest`.

Why separate from delivery: the same Digest is rendered as Telegram HTML, Discord embeds or
console text, and stored in the outbox as JSON; composing knows nothing of any of those.
It marks only what it showed as seen, so stories cut by the cap lead the next digest. A
story several feeds reported is one entry with "also" links (bot.stories); the cap counts
such stories, and every version of a shown story is marked seen with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.chat_settings import ChatSettings
from bot.filters import ArticleFilter
from bot.models import (
    LAYOUT_COMPACT,
    LAYOUT_FULL,
    AlsoLink,
    Chat,
    Digest,
    DigestItem,
    DigestSection,
    StoredArticle,
)
from bot.news.summarise import DEFAULT_ALGORITHM, DEFAULT_SENTENCES, Summariser
from bot.pause import has_backlog, resumed_at, skipped_note, trim_backlog
from bot.store.repository import Store
from bot.stories import (
    MAX_CANDIDATES,
    Story,
    also_links,
    group_stories,
    newest_stories,
    regroup,
    split_newest,
)

DEFAULT_TITLE = "Your news digest"


def digest_headline(count: int) -> str:
    """The line that announces a digest: "1 new story." / "5 new stories."."""
    return f"{count} new {'story' if count == 1 else 'stories'}."


def build_digest(
    articles: Sequence[StoredArticle], *, title: str = DEFAULT_TITLE, more_count: int = 0
) -> Digest:
    """One entry per story: articles reporting the same event are grouped (bot.stories)."""
    return stories_digest(group_stories(articles), title=title, more_count=more_count)


def stories_digest(
    stories: Sequence[Story], *, title: str = DEFAULT_TITLE, more_count: int = 0
) -> Digest:
    """Group stories by their shown version's source; sources ordered by their newest story,
    stories newest first; each entry lists the other outlets' versions as "also" links."""
    sections: dict[str, list[DigestItem]] = {}
    for story in stories:
        article = story.best
        sections.setdefault(article.source, []).append(
            DigestItem(
                title=article.title,
                link=article.link,
                source=article.source,
                published=article.published,
                summary=list(article.summary),
                also=also_links(story),
            )
        )
    return Digest(
        title=title,
        sections=[DigestSection(source=name, items=items) for name, items in sections.items()],
        more_count=more_count,
    )


class DigestComposer:
    """Builds a chat's next digest from the store and records what it showed."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime],
        max_items: int,
        defaults: ChatSettings | None = None,
        summariser: Summariser | None = None,
    ) -> None:
        """``defaults`` are the operator's chat settings; summaries stored at ingest were
        made with its algorithm and length, so only chats that chose otherwise re-summarise.
        """
        self.store = store
        self.clock = clock
        self.max_items = max_items
        self.defaults = defaults or ChatSettings(
            sentences=DEFAULT_SENTENCES,
            items=max_items,
            layout=LAYOUT_FULL,
            previews=False,
            silent=False,
            algorithm=DEFAULT_ALGORITHM,
        )
        self.summariser = summariser or Summariser()

    def settings_for(self, chat: Chat) -> ChatSettings:
        """The chat's effective digest settings (its choices over the operator's)."""
        return ChatSettings.from_json(chat.settings, self.defaults)

    async def _summarised_for(
        self, articles: Sequence[StoredArticle], prefs: ChatSettings
    ) -> list[StoredArticle]:
        """The articles with summaries in the chat's algorithm and length.

        Stored summaries are used as they are when the chat kept the operator's choice (or
        shows no summaries at all); otherwise each text is summarised again, in a worker
        thread because summarising is CPU work that must not stall the event loop.
        """
        same = (prefs.algorithm, prefs.sentences) == (
            self.defaults.algorithm,
            self.defaults.sentences,
        )
        if same or prefs.layout == LAYOUT_COMPACT or not articles:
            return list(articles)
        return await asyncio.to_thread(self._resummarise, list(articles), prefs)

    def _resummarise(
        self, articles: list[StoredArticle], prefs: ChatSettings
    ) -> list[StoredArticle]:
        return [
            replace(
                article,
                summary=self.summariser.summarise(
                    article.text,
                    title=article.title,
                    sentences=prefs.sentences,
                    algorithm=prefs.algorithm,
                    language=article.language,
                ),
            )
            if article.text.strip()
            else article
            for article in articles
        ]

    async def prepare(
        self, chat: Chat, *, max_items: int | None = None, title: str = DEFAULT_TITLE
    ) -> tuple[Digest, list[int]] | None:
        """The next digest and the ids it marks seen, without marking anything.

        The ids are the stories shown plus those left out for good (hidden by the chat's
        filters, skipped after a pause): the scheduler commits them together with the
        outbox row (Store.commit_digest). When every unseen story was left out there is
        no digest, and those are marked seen here so they do not pile up.
        """
        unseen = await self.store.unseen_articles(chat.pk)
        if not unseen:
            return None
        prefs = self.settings_for(chat)
        limit = max_items or prefs.items
        stories, dropped, notes = await self._screen(chat, unseen, limit)
        if not stories:
            await self.store.mark_seen(chat.pk, dropped, now=self.clock())
            return None
        # The cap counts stories: a story's duplicates are shown as its "also" links and
        # marked seen with it (bot.stories).
        stories, more_count = split_newest(stories, limit, unseen)
        shown = [article for story in stories for article in story.articles]
        shown = await self._summarised_for(shown, prefs)
        digest = stories_digest(regroup(stories, shown), title=title, more_count=more_count)
        digest = replace(digest, layout=prefs.layout, notes=notes)
        return digest, [article.id for article in shown] + dropped

    async def _screen(
        self, chat: Chat, unseen: list[StoredArticle], cap: int
    ) -> tuple[list[Story], list[int], tuple[str, ...]]:
        """(wanted stories newest first, ids left out for good, notes): the chat's filters,
        the grouping into stories, then the capped catch-up after /resume, which counts
        stories (bot.pause). Matching and grouping run in worker threads: user regexes may
        take up to their timeout (``regex`` releases the GIL while matching), and grouping
        is CPU work that must not stall the event loop.
        """
        dropped: list[int] = []
        rules = await self.store.list_filters(chat.pk)
        if rules:
            article_filter = ArticleFilter(rules)
            unseen, hidden = await asyncio.to_thread(article_filter.split, unseen)
            dropped += [article.id for article in hidden]
        if not unseen:
            return [], dropped, ()
        resumed = resumed_at(chat)
        # Skipping is for good, so a catch-up compares all the articles it can afford: an
        # older outlet's version of a shown story must not be counted as a skipped story.
        window = MAX_CANDIDATES if has_backlog(unseen, resumed) else None
        stories = await asyncio.to_thread(newest_stories, unseen, cap, window=window)
        stories, skipped = trim_backlog(stories, resumed, cap)
        dropped += [article.id for story in skipped for article in story.articles]
        notes = (skipped_note(len(skipped)),) if skipped else ()
        return stories, dropped, notes

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
                    )
                    for item in section["items"]
                ],
            )
            for section in data["sections"]
        ],
    )
