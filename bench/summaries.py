"""Summary quality and speed benchmark: Lead-N, NewsRank and every sumy algorithm we offer.

Usage::

    python bench/summaries.py [--data PATH ...] [--meta PATH ...] [--limit N] [--sentences 3]
                              [--algorithms a,b] [--ci] [--cv K] [--resamples N] [--seed S]
                              [--json OUT]
    python -m bench.summaries ...

Scores each system's summaries against the reference summaries with ROUGE-1/2/Lsum F1
(``rouge-score`` with Porter stemming; for Lsum the summary sentences and the reference
sentences are joined with newlines), averaged over the articles and multiplied by 100, and
times the summarising call alone (milliseconds per article, p50/p95, one thread, and on the
largest input the summariser's caps let through). Systems get an article's title when the data
has one, as the bot passes every feed item's title. Prints markdown tables; progress goes to
stderr.

``--ci`` adds, for every system, the paired bootstrap interval of its per-article difference to
Lead-N and a verdict that claims a win only when the interval excludes zero (see
``bench/stats.py``); the same for the default algorithm per data set, source and domain; and
the effect of the title weight, measured on the articles that have titles.

``--cv K`` cross-validates NewsRank's tuned weights: every setting of ``GRID`` is scored on
every article, weights are chosen by mean ROUGE-1 on K-1 folds and scored on the fold left out,
and the held-out scores are compared with Lead-N like any system, overall and per group. This
is done for each family of ``FAMILIES`` (lead-biased weights without centrality; all weights),
and a verdict line names the family whose weights should be the default (see ``recommend``) and
whether the shipped weights are the ones it picks. These are the figures to trust: the shipped
weights were chosen on these same articles, so their own line is in-sample.

Data: ``bench/data/summaries-dev.jsonl`` and ``bench/data/summaries-test.jsonl``, with
``bench/data/summaries-dev-meta.jsonl`` adding addresses, titles and domains to the former
(see ``bench/data/PROVENANCE.md``). Records need ``id``, ``article`` and ``reference``;
``title``, ``source`` and ``domain`` are optional, in the record or in a ``--meta`` file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bot` and `bench` importable
    sys.path.insert(0, str(ROOT))

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # noqa: E402

from bench.stats import (  # noqa: E402
    Interval,
    bootstrap_differences,
    cross_validate,
    stratified_folds,
    verdict,
)
from bot.news.newsrank import CONNECTIVES, NewsRankSummarizer  # noqa: E402
from bot.news.summarise import (  # noqa: E402
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    MAX_INPUT_CHARS,
    MAX_SENTENCES,
    Summariser,
    resolve_language,
    split_sentences,
    word_analysis,
)

DATA_DIR = ROOT / "bench" / "data"
DEFAULT_DATA = (DATA_DIR / "summaries-dev.jsonl", DATA_DIR / "summaries-test.jsonl")
DEFAULT_META = (DATA_DIR / "summaries-dev-meta.jsonl",)
LANGUAGE = "en"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
METRICS = ("ROUGE-1", "ROUGE-2", "ROUGE-Lsum")
PROGRESS_EVERY = 50
UNKNOWN = "unknown"

# NewsRank weights searched by --cv (3-4 values each, from a strong to a weak position prior,
# without and with centrality). Titles are measured separately (``TITLE_WEIGHTS``), on the
# articles that have one, so the grid is scored without titles.
GRID: dict[str, tuple[float, ...]] = {
    "position_decay": (0.5, 1.5, 3.0, 10.0),
    "centrality_weight": (0.0, 0.25, 0.5, 1.0),
    "redundancy": (0.0, 0.25, 0.5, 1.0),
    "demotion": (0.75, 0.9, 1.0),
    "min_words": (5, 8, 10),
}
# The families of weights cross-validated separately, simplest first: the lead-biased ones
# (position prior and NewsRank's cleanups, no centrality), then any weights. A richer family
# must beat a simpler one beyond noise to be preferred (see ``recommend``).
FAMILIES: dict[str, Callable[[Mapping[str, float]], bool]] = {
    "lead-biased (centrality 0)": lambda settings: settings["centrality_weight"] == 0,
    "all weights": lambda settings: True,
}
TITLE_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)

Scores = tuple[float, float, float]  # ROUGE-1, ROUGE-2, ROUGE-Lsum F1 x100
Settings = dict[str, float]


@dataclass(frozen=True)
class Article:
    """One benchmark article. Title, source and domain are optional: the tables per source and
    domain, and the title measurement, use them only where the data has them."""

    id: str
    text: str
    reference: str
    title: str | None = None
    dataset: str = UNKNOWN
    source: str = UNKNOWN
    domain: str = UNKNOWN


@dataclass
class Run:
    """One system's per-article ROUGE scores and timings."""

    system: str
    scores: list[Scores]
    timings: list[float]
    is_baseline: bool = False
    ms_largest: float = math.nan


@dataclass
class Result:
    """One system's means over a set of articles, as the main table and the JSON show them."""

    system: str
    rouge1: float
    rouge2: float
    rouge_lsum: float
    ms_p50: float
    ms_p95: float
    ms_mean: float
    ms_largest: float
    articles: int
    vs_baseline: list[dict] = field(default_factory=list)
    verdict: str | None = None


# --------------------------------------------------------------------------------------------
# Data


def load_meta(paths: Sequence[Path]) -> dict[str, dict]:
    """Extra fields per article id, from JSONL files with an ``id`` on every line."""
    meta: dict[str, dict] = {}
    for path in paths:
        for record in _read_jsonl(path):
            meta[record["id"]] = record
    return meta


def load_articles(
    paths: Sequence[Path], limit: int | None = None, meta: Mapping[str, dict] | None = None
) -> list[Article]:
    """Articles of every file in order (at most ``limit`` per file); fields from ``meta`` fill
    in what a record lacks."""
    articles: list[Article] = []
    for path in paths:
        records = _read_jsonl(path)
        if limit is not None:
            records = records[:limit]
        for record in records:
            extra = {**(meta or {}).get(record["id"], {}), **record}
            articles.append(
                Article(
                    id=record["id"],
                    text=record["article"],
                    reference=record["reference"],
                    title=extra.get("title") or None,
                    dataset=path.stem,
                    source=extra.get("source") or UNKNOWN,
                    domain=extra.get("domain") or UNKNOWN,
                )
            )
    return articles


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --------------------------------------------------------------------------------------------
# Systems and scoring


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def lead(count: int) -> Callable[[Article], list[str]]:
    def summarise(article: Article) -> list[str]:
        return split_sentences(article.text, LANGUAGE)[:count]

    return summarise


def sumy_system(algorithm: str, count: int) -> Callable[[Article], list[str]]:
    summariser = Summariser(algorithm, sentences=count, language=LANGUAGE)

    def summarise(article: Article) -> list[str]:
        return summariser.summarise(article.text, title=article.title)

    return summarise


class Rouge:
    """ROUGE F1 x100 of a summary against its article's reference, memoised per summary.

    Many NewsRank weight settings pick the same sentences; scoring each distinct summary once
    keeps the grid search affordable.
    """

    def __init__(self, articles: Sequence[Article]) -> None:
        from rouge_score import rouge_scorer  # dev dependency: imported only when benchmarking

        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
        self._references = ["\n".join(split_sentences(a.reference, LANGUAGE)) for a in articles]
        self._memo: dict[tuple[int, tuple[str, ...]], Scores] = {}

    def __call__(self, index: int, sentences: Sequence[str]) -> Scores:
        key = (index, tuple(sentences))
        scores = self._memo.get(key)
        if scores is None:
            result = self._scorer.score(self._references[index], "\n".join(sentences))
            r1, r2, rl = (100 * result[t].fmeasure for t in ROUGE_TYPES)
            scores = self._memo[key] = (r1, r2, rl)
        return scores


def evaluate(
    name: str,
    summarise: Callable[[Article], list[str]],
    articles: Sequence[Article],
    rouge: Rouge,
    *,
    is_baseline: bool = False,
) -> Run:
    summarise(articles[0])  # warm the per-language caches outside the timings
    scores: list[Scores] = []
    timings: list[float] = []
    started = time.perf_counter()
    for done, article in enumerate(articles, 1):
        t0 = time.perf_counter()
        sentences = summarise(article)
        timings.append((time.perf_counter() - t0) * 1000)
        scores.append(rouge(done - 1, sentences))
        if done % PROGRESS_EVERY == 0 and done < len(articles):
            _progress(f"  {name}: {done}/{len(articles)}")
    _progress(f"{name}: {len(articles)} articles in {time.perf_counter() - started:.1f}s")
    return Run(name, scores, timings, is_baseline, time_largest(summarise, articles))


def largest_input(articles: Sequence[Article]) -> Article:
    """Articles joined until the summariser's input caps cut them: the most it ever reads."""
    parts: list[str] = []
    size = 0
    for article in itertools.cycle(articles):
        parts.append(article.text)
        size += len(article.text) + 2
        if size > MAX_INPUT_CHARS and len(split_sentences("\n\n".join(parts))) >= MAX_SENTENCES:
            break
    return Article("largest", "\n\n".join(parts), "")


def time_largest(
    summarise: Callable[[Article], list[str]], articles: Sequence[Article], repeats: int = 3
) -> float:
    """Median milliseconds of one summary of the largest input (see ``largest_input``)."""
    article = largest_input(articles)
    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        summarise(article)
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# NewsRank with many weight settings


class NewsRankBench:
    """NewsRank over documents built once, so many weight settings can be scored cheaply.

    The documents are built as ``Summariser`` builds them for NewsRank (same sentence split and
    caps, repeated sentences kept once, the title as a heading), from the summariser's public
    helpers; tests check that the shipped weights pick exactly what the ``newsrank`` algorithm
    picks.
    """

    def __init__(self, articles: Sequence[Article], count: int) -> None:
        self._articles = articles
        self._count = count
        self._tokenizer, self._stemmer, self._stop_words = word_analysis(LANGUAGE)
        self._connectives = CONNECTIVES.get(resolve_language(LANGUAGE), ())
        self._documents: dict[tuple[int, bool], ObjectDocumentModel] = {}

    def summarizer(self, settings: Mapping[str, float]) -> NewsRankSummarizer:
        summarizer = NewsRankSummarizer(self._stemmer, connectives=self._connectives, **settings)
        summarizer.stop_words = self._stop_words
        return summarizer

    def summarise(
        self, index: int, summarizer: NewsRankSummarizer, *, with_title: bool
    ) -> list[str]:
        document = self._document(index, with_title)
        candidates = document.sentences
        if len(candidates) <= self._count:
            return [str(s) for s in candidates]
        position = {sentence: i for i, sentence in enumerate(candidates)}
        picked = sorted(position[s] for s in summarizer(document, self._count))
        return [str(candidates[i]) for i in picked[: self._count]]

    def _document(self, index: int, with_title: bool) -> ObjectDocumentModel:
        key = (index, with_title)
        if key not in self._documents:
            article = self._articles[index]
            title = article.title if with_title else None
            self._documents[key] = build_document(article.text, title, self._tokenizer)
        return self._documents[key]


def build_document(text: str, title: str | None, tokenizer) -> ObjectDocumentModel:
    """A one-paragraph sumy document: the title as heading, each distinct sentence once."""
    items: list[Sentence] = []
    if title and title.strip():
        items.append(Sentence(" ".join(title.split()), tokenizer, is_heading=True))
    for sentence in dict.fromkeys(split_sentences(text, LANGUAGE)):
        items.append(Sentence(sentence, tokenizer))
    return ObjectDocumentModel([Paragraph(items)] if items else [])


def grid_settings(grid: Mapping[str, Sequence[float]]) -> list[Settings]:
    """Every combination of the grid's values, in a fixed order."""
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]


def shipped_settings(names: Sequence[str]) -> Settings:
    """NewsRank's class defaults for the named weights: what the bot runs."""
    return {name: getattr(NewsRankSummarizer, name) for name in names}


def score_settings(
    bench: NewsRankBench,
    rouge: Rouge,
    settings: Sequence[Mapping[str, float]],
    indices: Sequence[int],
    *,
    with_title: bool,
    label: str,
) -> list[list[Scores]]:
    """Per-article scores of every weight setting on the articles at ``indices``."""
    table: list[list[Scores]] = []
    started = time.perf_counter()
    for done, setting in enumerate(settings, 1):
        summarizer = bench.summarizer(setting)
        table.append(
            [rouge(i, bench.summarise(i, summarizer, with_title=with_title)) for i in indices]
        )
        if done % 20 == 0 and done < len(settings):
            _progress(f"  {label}: {done}/{len(settings)} weight settings")
    _progress(f"{label}: {len(settings)} settings in {time.perf_counter() - started:.1f}s")
    return table


# --------------------------------------------------------------------------------------------
# Aggregation


def aggregate(run: Run, indices: Sequence[int]) -> Result:
    """Mean ROUGE and timing percentiles of ``run`` over the articles at ``indices``."""
    scores = [run.scores[i] for i in indices]
    timings = [run.timings[i] for i in indices]
    n = len(scores)
    return Result(
        system=run.system,
        rouge1=sum(s[0] for s in scores) / n,
        rouge2=sum(s[1] for s in scores) / n,
        rouge_lsum=sum(s[2] for s in scores) / n,
        ms_p50=percentile(timings, 0.50),
        ms_p95=percentile(timings, 0.95),
        ms_mean=statistics.fmean(timings),
        ms_largest=run.ms_largest,
        articles=n,
    )


def by_metric(scores: Sequence[Scores], indices: Sequence[int]) -> list[list[float]]:
    """Scores at ``indices`` rearranged as one list per metric, as the bootstrap takes them."""
    return [[scores[i][m] for i in indices] for m in range(len(METRICS))]


def compare(
    system: Sequence[Scores],
    baseline: Sequence[Scores],
    indices: Sequence[int],
    *,
    resamples: int,
    seed: int,
) -> tuple[list[Interval], str]:
    """Bootstrap intervals of ``system - baseline`` per metric, and the verdict on them."""
    intervals = bootstrap_differences(
        by_metric(system, indices), by_metric(baseline, indices), resamples=resamples, seed=seed
    )
    return intervals, verdict(intervals, METRICS)


def groupings(articles: Sequence[Article]) -> list[tuple[str, dict[str, list[int]]]]:
    """Per data set, source and domain: the article indices of each value, where there are
    several values."""
    result = []
    for label, key in (("data set", "dataset"), ("source", "source"), ("domain", "domain")):
        groups: dict[str, list[int]] = {}
        for i, article in enumerate(articles):
            groups.setdefault(getattr(article, key), []).append(i)
        if len(groups) > 1:
            result.append((label, groups))
    return result


def group_list(articles: Sequence[Article]) -> list[tuple[str, list[int]]]:
    """All articles, then each data set, source and domain (where there are several)."""
    rows = [("all articles", list(range(len(articles))))]
    for label, groups in groupings(articles):
        rows += [(f"{label}: {name}", indices) for name, indices in sorted(groups.items())]
    return rows


# --------------------------------------------------------------------------------------------
# Tables


def markdown_table(results: Sequence[Result]) -> str:
    lines = [
        "| System | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | ms p50 | ms p95 | ms largest input |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.system} | {r.rouge1:.2f} | {r.rouge2:.2f} | {r.rouge_lsum:.2f} "
            f"| {r.ms_p50:.1f} | {r.ms_p95:.1f} | {r.ms_largest:.1f} |"
        )
    return "\n".join(lines)


def table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table; ``align`` holds "l" or "r" per column."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


DIFFERENCE_COLUMNS = [f"Δ {m} [95% CI]" for m in METRICS]


def describe_settings(settings: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in settings.items())


# --------------------------------------------------------------------------------------------
# Report sections


@dataclass
class Context:
    articles: list[Article]
    rouge: Rouge
    baseline: Run
    count: int
    resamples: int
    seed: int
    out: dict = field(default_factory=dict)

    @property
    def everything(self) -> list[int]:
        return list(range(len(self.articles)))

    def compare(
        self, scores: Sequence[Scores], indices: Sequence[int] | None = None
    ) -> tuple[list[Interval], str]:
        """``scores`` against the baseline on ``indices`` (default: every article)."""
        chosen = self.everything if indices is None else indices
        return compare(
            scores, self.baseline.scores, chosen, resamples=self.resamples, seed=self.seed
        )


def report_main(ctx: Context, runs: Sequence[Run], *, with_ci: bool) -> None:
    """The table of every system over all articles, and its differences to the baseline."""
    results = sorted(
        (aggregate(run, ctx.everything) for run in runs), key=lambda r: r.rouge1, reverse=True
    )
    print(markdown_table(results))
    ctx.out["results"] = results
    if not with_ci:
        return
    by_name = {run.system: run for run in runs}
    rows = []
    for result in results:
        run = by_name[result.system]
        if run.is_baseline:
            continue
        intervals, outcome = ctx.compare(run.scores)
        result.vs_baseline = [asdict(i) for i in intervals]
        result.verdict = outcome
        rows.append([run.system, *(i.format() for i in intervals), outcome])
    print(
        f"\nDifference to {ctx.baseline.system}: mean of the per-article differences and its 95% "
        f"interval from a paired bootstrap ({ctx.resamples} resamples of the articles, seed "
        f"{ctx.seed}). A win is claimed only when every interval lies above zero.\n"
    )
    print(table(["System", *DIFFERENCE_COLUMNS, "Verdict"], "lrrrl", rows))
    print(
        f"\n{DEFAULT_ALGORITHM}'s weights were chosen on these articles, so its line above is "
        "in-sample; the cross-validated lines below are the estimate for new articles."
    )


def report_groups(ctx: Context, name: str, scores: Sequence[Scores]) -> dict[str, dict]:
    """``scores`` against the baseline on all articles and per data set, source and domain."""
    rows, data = [], {}
    for label, indices in group_list(ctx.articles):
        intervals, outcome = ctx.compare(scores, indices)
        base = statistics.fmean(ctx.baseline.scores[i][0] for i in indices)
        mine = statistics.fmean(scores[i][0] for i in indices)
        cells = [label, str(len(indices)), f"{base:.2f}", f"{mine:.2f}"]
        rows.append([*cells, *(i.format() for i in intervals), outcome])
        data[label] = {
            "articles": len(indices),
            "baseline_rouge1": base,
            "rouge1": mine,
            "differences": [asdict(i) for i in intervals],
            "verdict": outcome,
        }
    header = ["Articles", "n", f"{ctx.baseline.system} ROUGE-1", f"{name} ROUGE-1"]
    print(table([*header, *DIFFERENCE_COLUMNS, "Verdict"], "lrrrrrrl", rows))
    return data


@dataclass
class FamilyResult:
    """One family's cross-validation, and the weights it picks from all the articles."""

    name: str
    settings: int
    held_out: list[Scores]
    intervals: list[Interval]
    verdict: str
    losing_groups: list[str]
    chosen_on_all: Settings

    @property
    def robust_win(self) -> bool:
        return self.verdict == "wins" and not self.losing_groups


def report_cross_validation(ctx: Context, bench: NewsRankBench, folds: int) -> None:
    """k-fold cross-validation of NewsRank's weights, per family, and the default it implies."""
    settings = grid_settings(GRID)
    print(
        f"\n## Cross-validated NewsRank weights\n\n{folds} folds (seed {ctx.seed}, each with a "
        f"share of every data set and source); {len(settings)} weight settings "
        f"({describe_grid(GRID)}), scored without titles; in each fold the weights with the best "
        "mean ROUGE-1 on the other folds score the fold."
    )
    scores = score_settings(
        bench, ctx.rouge, settings, ctx.everything, with_title=False, label="grid"
    )
    split = stratified_folds([(a.dataset, a.source) for a in ctx.articles], folds, seed=ctx.seed)
    results = [
        cross_validate_family(ctx, name, member, settings, scores, split)
        for name, member in FAMILIES.items()
    ]
    report_families(ctx, results)
    report_recommendation(ctx, results)


def describe_grid(grid: Mapping[str, Sequence[float]]) -> str:
    """The grid in one line, so the printed output says what was searched."""
    return "; ".join(
        f"{name} {'/'.join(f'{v:g}' for v in values)}" for name, values in grid.items()
    )


def cross_validate_family(
    ctx: Context,
    name: str,
    member: Callable[[Mapping[str, float]], bool],
    settings: Sequence[Settings],
    scores: Sequence[Sequence[Scores]],
    split: Sequence[Sequence[int]],
) -> FamilyResult:
    """Cross-validates one family on the shared folds and prints its fold and group tables.

    The scores of every setting are computed once for the whole grid; a family only restricts
    which settings each fold may choose from, so families are compared on the same folds.
    """
    members = [c for c, s in enumerate(settings) if member(s)]
    cv = cross_validate([[s[0] for s in scores[c]] for c in members], split)
    held_out: list[Scores] = [(0.0, 0.0, 0.0)] * len(ctx.articles)
    rows = []
    for number, (fold, choice) in enumerate(zip(cv.folds, cv.chosen, strict=True), 1):
        column = scores[members[choice]]
        for i in fold:
            held_out[i] = column[i]
        mine = statistics.fmean(column[i][0] for i in fold)
        base = statistics.fmean(ctx.baseline.scores[i][0] for i in fold)
        chosen = describe_settings(settings[members[choice]])
        rows.append([str(number), str(len(fold)), chosen, f"{mine:.2f}", f"{base:.2f}"])
    print(f"\n### {name}: {len(members)} settings\n")
    header = ["Fold", "n", "Weights chosen on the other folds", "held-out ROUGE-1"]
    print(table([*header, f"{ctx.baseline.system} ROUGE-1"], "rrlrr", rows))
    print(f"\nEach article scored with weights chosen without it, against {ctx.baseline.system}:\n")
    groups = report_groups(ctx, "cross-validated", held_out)
    overall = groups["all articles"]
    best = max(members, key=lambda c: statistics.fmean(s[0] for s in scores[c]))
    ctx.out.setdefault("cross_validation", {})[name] = {
        "settings": len(members),
        "chosen_per_fold": [settings[members[c]] for c in cv.chosen],
        "groups": groups,
        "chosen_on_all_articles": settings[best],
    }
    return FamilyResult(
        name=name,
        settings=len(members),
        held_out=held_out,
        intervals=[Interval(**d) for d in overall["differences"]],
        verdict=overall["verdict"],
        losing_groups=[g for g, d in groups.items() if d["verdict"].startswith("loses")],
        chosen_on_all=settings[best],
    )


def report_families(ctx: Context, results: Sequence[FamilyResult]) -> None:
    """One line per family: the figures the default is chosen by."""
    print(f"\n### Cross-validated families against {ctx.baseline.system}\n")
    rows = [
        [
            r.name,
            *(i.format() for i in r.intervals),
            r.verdict,
            ", ".join(r.losing_groups) or "none",
            describe_settings(r.chosen_on_all),
        ]
        for r in results
    ]
    header = ["Weights", *DIFFERENCE_COLUMNS, "Verdict", "Loses on", "Chosen on all articles"]
    print(table(header, "lrrrlll", rows))


Comparison = Callable[[FamilyResult, FamilyResult], tuple[list[Interval], str]]


def recommend(
    results: Sequence[FamilyResult], compare_families: Comparison
) -> tuple[FamilyResult | None, str]:
    """The family whose weights should be the default, and why.

    ``results`` come simplest family first. A family that wins on every metric and loses on no
    data set, source or domain robustly beats the lead; failing that, the default must at least
    never lose, so the candidates are the families that lose nowhere. Of the candidates the
    simplest is taken, unless a richer one beats it beyond noise on the same held-out articles
    (``compare_families(richer, simpler)`` gives the intervals and verdict): a near tie between
    two families flips with the folds, and then the one with fewer weights to get wrong is the
    safer default. With no candidate, the lead itself.
    """
    robust = [r for r in results if r.robust_win]
    candidates = robust or [r for r in results if not r.losing_groups]
    if not candidates:
        return None, "every family loses somewhere beyond noise: use the lead itself"
    choice = candidates[0]
    for richer in candidates[1:]:
        if compare_families(richer, choice)[1] == "wins":
            choice = richer
    if robust:
        return choice, f"{choice.name} robustly beats the lead"
    reason = f"no family robustly beats the lead; {choice.name} never loses to it beyond noise"
    others = [r.name for r in candidates if r is not choice]
    if others:
        reason += f", and {', '.join(others)} does not beat it beyond noise"
    return choice, reason


def report_recommendation(ctx: Context, results: Sequence[FamilyResult]) -> None:
    """The families against each other, the verdict, and whether the shipped weights follow it."""

    def compare_families(richer: FamilyResult, simpler: FamilyResult) -> tuple[list[Interval], str]:
        return compare(
            richer.held_out,
            simpler.held_out,
            ctx.everything,
            resamples=ctx.resamples,
            seed=ctx.seed,
        )

    rows = []
    for simpler, richer in itertools.pairwise(results):
        intervals, outcome = compare_families(richer, simpler)
        label = f"{richer.name} minus {simpler.name}"
        rows.append([label, *(i.format() for i in intervals), outcome])
    if rows:
        print("\nThe families against each other (cross-validated, paired):\n")
        print(table(["Families", *DIFFERENCE_COLUMNS, "Verdict"], "lrrrl", rows))
    family, reason = recommend(results, compare_families)
    shipped = shipped_settings(list(GRID))
    print(f"\nVerdict: {reason}.")
    if family is not None:
        weights = describe_settings(family.chosen_on_all)
        print(f"Default: NewsRank with the weights this search picks from all articles: {weights}.")
        if family.chosen_on_all == shipped:
            print("The shipped weights are these.")
        else:
            print(f"The shipped weights differ: {describe_settings(shipped)}.")
    ctx.out["verdict"] = {
        "reason": reason,
        "family": family.name if family else None,
        "weights": family.chosen_on_all if family else None,
        "shipped": shipped,
    }


def report_titles(ctx: Context, bench: NewsRankBench, folds: int | None) -> None:
    """What the title term adds, on the articles that have a title, at the shipped weights."""
    titled = [i for i, a in enumerate(ctx.articles) if a.title]
    print(f"\n## Title weight ({len(titled)} articles with a title)\n")
    if not titled:
        print("No article in the data has a title, so the title weight cannot be measured.")
        return
    base = shipped_settings(list(GRID))
    settings = [{**base, "title_weight": w} for w in TITLE_WEIGHTS]
    plain = score_settings(bench, ctx.rouge, [base], titled, with_title=False, label="no title")
    scores = score_settings(bench, ctx.rouge, settings, titled, with_title=True, label="titles")
    shipped = NewsRankSummarizer.title_weight
    print(
        f"NewsRank with its shipped weights; only the title weight varies (shipped: {shipped:g})."
        " Differences are paired over these articles; weight 0 is the summary without a title.\n"
    )
    local = list(range(len(titled)))
    lead_scores = [ctx.baseline.scores[i] for i in titled]
    rows, data = [], {}
    for weight, column in zip(TITLE_WEIGHTS, scores, strict=True):
        own, outcome = compare(column, plain[0], local, resamples=ctx.resamples, seed=ctx.seed)
        vs_lead, _ = compare(column, lead_scores, local, resamples=ctx.resamples, seed=ctx.seed)
        mean = statistics.fmean(s[0] for s in column)
        label = f"{weight:g}" + (" (shipped)" if weight == shipped else "")
        rows.append([label, f"{mean:.2f}", *(i.format() for i in own), outcome])
        rows[-1].append(vs_lead[0].format())
        data[f"{weight:g}"] = {
            "rouge1": mean,
            "vs_no_title": [asdict(i) for i in own],
            "verdict": outcome,
            "vs_baseline_rouge1": asdict(vs_lead[0]),
        }
    header = ["Title weight", "ROUGE-1", *(f"Δ {m} vs no title [95% CI]" for m in METRICS)]
    header += ["Verdict vs no title", f"Δ ROUGE-1 vs {ctx.baseline.system} [95% CI]"]
    print(table(header, "lrrrrlr", rows))
    ctx.out["titles"] = {"articles": len(titled), "by_weight": data}
    if folds:
        report_title_cv(ctx, titled, scores, folds)


def report_title_cv(
    ctx: Context, titled: Sequence[int], scores: Sequence[Sequence[Scores]], folds: int
) -> None:
    """Cross-validates the title weight itself: chosen on k-1 folds of the titled articles."""
    split = stratified_folds([ctx.articles[i].source for i in titled], folds, seed=ctx.seed)
    cv = cross_validate([[s[0] for s in column] for column in scores], split)
    chosen = [TITLE_WEIGHTS[c] for c in cv.chosen]
    lead_r1 = statistics.fmean(ctx.baseline.scores[i][0] for i in titled)
    untitled_r1 = statistics.fmean(s[0] for s in scores[TITLE_WEIGHTS.index(0.0)])
    print(
        f"\nCross-validated title weight ({folds} folds): chosen per fold "
        f"{', '.join(f'{w:g}' for w in chosen)}; held-out ROUGE-1 "
        f"{statistics.fmean(cv.held_out):.2f} (without a title: {untitled_r1:.2f}; "
        f"{ctx.baseline.system}: {lead_r1:.2f})."
    )
    ctx.out["titles"]["cross_validation"] = {
        "chosen": chosen,
        "held_out_rouge1": statistics.fmean(cv.held_out),
    }


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/summaries.py",
        description="ROUGE and speed of Lead-N, NewsRank and every sumy algorithm on news.",
    )
    parser.add_argument("--data", type=Path, action="append", help="JSONL articles (repeatable)")
    parser.add_argument("--meta", type=Path, action="append", help="JSONL extra fields by id")
    parser.add_argument("--limit", type=int, default=None, help="only the first N of each file")
    parser.add_argument("--sentences", type=int, default=3, help="summary length (default 3)")
    parser.add_argument(
        "--algorithms", default=None, help="comma-separated subset of: " + ", ".join(ALGORITHMS)
    )
    parser.add_argument("--ci", action="store_true", help="bootstrap intervals and verdicts")
    parser.add_argument("--cv", type=int, default=None, metavar="K", help="K-fold CV of weights")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="seed of resamples and folds")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results")
    args = parser.parse_args(argv)
    args.data = args.data or list(DEFAULT_DATA)
    args.meta = args.meta if args.meta is not None else [p for p in DEFAULT_META if p.is_file()]
    if args.sentences < 1:
        parser.error("--sentences must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.cv is not None and args.cv < 2:
        parser.error("--cv needs at least 2 folds")
    if args.resamples < 100:
        parser.error("--resamples must be at least 100")
    args.algorithms = _algorithms(parser, args.algorithms)
    for path in [*args.data, *args.meta]:
        if not path.is_file():
            parser.error(f"no data file at {path}")
    return args


def _algorithms(parser: argparse.ArgumentParser, spec: str | None) -> list[str]:
    if not spec:
        return list(ALGORITHMS)
    names = [a.strip() for a in spec.split(",") if a.strip()]
    unknown = [a for a in names if a not in ALGORITHMS]
    if unknown:
        parser.error(f"unknown algorithms {unknown}; valid: {', '.join(ALGORITHMS)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    articles = load_articles(args.data, args.limit, load_meta(args.meta))
    if not articles:
        print("no articles in the data", file=sys.stderr)
        return 1
    rouge = Rouge(articles)
    random.seed(0)  # the "random" baseline is reproducible
    count = args.sentences
    baseline = evaluate(f"lead-{count}", lead(count), articles, rouge, is_baseline=True)
    runs = [baseline] + [
        evaluate(name, sumy_system(name, count), articles, rouge) for name in args.algorithms
    ]
    ctx = Context(articles, rouge, baseline, count, args.resamples, args.seed)
    print_heading(ctx, args.data)
    report_main(ctx, runs, with_ci=args.ci)
    default = next((run for run in runs if run.system == DEFAULT_ALGORITHM), None)
    if args.ci and default is not None:
        print(f"\n### {default.system} (the default) by data set, source and domain\n")
        ctx.out["default_groups"] = report_groups(ctx, default.system, default.scores)
    bench = NewsRankBench(articles, count)
    if args.cv:
        report_cross_validation(ctx, bench, args.cv)
    if args.ci:
        report_titles(ctx, bench, args.cv)
    if args.json is not None:
        ctx.out["results"] = [asdict(r) for r in ctx.out.get("results", [])]
        args.json.write_text(json.dumps(ctx.out, indent=2) + "\n", encoding="utf-8")
        _progress(f"results written to {args.json}")
    return 0


def print_heading(ctx: Context, paths: Sequence[Path]) -> None:
    sizes = ", ".join(
        f"{path.name} {sum(a.dataset == path.stem for a in ctx.articles)}" for path in paths
    )
    titled = sum(1 for a in ctx.articles if a.title)
    print(
        f"{len(ctx.articles)} articles ({sizes}; {titled} with a title), {ctx.count} sentences "
        "per summary, ROUGE F1 x100 (stemmed), time of the summarising call only (one thread; "
        f"the largest input is what the caps let through: {MAX_INPUT_CHARS:,} characters or "
        f"{MAX_SENTENCES} sentences)\n"
    )
    ctx.out.update(
        {
            "articles": len(ctx.articles),
            "with_title": titled,
            "sentences": ctx.count,
            "data": [p.name for p in paths],
            "default_algorithm": DEFAULT_ALGORITHM,
        }
    )


if __name__ == "__main__":
    sys.exit(main())
