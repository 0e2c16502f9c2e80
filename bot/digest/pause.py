"""/pause and /resume state, and the capped catch-up after a pause.

Where the state lives: the chat's stored state (bot.chat_state: ``paused_at`` while
paused, ``resumed_at`` after). Why not the ``chats.active`` column: that one belongs to the
platforms (the bot was blocked or removed; it flips back when someone talks to the bot),
and it also stops replies from being delivered. A user's pause must survive that flip and
must not silence /digest, so it is a separate flag; the scheduler reads chat settings
anyway, so no migration is needed.

The catch-up: feeds keep being polled while a chat is paused (other chats share them), so
stories pile up unseen. The first digest after /resume shows at most the chat's cap of
that backlog, newest first; the older ones are marked seen and announced as skipped.
The backlog is counted in stories, not articles (the cap counts stories, bot.digest.stories): an
event five feeds reported is one story of the backlog, and its versions are shown with it
as "also" links, never counted as skipped. So ``trim_backlog`` takes grouped stories.
It is idempotent: once the backlog is within the cap it changes nothing, so no "catch-up
done" flag needs writing together with the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.chat_state import ChatState, pause_changes, resume_changes
from bot.i18n import ngettext
from bot.models import Chat, StoredArticle

if TYPE_CHECKING:  # the handlers import this module; grouping itself is not needed here
    from bot.digest.stories import Story

__all__ = [
    "has_backlog",
    "in_backlog",
    "is_paused",
    "pause_changes",
    "paused_since",
    "resume_changes",
    "resumed_at",
    "skipped_note",
    "trim_backlog",
]


def paused_since(chat: Chat) -> datetime | None:
    """When the chat was paused, or None when its scheduled digests run."""
    return ChatState.of(chat).paused_at


def is_paused(chat: Chat) -> bool:
    return paused_since(chat) is not None


def resumed_at(chat: Chat) -> datetime | None:
    return ChatState.of(chat).resumed_at


def has_backlog(articles: Sequence[StoredArticle], resumed: datetime | None) -> bool:
    """Whether some of these articles arrived before the resume (a catch-up is due)."""
    return resumed is not None and any(article.first_seen <= resumed for article in articles)


def in_backlog(story: Story, resumed: datetime) -> bool:
    """A story is backlog when every version of it arrived up to the resume: a report
    that arrived after it makes the story current again."""
    return all(article.first_seen <= resumed for article in story.articles)


def trim_backlog(
    stories: Sequence[Story], resumed: datetime | None, cap: int
) -> tuple[list[Story], list[Story]]:
    """(kept, skipped): the backlog stories beyond the newest ``cap`` are skipped.

    ``stories`` are newest first (``bot.digest.stories.newest_stories``); stories that arrived
    after the resume are always kept. Nothing is skipped when the backlog fits the cap.
    """
    if resumed is None:
        return list(stories), []
    backlog = [story for story in stories if in_backlog(story, resumed)]
    if len(backlog) <= cap:
        return list(stories), []
    skipped_ids = {id(story) for story in backlog[cap:]}
    kept = [story for story in stories if id(story) not in skipped_ids]
    return kept, backlog[cap:]


def skipped_note(count: int) -> str:
    return ngettext(
        "{count} older story was skipped while digests were paused.",
        "{count} older stories were skipped while digests were paused.",
        count,
    ).format(count=count)
