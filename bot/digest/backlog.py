"""A backlog a reader can keep up with: a fair share per feed, and a bound on what waits.

Two observations from a chat following 23 feeds: digests were newest-first across all
feeds, so one prolific feed filled 18 of 20 places; and with a daily schedule 600 new
stories a day could never be read, so the backlog only grew. The rules:

- **Fair share.** A digest takes stories round by round: each feed's newest unseen story
  first (feeds with the newest stories first), then each feed's second, and so on until
  the cap. A busy feed gets the places the quiet ones leave; it can no longer crowd them
  out. A story several feeds reported counts for the feed of the version shown.
- **Bounded wait.** A story unseen for longer than NEWSDIGEST_BACKLOG_DAYS (default 7)
  since it arrived, or beyond the newest NEWSDIGEST_BACKLOG_PER_FEED (default 100) unseen
  stories of its feed, is marked read without being shown, and the digest says how many
  (one line). 0 turns either bound off. The bounds apply after the chat's filters: a
  story the chat hides anyway must not use up its feed's budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.digest.stories import Story
from bot.i18n import ngettext
from bot.models import StoredArticle

DEFAULT_MAX_AGE_DAYS = 7
DEFAULT_MAX_PER_FEED = 100


@dataclass(frozen=True, slots=True)
class BacklogPolicy:
    max_age_days: int = DEFAULT_MAX_AGE_DAYS  # 0: no age limit
    max_per_feed: int = DEFAULT_MAX_PER_FEED  # 0: no per-feed limit

    def window(self, now: datetime) -> BacklogWindow:
        """The bounds as one pass applies them, article by article, newest first."""
        oldest = now - timedelta(days=self.max_age_days) if self.max_age_days else None
        return BacklogWindow(oldest=oldest, max_per_feed=self.max_per_feed)

    def note(self, count: int) -> str:
        """The digest line announcing stories marked read without being shown."""
        # Whole sentences per case: word order differs between languages.
        if self.max_age_days and self.max_per_feed:
            text = ngettext(
                "{count} older story that waited over {days} days or went past the newest "
                "{newest} of its feed was marked as read.",
                "{count} older stories that waited over {days} days or went past the newest "
                "{newest} of their feed were marked as read.",
                count,
            )
        elif self.max_age_days:
            text = ngettext(
                "{count} older story that waited over {days} days was marked as read.",
                "{count} older stories that waited over {days} days were marked as read.",
                count,
            )
        else:
            text = ngettext(
                "{count} older story that went past the newest {newest} of its feed was "
                "marked as read.",
                "{count} older stories that went past the newest {newest} of their feed were "
                "marked as read.",
                count,
            )
        return text.format(count=count, days=self.max_age_days, newest=self.max_per_feed)


def fair_share(
    stories: Sequence[Story], limit: int, articles: Sequence[StoredArticle]
) -> tuple[list[Story], int]:
    """The stories for one digest, round by round across feeds, and how many are left.

    ``stories`` are newest first; the chosen ones keep the digest's order (that of their
    best versions in ``articles``).
    """
    rounds: Counter[str] = Counter()
    ranked: list[tuple[int, int, Story]] = []
    for index, story in enumerate(stories):
        feed = _feed_of(story.best)
        ranked.append((rounds[feed], index, story))
        rounds[feed] += 1
    chosen = [story for _, _, story in sorted(ranked, key=lambda item: item[:2])[:limit]]
    position = {article.id: index for index, article in enumerate(articles)}
    chosen.sort(key=lambda story: position.get(story.best.id, len(position)))
    return chosen, max(0, len(stories) - limit)


class Backlogged(Protocol):
    """What the bounds look at: when an article arrived and which feed it counts for."""

    @property
    def first_seen(self) -> datetime: ...

    @property
    def subscription_id(self) -> int | None: ...

    @property
    def source(self) -> str: ...


@dataclass(slots=True)
class BacklogWindow:
    """One pass of the bounds over a chat's wanted articles, newest first.

    Only articles the chat wants may be offered (filters first): each admitted one uses a
    place of its feed's budget.
    """

    oldest: datetime | None
    max_per_feed: int
    per_feed: Counter[str] = field(default_factory=Counter)

    def could_admit(self, article: Backlogged) -> bool:
        """Whether this article would be admitted now, without counting it: for articles
        not judged yet, whose place depends on whether the chat wants them."""
        if self.oldest is not None and article.first_seen < self.oldest:
            return False
        return not self.max_per_feed or self.per_feed[_feed_of(article)] < self.max_per_feed

    def admits(self, article: Backlogged) -> bool:
        """Whether this article, the next newest wanted one, is within the bounds; an
        admitted article is counted against its feed's budget."""
        if not self.could_admit(article):
            return False
        self.per_feed[_feed_of(article)] += 1
        return True


def _feed_of(article: Backlogged) -> str:
    """Which feed an article counts for: its subscription, else its source name."""
    if article.subscription_id is not None:
        return f"subscription:{article.subscription_id}"
    return f"source:{article.source}"
