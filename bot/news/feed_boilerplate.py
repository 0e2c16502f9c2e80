"""Boilerplate a feed repeats on every item, found by the repetition rather than by name.

Lists of known footers ("The post … appeared first on …") never end: reddit closes each
item with "submitted by /u/… to /r/… [link] [N comments]", blogs with "∞ Permalink", a
"Flattr" button, a feedback request, a news service with its own name. What they share is
that they close (or open) most items of one feed, in the same shape. So, per document:

- a last paragraph whose *shape* — lower case, numbers, links and /u/-style paths replaced
  by placeholders — ends at least 60 % of the items (and at least three) is that feed's
  boilerplate, and is removed from every item that has it. When the shape has placeholders,
  the words that stay must say something on their own (at least ``MIN_FIXED_WORDS`` words of
  three letters or more, and digits a minority): a feed of structured reports ends every
  item with "Depth: 7.74 km (4.81 mi)", which has a footer's shape but is the item's data;
  "submitted by /u/… to /r/… [link] [12 comments]" keeps five fixed words;
- a first paragraph only when it is the very same text (an opening that differs by a
  version number, "We'd like to announce QEMU 10.1.0", is the news itself);
- words that end at least 60 % of the items' last paragraphs after a sentence end (a source
  tag such as "Medscape Medical News") are removed the same way.

A paragraph longer than ``MAX_EDGE_CHARS`` is never taken for boilerplate: footers are
short, and a feed whose items all end with the same long paragraph is quoting something.
An item is never emptied: a paragraph is removed only when another one stays (a document
with a single item, or items of one paragraph, are left to bot.news.clean's patterns).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from bot.models import ParsedArticle

MIN_ITEMS = 3
MIN_SHARE = 0.6
MAX_EDGE_CHARS = 300
MAX_SUFFIX_WORDS = 8
# A repeated shape with placeholders is a footer only when this many fixed words stay...
MIN_FIXED_WORDS = 2
# ...and digits are less than this share of its characters (data is mostly numbers).
MAX_DIGIT_SHARE = 0.25

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_PATH = re.compile(r"(?<!\w)/?[a-z]{1,2}/[\w-]+", re.IGNORECASE)  # /u/name, r/subreddit
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…\"”’»)]$")
_PLACEHOLDER = re.compile(r"<url>|<path>|#")
_FIXED_WORD = re.compile(r"[^\W\d_]{3,}")


def strip_feed_boilerplate(articles: Sequence[ParsedArticle]) -> list[ParsedArticle]:
    """The items with the paragraphs and endings their feed repeats on most items removed."""
    items = list(articles)
    if len(items) < MIN_ITEMS:
        return items
    for _ in range(3):  # a footer may stack: "Flattr" above "∞ Permalink"
        stripped = _strip_edges(items)
        if stripped == items:
            break
        items = stripped
    return _strip_common_ending(items)


def shape(paragraph: str) -> str:
    """What stays the same when a footer repeats: numbers, links and paths are wildcards."""
    text = _URL.sub("<url>", paragraph.lower())
    text = _PATH.sub("<path>", text)
    text = _NUMBER.sub("#", text)
    return _SPACE.sub(" ", text).strip()


def could_be_footer(paragraph: str) -> bool:
    """Whether a repeated last paragraph may be boilerplate rather than the item's data.

    Without placeholders the same words close every item: a footer. With them, the fixed
    words must carry it and the numbers must not: "Read 12 comments" may go, "35.6°N
    117.6°W" and "Depth: 7.74 km" stay.
    """
    fingerprint = shape(paragraph)
    if not _PLACEHOLDER.search(fingerprint):
        return True
    fixed = _FIXED_WORD.findall(_PLACEHOLDER.sub(" ", fingerprint))
    visible = [ch for ch in paragraph if not ch.isspace()]
    digits = sum(ch.isdigit() for ch in visible)
    return len(fixed) >= MIN_FIXED_WORDS and digits < MAX_DIGIT_SHARE * max(1, len(visible))


def _exact(paragraph: str) -> str:
    return _SPACE.sub(" ", paragraph).strip()


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def _threshold(count: int) -> int:
    return max(MIN_ITEMS, int(count * MIN_SHARE + 0.999))


def _strip_edges(items: list[ParsedArticle]) -> list[ParsedArticle]:
    firsts: Counter[str] = Counter()
    lasts: Counter[str] = Counter()
    for item in items:
        paragraphs = _paragraphs(item.text)
        if len(paragraphs) < 2:
            continue  # an item is never emptied: its only paragraph is its text
        if len(paragraphs[-1]) <= MAX_EDGE_CHARS and could_be_footer(paragraphs[-1]):
            lasts[shape(paragraphs[-1])] += 1
        if len(paragraphs[0]) <= MAX_EDGE_CHARS:
            firsts[_exact(paragraphs[0])] += 1
    needed = _threshold(len(items))
    common_last = {key for key, count in lasts.items() if key and count >= needed}
    common_first = {key for key, count in firsts.items() if key and count >= needed}
    if not common_last and not common_first:
        return items
    result = []
    for item in items:
        paragraphs = _paragraphs(item.text)
        if len(paragraphs) > 1 and shape(paragraphs[-1]) in common_last:
            paragraphs = paragraphs[:-1]
        if len(paragraphs) > 1 and _exact(paragraphs[0]) in common_first:
            paragraphs = paragraphs[1:]
        text = "\n\n".join(paragraphs)
        result.append(item if text == item.text else replace(item, text=text))
    return result


def _strip_common_ending(items: list[ParsedArticle]) -> list[ParsedArticle]:
    """Remove the longest run of closing words most last paragraphs share after a sentence."""
    endings: Counter[tuple[str, ...]] = Counter()
    for item in items:
        paragraphs = _paragraphs(item.text)
        if not paragraphs:
            continue
        words = paragraphs[-1].split()
        for size in range(2, min(MAX_SUFFIX_WORDS, len(words) - 1) + 1):
            if _SENTENCE_END.search(words[-size - 1]):
                endings[tuple(words[-size:])] += 1
    needed = _threshold(len(items))
    candidates = [ending for ending, count in endings.items() if count >= needed]
    if not candidates:
        return items
    ending = max(candidates, key=len)
    result = []
    for item in items:
        paragraphs = _paragraphs(item.text)
        if paragraphs:
            words = paragraphs[-1].split()
            if (
                len(words) > len(ending)
                and tuple(words[-len(ending) :]) == ending
                and _SENTENCE_END.search(words[-len(ending) - 1])
            ):
                paragraphs[-1] = " ".join(words[: -len(ending)])
                item = replace(item, text="\n\n".join(paragraphs))
        result.append(item)
    return result
