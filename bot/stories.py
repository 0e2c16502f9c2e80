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

How articles are grouped. Average-link agglomerative clustering: the two groups with the
highest mean pairwise similarity merge while that mean reaches the threshold, and a merge is
refused when

* it would put two articles of one source in a story: "also" is about other outlets, and a
  feed whose items share boilerplate text must never collapse into one entry; and
* some member would not itself be similar to the merged story's best version, at
  ``GUARD_RATIO`` times the threshold (the chain guard): the shown version must be about the
  same event as every "also" link next to it, so A~B~C cannot chain C onto A through B.

Articles with the same normalised link are one article before any of this (one of them is
kept, the others are hidden but still counted as shown). ``SAME_STORY_THRESHOLD`` was chosen by
measurement: ``python bench/clustering.py`` prints precision and recall per threshold on a
labelled set of short wire stories.

"Best" version: the one whose summary has the most sentences of real text (sentences that
merely repeat the headline do not count), then the most characters in those sentences, then
the earliest published (the outlet that broke the story), then the lowest article id.

Limits: versions of a story in two languages share few words and are not grouped. Only the
articles of one digest are compared: a report that arrives after its story was shown appears
in a later digest. A feed's own follow-ups of a story (same source) stay separate entries.
Cost: about 30-50 ms for the largest window (``MAX_CANDIDATES`` articles), so it runs in the
event loop; the stemmers cached here are used from that one thread only.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy
from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

from bot.models import AlsoLink, StoredArticle
from bot.news.links import normalise_link
from bot.news.summarise import OfflineTokenizer, resolve_language

__all__ = [
    "SAME_STORY_THRESHOLD",
    "Story",
    "also_links",
    "cluster",
    "group_stories",
    "rank_key",
    "regroup",
    "similarity_matrix",
    "story_terms",
    "take_stories",
]

# Chosen with bench/clustering.py: of the thresholds with no false merge on the labelled set,
# those with the best recall form a plateau (0.24-0.26); its top is taken, because a false
# merge hides a story while a missed one only shows a duplicate.
SAME_STORY_THRESHOLD = 0.26
# The chain guard: every version must reach this share of the threshold with the shown one.
# At 1.0 it cost recall on the benchmark (the best-summarised version is not always the most
# central one); at 0.75 it still stops the chains single link makes at looser thresholds.
GUARD_RATIO = 0.75
TITLE_WEIGHT = 2
LEAD_WORDS = 60
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


def _same(word: str) -> str:
    return word


@lru_cache(maxsize=64)
def _analyser(language: str) -> tuple[OfflineTokenizer, Callable[[str], str], frozenset[str]]:
    """Tokenizer, stemmer and stop words; a language sumy lacks gets no stemming/stop words."""
    stem: Callable[[str], str] = _same
    stop_words: frozenset[str] = frozenset()
    if language.isascii() and language.isalpha():
        try:
            stem = Stemmer(language)
            stem("probe")  # some stemmers import an optional package on first use
        except (LookupError, ValueError, ImportError):
            stem = _same
        with contextlib.suppress(LookupError):
            stop_words = frozenset(word.casefold() for word in get_stop_words(language))
    return OfflineTokenizer(language), stem, stop_words


def _tokens(text: str, language: str | None = None) -> list[str]:
    tokenizer, stem, stop_words = _analyser(resolve_language(language))
    words = [word.casefold() for word in tokenizer.to_words(text)]
    tokens = [stem(word) for word in words if len(word) > 1 and word not in stop_words]
    tokens += [number.replace(",", "") for number in _NUMBER.findall(text)]
    return tokens


def _lead(article: StoredArticle) -> str:
    source = article.text if article.text.strip() else " ".join(article.summary)
    return " ".join(source.split()[:LEAD_WORDS])


def story_terms(article: StoredArticle) -> Counter[str]:
    """Term counts of an article's headline (weighted) and lead."""
    terms: Counter[str] = Counter()
    for token in _tokens(article.title, article.language):
        terms[token] += TITLE_WEIGHT
    terms.update(_tokens(_lead(article), article.language))
    return terms


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
) -> list[list[int]]:
    """Groups of indices; see the module docstring for the merge rule.

    ``representative`` picks the shown member of a candidate group (the best version);
    ``guard`` is the chain guard's share of the threshold (0 turns it off). ``linkage="single"``
    and other guards exist so the benchmark can show what the defaults buy.
    """
    count = len(similarity)
    groups: list[list[int] | None] = [[index] for index in range(count)]
    group_sources: list[set[str]] = [{source} for source in sources]
    link = numpy.array(similarity, dtype=numpy.float64, copy=True)  # sum (or max) between groups
    sizes = numpy.ones(count)
    alive = numpy.ones(count, dtype=bool)
    score = link.copy()
    numpy.fill_diagonal(score, -numpy.inf)
    while count > 1:
        first, second = divmod(int(numpy.argmax(score)), count)
        if score[first, second] < threshold:
            break
        members = [*groups[first], *groups[second]]  # type: ignore[misc]
        shown = representative(members)
        if group_sources[first] & group_sources[second] or (
            any(similarity[shown, m] < guard * threshold for m in members if m != shown)
        ):
            score[first, second] = score[second, first] = -numpy.inf  # until either changes
            continue
        groups[first], groups[second] = members, None
        group_sources[first] |= group_sources[second]
        alive[second] = False
        if linkage == "single":
            link[first] = numpy.maximum(link[first], link[second])
        else:
            link[first] += link[second]
        link[:, first] = link[first]
        sizes[first] += sizes[second]
        row = link[first] if linkage == "single" else link[first] / (sizes[first] * sizes)
        score[first] = numpy.where(alive, row, -numpy.inf)
        score[first, first] = -numpy.inf
        score[:, first] = score[first]
        score[second] = score[:, second] = -numpy.inf
    return [sorted(group) for group in groups if group is not None]


def _collapse_links(articles: Sequence[StoredArticle]) -> list[list[StoredArticle]]:
    """Articles sharing a normalised link are one article seen twice; best-ranked first."""
    units: dict[str, list[StoredArticle]] = {}
    order: list[list[StoredArticle]] = []
    for article in articles:
        key = normalise_link(article.link)
        if key is not None and key in units:
            units[key].append(article)
            continue
        unit = [article]
        order.append(unit)
        if key is not None:
            units[key] = unit
    return [sorted(unit, key=rank_key) for unit in order]


def group_stories(
    articles: Sequence[StoredArticle], *, threshold: float = SAME_STORY_THRESHOLD
) -> list[Story]:
    """The articles as stories, in the order of each story's best version in ``articles``."""
    units = _collapse_links(articles)
    if not units:
        return []
    heads = [unit[0] for unit in units]
    similarity = similarity_matrix([story_terms(head) for head in heads])
    keys = [rank_key(head) for head in heads]
    groups = cluster(
        similarity,
        threshold,
        sources=[head.source for head in heads],
        representative=lambda members: min(members, key=keys.__getitem__),
    )
    position = {article.id: index for index, article in enumerate(articles)}
    stories = []
    for group in groups:
        ranked = sorted(group, key=keys.__getitem__)
        # Each outlet's version, best first, then any copies of the same links.
        members = [heads[i] for i in ranked] + [a for i in ranked for a in units[i][1:]]
        stories.append(Story(best=members[0], others=tuple(members[1:])))
    return sorted(stories, key=lambda story: position[story.best.id])


def take_stories(
    articles: Sequence[StoredArticle], limit: int, *, threshold: float = SAME_STORY_THRESHOLD
) -> tuple[list[Story], int]:
    """The newest ``limit`` stories of newest-first ``articles``, and how many are left.

    Stories are ranked by their newest report. Only the newest ``limit ×
    CANDIDATES_PER_STORY`` articles (at most ``MAX_CANDIDATES``, never fewer than ``limit``)
    are compared, so the "left" count is exact for stories in that window and counts every
    older article as a story of its own.
    """
    window = max(limit, min(limit * CANDIDATES_PER_STORY, MAX_CANDIDATES))
    candidates = articles[:window]
    stories = group_stories(candidates, threshold=threshold)
    position = {article.id: index for index, article in enumerate(candidates)}
    by_newest = sorted(stories, key=lambda story: min(position[a.id] for a in story.articles))
    chosen = {id(story) for story in by_newest[:limit]}
    shown = [story for story in stories if id(story) in chosen]
    left = len(stories) - len(shown) + len(articles) - len(candidates)
    return shown, left


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
