"""Same-story clustering benchmark: pairwise precision / recall / F1 per threshold.

Usage::

    python bench/clustering.py [--data PATH]
    python -m bench.clustering ...

Every labelled item becomes a stored article (headline, lead as its text, its first three
sentences as its summary, its source and time) and the whole set is clustered as one digest's
candidates are, with ``bot.digest.stories.cluster_articles`` (what ``group_stories`` runs after its
link de-duplication; the links here are all distinct, so that has nothing to do). Each pair
of items is then a decision: "same story" when they end up in one group. Against the labels,
a pair counted same that is not is a false merge (a distinct story hidden from the reader:
the costly error); a same-story pair left apart is a missed merge (a duplicate shown).

Prints markdown tables: one over thresholds, the production threshold marked; one over lead
shares (the lead evidence a pair needs, see ``bot.digest.stories``) at that threshold; two
comparing the linkage rule with single link, without the chain guard and without the lead
evidence; and the time ``group_stories`` takes for the largest window (``MAX_CANDIDATES``
articles), a benchmark figure, not a test.

Data: ``bench/data/story-clusters.jsonl`` (see ``bench/data/PROVENANCE.md``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bot` importable
    sys.path.insert(0, str(ROOT))

from bot.digest.stories import (  # noqa: E402
    GUARD_RATIO,
    LEAD_SHARE,
    MAX_CANDIDATES,
    SAME_STORY_THRESHOLD,
    cluster_articles,
    group_stories,
)
from bot.models import StoredArticle  # noqa: E402
from bot.news.summarise import split_sentences  # noqa: E402

DEFAULT_DATA = ROOT / "bench" / "data" / "story-clusters.jsonl"
THRESHOLDS = (0.15, 0.20, 0.22, 0.23, 0.24, 0.25, 0.26, 0.27, 0.28, 0.30, 0.35, 0.40, 0.50)
# A looser threshold, where the chain guard and the average link visibly matter.
LOOSE = 0.20
LEAD_SHARES = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    false_merges: int
    missed_merges: int


def load(path: Path) -> tuple[list[StoredArticle], list[str]]:
    """Articles and their story labels, in file order (ids are line numbers)."""
    articles: list[StoredArticle] = []
    labels: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            published = datetime.fromisoformat(record["published"])
            articles.append(
                StoredArticle(
                    id=number,
                    title=record["title"],
                    link=record["link"],
                    source=record["source"],
                    published=published,
                    first_seen=published,
                    summary=split_sentences(record["lead"])[:3],
                    text=record["lead"],
                )
            )
            labels.append(record["story"])
    return articles, labels


def score(groups: list[list[int]], labels: list[str]) -> Scores:
    group_of = {member: number for number, group in enumerate(groups) for member in group}
    true_positive = false_positive = false_negative = 0
    for a, b in itertools.combinations(range(len(labels)), 2):
        predicted = group_of[a] == group_of[b]
        actual = labels[a] == labels[b]
        true_positive += predicted and actual
        false_positive += predicted and not actual
        false_negative += actual and not predicted
    predicted_pairs = true_positive + false_positive
    actual_pairs = true_positive + false_negative
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / actual_pairs if actual_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, false_positive, false_negative)


def run(
    articles: list[StoredArticle],
    labels: list[str],
    threshold: float,
    *,
    linkage: str = "average",
    guard: float = GUARD_RATIO,
    lead_share: float = LEAD_SHARE,
) -> Scores:
    groups = cluster_articles(
        articles, threshold, lead_share=lead_share, linkage=linkage, guard=guard
    )
    return score(groups, labels)


def seconds(articles: list[StoredArticle], repeats: int = 3) -> float:
    """The fastest of a few runs of ``group_stories``: the machine's noise only adds time."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        group_stories(articles)
        best = min(best, time.perf_counter() - start)
    return best


def timing_sets(articles: list[StoredArticle]) -> dict[str, list[StoredArticle]]:
    """Two windows of ``MAX_CANDIDATES`` articles: one feed's look-alike items (every pair
    similar and refused, which used to take seconds), and the labelled items over and over,
    each copy under another outlet's name (many merges)."""
    look_alike = [
        replace(articles[0], id=n, link=f"https://feed.example/{n}", source="One Feed")
        for n in range(MAX_CANDIDATES)
    ]
    copies = [
        replace(
            articles[n % len(articles)],
            id=n,
            link=f"https://copy.example/{n}",
            source=f"Outlet {n // len(articles)}",
        )
        for n in range(MAX_CANDIDATES)
    ]
    return {
        "one feed, look-alike items": look_alike,
        "labelled items copied across outlets": copies,
    }


def selection_rule(results: dict[float, Scores]) -> float:
    """The highest threshold among those with no false merge and the best recall."""
    clean = {t: scores for t, scores in results.items() if scores.false_merges == 0}
    best = max(scores.recall for scores in clean.values())
    return max(t for t, scores in clean.items() if scores.recall == best)


def row(label: str, scores: Scores, mark: str = "") -> str:
    return (
        f"| {label}{mark} | {scores.precision:.3f} | {scores.recall:.3f} | {scores.f1:.3f} "
        f"| {scores.false_merges} | {scores.missed_merges} |"
    )


HEADER = (
    "| {} | precision | recall | F1 | false merges | missed merges |\n"
    "|---|---:|---:|---:|---:|---:|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    articles, labels = load(args.data)
    stories = len(set(labels))
    pairs = sum(1 for a, b in itertools.combinations(labels, 2) if a == b)
    print(
        f"{len(articles)} items, {stories} stories, {pairs} same-story pairs "
        f"of {len(articles) * (len(articles) - 1) // 2}\n"
    )
    print(HEADER.format("threshold"))
    results = {t: run(articles, labels, t) for t in sorted({*THRESHOLDS, SAME_STORY_THRESHOLD})}
    for threshold, scores in results.items():
        mark = " **(chosen)**" if threshold == SAME_STORY_THRESHOLD else ""
        print(row(f"{threshold:.2f}", scores, mark))
    rule = (selection_rule.__doc__ or "").strip().rstrip(".")
    print(f"\nSelection rule: {rule}: {selection_rule(results):.2f}.")
    print(f"\nLead shares at threshold {SAME_STORY_THRESHOLD:.2f}:\n")
    print(HEADER.format("lead share"))
    for share in sorted({*LEAD_SHARES, LEAD_SHARE}):
        mark = " **(used)**" if share == LEAD_SHARE else ""
        scores = run(articles, labels, SAME_STORY_THRESHOLD, lead_share=share)
        print(row(f"{share:.2f}", scores, mark))
    variants = (
        (f"average link, guard {GUARD_RATIO:g} x threshold (used)", "average", GUARD_RATIO),
        ("average link, guard 1 x threshold", "average", 1.0),
        ("average link, no guard", "average", 0.0),
        (f"single link, guard {GUARD_RATIO:g} x threshold", "single", GUARD_RATIO),
        ("single link, no guard", "single", 0.0),
    )
    for threshold in (SAME_STORY_THRESHOLD, LOOSE):
        print(f"\nClustering rules at threshold {threshold:.2f}:\n")
        print(HEADER.format("clustering"))
        for label, linkage, guard in variants:
            print(row(label, run(articles, labels, threshold, linkage=linkage, guard=guard)))
        label = f"average link, guard {GUARD_RATIO:g} x threshold, no lead evidence"
        print(row(label, run(articles, labels, threshold, lead_share=0.0)))
    print(f"\nTime to group {MAX_CANDIDATES} articles (group_stories, fastest of 3):\n")
    print("| articles | seconds |\n|---|---:|")
    for label, window in timing_sets(articles).items():
        print(f"| {label} | {seconds(window):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
