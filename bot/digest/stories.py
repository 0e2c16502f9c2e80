"""Same-story grouping for digests: one entry per event, however many feeds reported it.

Why: a chat that follows several outlets gets the same event several times (an earthquake, a
central-bank decision), each worded differently, so link and guid de-duplication cannot see
it. Here a digest's candidate articles are grouped into stories; a story is shown once, as its
best-summarised version, with "also:" links to the other outlets' versions.

How two articles are compared. Each article becomes a TF-IDF vector over its title (counted
``TITLE_WEIGHT`` times: headlines name the event) and its lead (the first ``LEAD_WORDS`` words
of its text, or its summary when the feed gave no text; news puts who/what/where first).
Words are lower-cased, stop words dropped and stems taken (Snowball, in the article's language,
English when unknown), and numbers ("6.8", "3.5", "4,000") are kept as tokens, because they
often tell two similar events apart.
IDF is computed over the digest's own candidates only: words every candidate shares ("said",
"Monday") weigh least, the rare names that identify an event weigh most, and nothing is
learned or stored. Similarity is the cosine of two vectors.

Headlines and leads are also compared on their own (the same cosine, over headline-only and
lead-only vectors), because a headline can be generic: two outlets' "Live updates", "Morning
briefing" or "Letters to the editor" share a rare, heavily weighted title and score well
above the threshold with leads about different things. Matching headlines claim one event
and the leads must back the claim: two articles are never one story when the similarity of
their leads is below ``LEAD_SHARE`` times that of their headlines. Headlines that differ
need little such evidence (the combined score then rests on the leads anyway); identical
ones need leads that share something real. An article without a lead (no text, no
summary) stands in with its headline, so two headline-only items can still merge on their
headlines alone: there is no other evidence either way.

How articles are grouped. Average-link agglomerative clustering: the two groups with the
highest mean pairwise similarity merge while that mean reaches the threshold, and a merge is
refused when

* it would put two articles of one source in a story: "also" is about other outlets, and a
  feed whose items share boilerplate text must never collapse into one entry;
* it would put two articles whose leads do not back their headlines (``LEAD_SHARE``) in a
  story; or
* some member would not itself be similar to the merged story's best version, at
  ``GUARD_RATIO`` times the threshold (the chain guard): the shown version must be about the
  same event as every "also" link next to it, so A~B~C cannot chain C onto A through B.

Two outlets' articles with the same normalised link are one article before any of this (one
of them is kept, the others are hidden but still counted as shown); items of one feed that
share a link, and home-page links, are never collapsed. ``SAME_STORY_THRESHOLD`` was chosen by
measurement: ``python bench/clustering.py`` prints precision and recall per threshold on a
labelled set of short wire stories.

"Best" version: the one whose summary has the most sentences of real text (sentences that
merely repeat the headline do not count), then the most characters in those sentences, then
the earliest published (the outlet that broke the story), then the lowest article id.

Limits: versions of a story in two languages share few words and are not grouped. Only the
articles of one digest are compared: a report that arrives after its story was shown appears
in a later digest. A feed's own follow-ups of a story (same source) stay separate entries.
Cost: pairs that can never merge are masked up front, so each merge is one argmax over the
eligible pairs; ``python bench/clustering.py`` times the largest window (``MAX_CANDIDATES``
articles): about 0.07 s on a small idle machine, most of it tokenising. That is
still CPU work, so the composer runs the grouping in a worker thread; the stemmers cached
here are shared by those threads, so they stem under a lock (NLTK's Arabic stemmer keeps
per-call state on the instance) and remember their stems.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy

from bot.models import AlsoLink, StoredArticle
from bot.news.links import is_home_page, normalise_link
from bot.news.summarise import word_analysis

__all__ = [
    "LEAD_SHARE",
    "SAME_STORY_THRESHOLD",
    "Story",
    "Terms",
    "also_links",
    "article_terms",
    "cluster",
    "cluster_articles",
    "group_stories",
    "newest_stories",
    "rank_key",
    "regroup",
    "similarity_matrix",
]

# Chosen with bench/clustering.py: of the thresholds with no false merge on the labelled set,
# those with the best recall form a plateau (0.25-0.27); its top is taken, because a false
# merge hides a story while a missed one only shows a duplicate.
SAME_STORY_THRESHOLD = 0.27
# The chain guard: every version must reach this share of the threshold with the shown one.
# At 1.0 it cost recall on the benchmark (the best-summarised version is not always the most
# central one); at 0.75 it still stops the chains single link makes at looser thresholds.
GUARD_RATIO = 0.75
TITLE_WEIGHT = 2
LEAD_WORDS = 60
# The lead evidence a pair in one story needs: lead cosine >= LEAD_SHARE x headline cosine.
# Chosen with bench/clustering.py: on the labelled set every share from 0.10 to 0.30 keeps the
# generic-headline negatives apart (their leads reach at most 0.098 of their headlines) and
# costs no recall (versions of one story reach at least 0.31); the middle is taken.
LEAD_SHARE = 0.2
# A digest compares at most this many of the newest unseen articles per cap of stories, and
# never more than MAX_CANDIDATES (the similarity matrix is quadratic in the candidates).
CANDIDATES_PER_STORY = 4
MAX_CANDIDATES = 400

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"\W+")


@dataclass(frozen=True, slots=True)
class Story:
    """One event: the version to show, and the other outlets' versions, best first."""

    best: StoredArticle
    others: tuple[StoredArticle, ...] = ()

    @property
    def articles(self) -> tuple[StoredArticle, ...]:
        return (self.best, *self.others)


# ------------------------------------------------------------------------------------------
# Ranking: which version of a story is shown


def _plain(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _real_sentences(article: StoredArticle) -> list[str]:
    """Summary sentences that carry text, not the headline repeated as a description."""
    title = _plain(article.title)
    return [s for s in article.summary if _plain(s) and _plain(s) != title]


def _when(article: StoredArticle) -> datetime:
    return article.published or article.first_seen


def rank_key(article: StoredArticle) -> tuple[int, int, float, int]:
    """Sort key, smallest first = best: most real sentences, characters, earliest, lowest id."""
    sentences = _real_sentences(article)
    return (
        -len(sentences),
        -sum(len(s) for s in sentences),
        _when(article).timestamp(),
        article.id,
    )


# ------------------------------------------------------------------------------------------
# Text → vectors → similarities


def _tokens(text: str, language: str | None = None) -> list[str]:
    tokenizer, stem, stop_words = word_analysis(language)
    words = [word.casefold() for word in tokenizer.to_words(text)]
    tokens = [stem(word) for word in words if len(word) > 1 and word not in stop_words]
    tokens += [number.replace(",", "") for number in _NUMBER.findall(text)]
    return tokens


def _lead(article: StoredArticle) -> str:
    source = article.text if article.text.strip() else " ".join(article.summary)
    return " ".join(source.split()[:LEAD_WORDS])


@dataclass(frozen=True, slots=True)
class Terms:
    """An article's term counts, tokenised once: its headline and its lead (maybe empty)."""

    title: Counter[str]
    lead: Counter[str]

    @property
    def story(self) -> Counter[str]:
        """Headline (weighted) and lead: what the similarity of two articles is over."""
        terms: Counter[str] = Counter({term: TITLE_WEIGHT * n for term, n in self.title.items()})
        terms.update(self.lead)
        return terms

    @property
    def lead_or_title(self) -> Counter[str]:
        """The lead, for the lead evidence; the headline stands in when there is none."""
        return self.lead or self.title


def article_terms(article: StoredArticle) -> Terms:
    return Terms(
        title=Counter(_tokens(article.title, article.language)),
        lead=Counter(_tokens(_lead(article), article.language)),
    )


def similarity_matrix(documents: Sequence[Counter[str]]) -> numpy.ndarray:
    """Cosine similarities of sublinear-TF × smoothed-IDF vectors, IDF over these documents."""
    count = len(documents)
    vocabulary: dict[str, int] = {}
    for terms in documents:
        for term in terms:
            vocabulary.setdefault(term, len(vocabulary))
    matrix = numpy.zeros((count, len(vocabulary)), dtype=numpy.float64)
    for row, terms in enumerate(documents):
        for term, frequency in terms.items():
            matrix[row, vocabulary[term]] = 1.0 + math.log(frequency)
    document_frequency = (matrix > 0).sum(axis=0)
    matrix *= numpy.log((1.0 + count) / (1.0 + document_frequency)) + 1.0
    norms = numpy.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = numpy.divide(matrix, norms, out=numpy.zeros_like(matrix), where=norms > 0)
    return matrix @ matrix.T


# ------------------------------------------------------------------------------------------
# Clustering


def cluster(
    similarity: numpy.ndarray,
    threshold: float,
    *,
    sources: Sequence[str],
    representative: Callable[[list[int]], int],
    linkage: str = "average",
    guard: float = GUARD_RATIO,
    apart: numpy.ndarray | None = None,
) -> list[list[int]]:
    """Groups of indices; see the module docstring for the merge rule.

    ``representative`` picks the shown member of a candidate group (the best version);
    ``guard`` is the chain guard's share of the threshold (0 turns it off); ``apart`` marks
    pairs that must never share a group (besides those of one source). ``linkage="single"``
    and other guards exist so the benchmark can show what the defaults buy.

    Why the masks: a refused merge used to be found, refused and forgotten one pair at a
    time, each time after a scan of the whole matrix, so a feed of 400 look-alike items
    took seconds. Pairs that can never merge (one source, kept ``apart``) are masked up
    front and the mask of a merged group is the union of its parts', so every step is one
    argmax over the eligible pairs; only the chain guard, which depends on the merged
    group's best version, is still checked per step.
    """
    count = len(similarity)
    groups: list[list[int] | None] = [[index] for index in range(count)]
    codes: dict[str, int] = {}
    source_codes = numpy.array([codes.setdefault(source, len(codes)) for source in sources])
    blocked = source_codes[:, None] == source_codes[None, :]  # also blocks the diagonal
    if apart is not None:
        blocked |= apart
    link = numpy.array(similarity, dtype=numpy.float64, copy=True)  # sum (or max) between groups
    sizes = numpy.ones(count)
    alive = numpy.ones(count, dtype=bool)
    score = numpy.where(blocked, -numpy.inf, link)
    floor = guard * threshold
    while count > 1:
        first, second = divmod(int(numpy.argmax(score)), count)
        if not score[first, second] >= threshold:
            break
        members = [*groups[first], *groups[second]]  # type: ignore[misc]
        shown = representative(members)
        if any(similarity[shown, m] < floor for m in members if m != shown):
            score[first, second] = score[second, first] = -numpy.inf  # until either changes
            continue
        groups[first], groups[second] = members, None
        alive[second] = False
        blocked[first] |= blocked[second]
        blocked[:, first] = blocked[first]
        if linkage == "single":
            link[first] = numpy.maximum(link[first], link[second])
        else:
            link[first] += link[second]
        link[:, first] = link[first]
        sizes[first] += sizes[second]
        row = link[first] if linkage == "single" else link[first] / (sizes[first] * sizes)
        score[first] = numpy.where(alive & ~blocked[first], row, -numpy.inf)
        score[:, first] = score[first]
        score[second] = score[:, second] = -numpy.inf
    return [sorted(group) for group in groups if group is not None]


def _collapse_links(articles: Sequence[StoredArticle]) -> list[list[StoredArticle]]:
    """Two outlets' copies of one article URL are one article seen twice; best-ranked first.

    Only across sources, and never on a home page: items of one feed that share a link
    are distinct stories (a podcast's episodes all linking to the show, a live blog's
    updates), as the store already decided (bot.news.links).
    """
    units: dict[str, list[list[StoredArticle]]] = {}
    order: list[list[StoredArticle]] = []
    for article in articles:
        key = normalise_link(article.link)
        if key is not None and is_home_page(key):
            key = None
        unit = next(
            (
                candidate
                for candidate in units.get(key or "", [])
                if all(member.source != article.source for member in candidate)
            ),
            None,
        )
        if key is not None and unit is not None:
            unit.append(article)
            continue
        unit = [article]
        order.append(unit)
        if key is not None:
            units.setdefault(key, []).append(unit)
    return [sorted(unit, key=rank_key) for unit in order]


def cluster_articles(
    articles: Sequence[StoredArticle],
    threshold: float = SAME_STORY_THRESHOLD,
    *,
    lead_share: float = LEAD_SHARE,
    linkage: str = "average",
    guard: float = GUARD_RATIO,
) -> list[list[int]]:
    """Groups of indices into ``articles``, each one story (no link de-duplication here).

    The one place the similarities and the merge rule meet, shared by ``group_stories`` and
    the benchmark; the keyword arguments other than the defaults are for the benchmark.
    """
    if not articles:
        return []
    terms = [article_terms(article) for article in articles]
    similarity = similarity_matrix([t.story for t in terms])
    apart = None
    if lead_share > 0:
        titles = similarity_matrix([t.title for t in terms])
        leads = similarity_matrix([t.lead_or_title for t in terms])
        apart = leads < lead_share * titles
    keys = [rank_key(article) for article in articles]
    return cluster(
        similarity,
        threshold,
        sources=[article.source for article in articles],
        representative=lambda members: min(members, key=keys.__getitem__),
        linkage=linkage,
        guard=guard,
        apart=apart,
    )


def group_stories(
    articles: Sequence[StoredArticle], *, threshold: float = SAME_STORY_THRESHOLD
) -> list[Story]:
    """The articles as stories, in the order of each story's best version in ``articles``."""
    units = _collapse_links(articles)
    if not units:
        return []
    heads = [unit[0] for unit in units]
    keys = [rank_key(head) for head in heads]
    position = {article.id: index for index, article in enumerate(articles)}
    stories = []
    for group in cluster_articles(heads, threshold):
        ranked = sorted(group, key=keys.__getitem__)
        # Each outlet's version, best first, then any copies of the same links.
        members = [heads[i] for i in ranked] + [a for i in ranked for a in units[i][1:]]
        stories.append(Story(best=members[0], others=tuple(members[1:])))
    return sorted(stories, key=lambda story: position[story.best.id])


def newest_stories(
    articles: Sequence[StoredArticle],
    limit: int,
    *,
    window: int | None = None,
    threshold: float = SAME_STORY_THRESHOLD,
) -> list[Story]:
    """Every one of newest-first ``articles`` in a story, stories ranked by their newest report.

    Only the newest ``window`` articles are compared (by default ``limit ×
    CANDIDATES_PER_STORY``, at most ``MAX_CANDIDATES``, never fewer than ``limit``): the
    similarity matrix is quadratic in them. Each older article is a story of its own, after
    them. CPU work: the composer calls this from a worker thread.
    """
    if window is None:
        window = min(limit * CANDIDATES_PER_STORY, MAX_CANDIDATES)
    window = max(limit, window)
    candidates, older = articles[:window], articles[window:]
    stories = group_stories(candidates, threshold=threshold)
    position = {article.id: index for index, article in enumerate(candidates)}
    stories.sort(key=lambda story: min(position[a.id] for a in story.articles))
    return stories + [Story(best=article) for article in older]


def regroup(stories: Sequence[Story], articles: Sequence[StoredArticle]) -> list[Story]:
    """The same stories with their articles replaced by ``articles`` (matched by id).

    For summaries redone after grouping (a chat's own summary settings): the grouping and
    the story order stay, the best version is chosen again from the new summaries.
    """
    by_id = {article.id: article for article in articles}
    regrouped = []
    for story in stories:
        members = sorted((by_id.get(a.id, a) for a in story.articles), key=rank_key)
        regrouped.append(Story(best=members[0], others=tuple(members[1:])))
    return regrouped


def also_links(story: Story) -> list[AlsoLink]:
    """The other versions' sources and links, best first; no link appears twice."""
    seen = {normalise_link(story.best.link) or story.best.link}
    links: list[AlsoLink] = []
    for article in story.others:
        key = normalise_link(article.link) or article.link
        if key is None:
            key = f"source:{article.source}"  # a version without a link: name it once
        if key in seen:
            continue
        seen.add(key)
        links.append(AlsoLink(source=article.source, link=article.link))
    return links
