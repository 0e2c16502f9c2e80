"""Summary quality and speed benchmark: Lead-N and every sumy algorithm we offer.

Usage::

    python bench/summaries.py [--data PATH] [--limit N] [--sentences 3] [--split] [--json OUT]
    python -m bench.summaries ...

Scores each system's summaries against the reference highlights with ROUGE-1/2/Lsum F1
(``rouge-score`` with Porter stemming; for Lsum the summary sentences and the reference
sentences are joined with newlines), averaged over the articles and multiplied by 100, and
times the summarising call alone (milliseconds per article, p50/p95, one thread). Prints a
markdown table sorted by ROUGE-1. Progress goes to stderr.

``--split`` adds a table for each half of the articles (first half, second half). The newsrank
weights were chosen on the first half of the bundled data, so the second half shows how they
hold on articles they were not chosen on.

Data: ``bench/data/summaries-dev.jsonl`` (see ``bench/data/PROVENANCE.md``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bot` importable
    sys.path.insert(0, str(ROOT))

from bot.news.summarise import ALGORITHMS, Summariser, split_sentences  # noqa: E402

DEFAULT_DATA = ROOT / "bench" / "data" / "summaries-dev.jsonl"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
PROGRESS_EVERY = 50


@dataclass
class Article:
    id: str
    text: str
    reference: str


@dataclass
class Run:
    """One system's per-article ROUGE scores (rouge1, rouge2, rougeLsum) and timings."""

    system: str
    scores: list[tuple[float, float, float]]
    timings: list[float]
    is_sumy: bool


@dataclass
class Result:
    system: str
    rouge1: float
    rouge2: float
    rouge_lsum: float
    ms_p50: float
    ms_p95: float
    ms_mean: float
    articles: int
    is_sumy: bool


def load_articles(path: Path, limit: int | None) -> list[Article]:
    articles: list[Article] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            articles.append(Article(record["id"], record["article"], record["reference"]))
            if limit is not None and len(articles) >= limit:
                break
    return articles


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def lead(count: int) -> Callable[[str], list[str]]:
    def summarise(text: str) -> list[str]:
        return split_sentences(text)[:count]

    return summarise


def sumy_system(algorithm: str, count: int) -> Callable[[str], list[str]]:
    summariser = Summariser(algorithm, sentences=count, language="en")
    return summariser.summarise


def evaluate(
    name: str,
    summarise: Callable[[str], list[str]],
    articles: list[Article],
    references: list[str],
    scorer,
    *,
    is_sumy: bool,
) -> Run:
    summarise(articles[0].text)  # warm the per-language caches outside the timings
    per_article: list[tuple[float, float, float]] = []
    timings: list[float] = []
    started = time.perf_counter()
    for done, (article, reference) in enumerate(zip(articles, references, strict=True), 1):
        t0 = time.perf_counter()
        sentences = summarise(article.text)
        timings.append((time.perf_counter() - t0) * 1000)
        scores = scorer.score(reference, "\n".join(sentences))
        r1, r2, rlsum = (scores[rouge_type].fmeasure for rouge_type in ROUGE_TYPES)
        per_article.append((r1, r2, rlsum))
        if done % PROGRESS_EVERY == 0 and done < len(articles):
            print(f"  {name}: {done}/{len(articles)}", file=sys.stderr, flush=True)
    print(
        f"{name}: {len(articles)} articles in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return Run(name, per_article, timings, is_sumy)


def aggregate(run: Run, indices: range) -> Result:
    """Mean ROUGE (x100) and timing percentiles of ``run`` over the articles in ``indices``."""
    scores = [run.scores[i] for i in indices]
    timings = [run.timings[i] for i in indices]
    n = len(scores)
    return Result(
        system=run.system,
        rouge1=100 * sum(s[0] for s in scores) / n,
        rouge2=100 * sum(s[1] for s in scores) / n,
        rouge_lsum=100 * sum(s[2] for s in scores) / n,
        ms_p50=percentile(timings, 0.50),
        ms_p95=percentile(timings, 0.95),
        ms_mean=statistics.fmean(timings),
        articles=n,
        is_sumy=run.is_sumy,
    )


def splits(count: int, halves: bool) -> list[tuple[str, range]]:
    """The article subsets to report: all of them, then (with ``halves``) each half."""
    parts = [("all", range(count))]
    if halves and count >= 2:
        middle = count // 2
        parts += [
            (f"first half (articles 1-{middle})", range(middle)),
            (f"second half (articles {middle + 1}-{count})", range(middle, count)),
        ]
    return parts


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| System | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | ms p50 | ms p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.system} | {r.rouge1:.2f} | {r.rouge2:.2f} | {r.rouge_lsum:.2f} "
            f"| {r.ms_p50:.1f} | {r.ms_p95:.1f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/summaries.py",
        description="ROUGE and speed of Lead-N and every sumy algorithm on news articles.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL articles")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--sentences", type=int, default=3, help="summary length (default 3)")
    parser.add_argument(
        "--algorithms",
        default=None,
        help="comma-separated subset of: " + ", ".join(ALGORITHMS),
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="also report the first and second half of the articles separately",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results")
    args = parser.parse_args(argv)
    if args.sentences < 1:
        parser.error("--sentences must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.algorithms:
        names = [a.strip() for a in args.algorithms.split(",") if a.strip()]
        unknown = [a for a in names if a not in ALGORITHMS]
        if unknown:
            parser.error(f"unknown algorithms {unknown}; valid: {', '.join(ALGORITHMS)}")
        args.algorithms = names
    else:
        args.algorithms = list(ALGORITHMS)
    if not args.data.is_file():
        parser.error(f"no data file at {args.data}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rouge_score import rouge_scorer  # dev dependency: imported only when benchmarking

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    articles = load_articles(args.data, args.limit)
    if not articles:
        print(f"no articles in {args.data}", file=sys.stderr)
        return 1
    references = ["\n".join(split_sentences(a.reference)) for a in articles]
    random.seed(0)  # the "random" baseline is reproducible

    count = args.sentences
    systems: list[tuple[str, Callable[[str], list[str]], bool]] = [
        (f"lead-{count}", lead(count), False)
    ]
    systems += [(name, sumy_system(name, count), True) for name in args.algorithms]
    runs = [
        evaluate(name, fn, articles, references, scorer, is_sumy=is_sumy)
        for name, fn, is_sumy in systems
    ]

    print(
        f"{len(articles)} articles from {args.data.name}, {count} sentences per summary, "
        "ROUGE F1 x100 (stemmed), time of the summarising call only"
    )
    tables: dict[str, list[Result]] = {}
    for label, indices in splits(len(articles), args.split):
        results = sorted(
            (aggregate(run, indices) for run in runs), key=lambda r: r.rouge1, reverse=True
        )
        tables[label] = results
        if args.split:
            print(f"\n### {label}")
        print()
        print(markdown_table(results))
        best = next((r for r in results if r.is_sumy), None)
        if best is not None:
            baseline = next(r for r in results if not r.is_sumy)
            print(
                f"\nBest algorithm: {best.system} (ROUGE-1 {best.rouge1:.2f}, "
                f"{best.rouge1 - baseline.rouge1:+.2f} vs {baseline.system})"
            )

    if args.json is not None:
        results = tables["all"]
        best = next((r for r in results if r.is_sumy), None)
        payload = {
            "data": args.data.name,
            "articles": len(articles),
            "sentences": count,
            "best_sumy_algorithm": best.system if best else None,
            "results": [asdict(r) for r in results],
            "splits": {label: [asdict(r) for r in rs] for label, rs in tables.items()},
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
