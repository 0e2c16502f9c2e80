"""Which items of a fetched document are new to their feed, and which may merge across feeds.

The keys come from bot.news.links; the rules here also need the feed's history (the
entries it stored before under each link, read by the caller), so they live apart from
the keys and from the I/O of the pipeline (bot.feeds.ingest).

An item without an id is first looked up by its entry key (link and title). When that
misses, its link decides: if this feed stored an entry under the same link and the link
names one article (only one item of the feed carries it, and it is not a home page), the
item is that entry with an edited headline — the same story, not sent again. A link that
several items of the feed carry (a show page every episode links to, a front page) says
nothing about which item it is, so there the title must match too: a stored entry key's
title part, or the title of the article the entry points to (entries re-keyed by the
upgrade to story identity carry the article's title). An item recognised by its link takes
over the entry's key, so the title it is matched by is the latest one.

The one case no rule can tell apart: a feed without ids that shows a single item at a
time, each on the same page that is not the site's front page. Its second item looks
exactly like an edit of the first until both appear in one document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import CarriedEntry, ParsedArticle
from bot.news.links import (
    article_link_key,
    entry_title,
    item_link_key,
    normalise_link,
    title_key,
)

#: How many of the entries a feed stored under one link its history holds (the newest).
#: Why a bound: a podcast's show page, linked by every episode for years, would be read
#: whole at each new episode. Why this many: an item the feed shows again is among the
#: newest it stored under its link, since a document holds at most 200 items (the
#: parser's cap), so 400 leaves a margin for feeds that reorder or bring back old items.
#: Whether a link is shared only needs two.
CARRIED_PER_LINK = 400


@dataclass(frozen=True, slots=True)
class FeedHistory:
    """What identity needs to know about a feed beyond the document in hand."""

    #: normalised link → the entries this feed stored before under it (the newest
    #: CARRIED_PER_LINK, oldest first)
    carried: Mapping[str, Sequence[CarriedEntry]]
    #: normalised link → how many items of the current document carry it
    in_document: Counter[str]
    #: the normalised address of the feed's site (a front page names no article)
    site_key: str | None

    def names_one_item(self, link_key: str) -> bool:
        """Whether one item of this feed, at most, has carried the link (and it is not a
        home page): then the link is that item's identity within the feed."""
        shared = self.in_document[link_key] > 1 or len(self.carried.get(link_key, ())) > 1
        return article_link_key(link_key, shared=shared, site_key=self.site_key) is not None


def document_links(articles: Iterable[ParsedArticle]) -> Counter[str]:
    """How many items of a document carry each normalised link."""
    return Counter(key for key in (normalise_link(a.link) for a in articles) if key)


def recognised_entry(article: ParsedArticle, history: FeedHistory) -> CarriedEntry | None:
    """The entry this feed stored for an item whose entry key is unknown, if it is one:
    the same link with an edited headline, or (on a shared link) the same title."""
    link_key = item_link_key(article.guid, article.link)
    if link_key is None:
        return None
    entries = history.carried.get(link_key)
    if not entries:
        return None
    if history.names_one_item(link_key):
        return entries[0]
    wanted = title_key(article.title)
    for entry in entries:
        if wanted in (entry_title(entry.entry_key, link_key), title_key(entry.title)):
            return entry
    return None


def known_by_link(article: ParsedArticle, history: FeedHistory) -> bool:
    """Whether an item whose entry key is unknown is nevertheless one this feed stored."""
    return recognised_entry(article, history) is not None


def sort_unknown(
    unknown: Iterable[tuple[str, ParsedArticle]], history: FeedHistory
) -> tuple[list[tuple[str, ParsedArticle]], dict[str, str]]:
    """The items whose entry key is unknown, told apart in one pass: those new to the
    feed, and (old entry key → the item's current key) for those recognised by their
    link (see :func:`renamed_entries`). Each item's link is judged once."""
    fresh: list[tuple[str, ParsedArticle]] = []
    renamed: dict[str, str] = {}
    for key, article in unknown:
        entry = recognised_entry(article, history)
        if entry is None:
            fresh.append((key, article))
        elif not entry.entry_key.startswith("guid:"):
            renamed[entry.entry_key] = key
    return fresh, renamed


def renamed_entries(
    unknown: Iterable[tuple[str, ParsedArticle]], history: FeedHistory
) -> dict[str, str]:
    """Old entry key → the item's current key, for items recognised by their link.

    Keeping the stored key in step with the latest headline matters once the link turns
    shared: from then on the title must match, and it must match the corrected one. An
    entry stored under an id keeps it (the feed may give ids again).
    """
    return sort_unknown(unknown, history)[1]


def merge_key(article: ParsedArticle, history: FeedHistory) -> str | None:
    """The key a new item may merge on with another feed's copy of its article, if any.

    A link is an article's identity unless it is a home page (the feed's site address
    included) or shared: by two items of this document, or with an item this feed stored
    earlier (the new item makes it two).
    """
    link_key = normalise_link(article.link)
    if link_key is None:
        return None
    shared = history.in_document[link_key] > 1 or link_key in history.carried
    return article_link_key(link_key, shared=shared, site_key=history.site_key)


def links_turned_shared(articles: Iterable[ParsedArticle], history: FeedHistory) -> set[str]:
    """The links these new items share with items the feed stored before: the articles
    stored under them must stop being merge targets (Store.retire_link_keys)."""
    return {
        link_key
        for article in articles
        if (link_key := normalise_link(article.link)) and link_key in history.carried
    }
