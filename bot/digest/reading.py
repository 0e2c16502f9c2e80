"""What a digest reads in full: a bounded number of a chat's unseen articles.

Why: a chat shown fewer stories than it receives piles them up, and reading every unseen
article with its text made one digest for 50,000 waiting stories load 50,000 texts. The
store hands the composer every unseen article as a light ``ArticleRef`` (ids, feed, times;
``Store.unseen_refs``), and this module decides, newest first, which ones to read in full
(``Store.articles_for``):

- The chat's filters run first, and they match title, summary *and* text
  (bot.digest.filters), so a story some rule applies to is read to be judged, in batches of
  ``READ_BATCH``; its text is kept only if the story can be shown. A hidden story uses no
  place of its feed's budget and is not counted as past the bounds: the note's count stays
  exact. Stories no rule applies to are never read to be judged.
- The backlog bounds (bot.digest.backlog) run on the refs of what the filters let through:
  a story past them is marked read and counted as an id, never read.
- What is left (at most NEWSDIGEST_BACKLOG_PER_FEED per feed) is read in full.

A safety cap holds whatever the bounds (they may be 0, off): one digest reads at most
``READ_LIMIT`` articles in full, counting both those read to be judged and those read to be
shown. Past it, the older stories are not read at all: they stay unseen, for later digests
(which judge them, count them past the bounds or show them). Those that may still be shown
(within the bounds as far as this digest can tell) count among the digest's "more" stories
as one each, as yet ungrouped; a story a rule applies to may turn out hidden, so that
count is an upper bound. Those certainly past the bounds are not announced as "more": the
digest that reads them counts them in its note, so each is counted once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from bot.digest.backlog import BacklogPolicy
from bot.digest.filters import ArticleFilter
from bot.models import ArticleRef, StoredArticle
from bot.store.repository import Store

#: Articles one digest reads in full at most (to judge with filters and to show).
READ_LIMIT = 2000
#: Articles read in one go to be judged by the filters.
READ_BATCH = 500


@dataclass(slots=True)
class Reading:
    """A chat's unseen articles, sorted out for one digest."""

    wanted: list[StoredArticle] = field(default_factory=list)  # in full, newest first
    hidden: list[int] = field(default_factory=list)  # by the filters: mark read, no note
    expired: list[int] = field(default_factory=list)  # past the bounds: mark read, count
    unread: int = 0  # past the safety cap: left unseen, not read
    waiting: int = 0  # of those, how many may still be shown (within the bounds so far)


async def read_unseen(
    store: Store,
    refs: list[ArticleRef],
    *,
    article_filter: ArticleFilter | None,
    backlog: BacklogPolicy,
    now: datetime,
    limit: int = READ_LIMIT,
    batch: int = READ_BATCH,
) -> Reading:
    """Sort out ``refs`` (newest first) reading at most ``limit`` articles in full.

    Whether a rule applies depends on the subscription alone, so within one feed either
    every story is judged or none is; the budget only shrinks, so once a story is left
    unread every older one of a judged feed is too, and its feed's count stays exact.
    Matching runs in a worker thread (user regexes, bot.digest.filters).
    """
    reading = Reading()
    window = backlog.window(now)
    budget = limit
    to_read: list[ArticleRef] = []  # wanted, no rule applies: not read yet
    read: dict[int, StoredArticle] = {}
    for start in range(0, len(refs), batch):
        chunk = refs[start : start + batch]
        judged: list[ArticleRef] = []
        for ref in chunk:
            if article_filter and article_filter.applies_to(ref.subscription_id):
                if budget:
                    judged.append(ref)
                    budget -= 1
                else:
                    reading.unread += 1
                    reading.waiting += window.could_admit(ref)
            elif not window.admits(ref):
                reading.expired.append(ref.id)
            elif budget:
                to_read.append(ref)
                budget -= 1
            else:
                reading.unread += 1
                reading.waiting += 1
        if not judged:
            continue
        assert article_filter is not None
        articles = await store.articles_for(judged)
        shown, hidden = await asyncio.to_thread(article_filter.split, articles)
        reading.hidden += [article.id for article in hidden]
        for article in shown:  # newest first, as judged
            if window.admits(article):
                read[article.id] = article
            else:
                reading.expired.append(article.id)
    read.update({article.id: article for article in await store.articles_for(to_read)})
    order = {ref.id: index for index, ref in enumerate(refs)}
    reading.wanted = sorted(read.values(), key=lambda article: order[article.id])
    return reading
