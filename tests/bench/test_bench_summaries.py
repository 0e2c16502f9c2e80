"""The summary benchmark's statistics (bootstrap, folds, cross-validation) and its plumbing.

The statistics are pure functions, tested on made-up per-article scores; the plumbing is tested
on the bundled benchmark articles (bench/data/PROVENANCE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.stats import (
    Interval,
    bootstrap_differences,
    cross_validate,
    stratified_folds,
    verdict,
)
from bench.summaries import (
    DEFAULT_DATA,
    DEFAULT_META,
    GRID,
    FamilyResult,
    NewsRankBench,
    grid_settings,
    load_articles,
    load_meta,
    recommend,
    shipped_settings,
)
from bot.news.summarise import Summariser

METRICS = ("ROUGE-1", "ROUGE-2", "ROUGE-Lsum")

# --------------------------------------------------------------------------------------------
# Paired bootstrap


def test_identical_systems_give_an_interval_of_zero() -> None:
    scores = [[40.0, 35.5, 51.0, 20.0, 44.0]] * 3
    intervals = bootstrap_differences(scores, scores, resamples=500)
    assert intervals == [Interval(0.0, 0.0, 0.0)] * 3
    assert verdict(intervals, METRICS) == "no difference beyond noise"


def test_noise_around_the_baseline_gives_an_interval_around_zero() -> None:
    baseline = [[float(30 + i % 17) for i in range(200)]]
    system = [[s + (1.0 if i % 2 else -1.0) for i, s in enumerate(baseline[0])]]
    (interval,) = bootstrap_differences(system, baseline, resamples=2000, seed=3)
    assert interval.mean == pytest.approx(0.0)
    assert interval.low < 0 < interval.high
    assert verdict([interval], ["ROUGE-1"]) == "no difference beyond noise"


def test_better_on_every_article_gives_an_interval_above_zero() -> None:
    baseline = [[float(20 + (7 * i) % 30) for i in range(60)]] * 3
    system = [[s + 0.5 + (i % 3) for i, s in enumerate(row)] for row in baseline]
    intervals = bootstrap_differences(system, baseline, resamples=2000)
    assert all(i.low > 0 for i in intervals)
    assert verdict(intervals, METRICS) == "wins"
    worse = bootstrap_differences(baseline, system, resamples=2000)
    assert all(i.high < 0 for i in worse)
    assert verdict(worse, METRICS) == "loses (ROUGE-1, ROUGE-2, ROUGE-Lsum)"


def test_a_loss_on_any_metric_is_a_loss_and_a_win_needs_all_metrics() -> None:
    up, zero, down = Interval(1, 0.5, 1.5), Interval(0, -1, 1), Interval(-1, -1.5, -0.5)
    assert verdict([up, up, down], METRICS) == "loses (ROUGE-Lsum)"
    assert verdict([up, zero, zero], METRICS).startswith("no difference beyond noise")
    assert "ROUGE-1 only" in verdict([up, zero, zero], METRICS)


def test_the_interval_holds_the_observed_mean_and_is_reproducible() -> None:
    baseline = [[float((13 * i) % 41) for i in range(80)]]
    system = [[float((7 * i) % 43) for i in range(80)]]
    first = bootstrap_differences(system, baseline, resamples=1000, seed=5)
    again = bootstrap_differences(system, baseline, resamples=1000, seed=5)
    assert first == again
    (interval,) = first
    mean = sum(s - b for s, b in zip(system[0], baseline[0], strict=True)) / 80
    assert interval.mean == pytest.approx(mean)
    assert interval.low <= interval.mean <= interval.high


def test_bootstrap_rejects_unusable_input() -> None:
    with pytest.raises(ValueError, match="articles"):
        bootstrap_differences([[]], [[]])
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_differences([[1.0]], [[0.0]], resamples=0)


def test_interval_format() -> None:
    assert Interval(0.5, -0.25, 1.0).format() == "+0.50 [-0.25, +1.00]"


# --------------------------------------------------------------------------------------------
# Folds and cross-validation


def test_folds_partition_the_articles_and_mix_every_source() -> None:
    labels = ["cnn"] * 23 + ["dailymail"] * 61 + ["bbc"] * 40
    folds = stratified_folds(labels, 5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    sizes = [len(fold) for fold in folds]
    assert max(sizes) - min(sizes) <= 1
    for fold in folds:
        assert {labels[i] for i in fold} == {"cnn", "dailymail", "bbc"}
    assert stratified_folds(labels, 5, seed=1) == folds
    assert stratified_folds(labels, 5, seed=2) != folds


def test_folds_need_at_least_two_and_enough_items() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        stratified_folds(["a"] * 10, 1)
    with pytest.raises(ValueError, match="cannot make"):
        stratified_folds(["a"] * 3, 5)


def test_cross_validation_never_scores_a_fold_with_weights_chosen_on_it() -> None:
    """Setting f is perfect on fold f alone: chosen in-sample, never chosen out of sample."""
    folds = stratified_folds(["x"] * 50, 5, seed=0)
    steady = [50.0] * 50
    lucky = [[100.0 if i in fold else 0.0 for i in range(50)] for fold in folds]
    result = cross_validate([*lucky, steady], folds)
    assert result.chosen == [len(lucky)] * 5  # the steady setting, every time
    assert result.held_out == steady


def test_cross_validation_chooses_on_the_other_folds_only() -> None:
    table = [[float((i * (c + 3)) % 11) for i in range(40)] for c in range(6)]
    folds = stratified_folds(["x"] * 40, 4, seed=7)
    result = cross_validate(table, folds)
    for fold, chosen in zip(folds, result.chosen, strict=True):
        training = [i for i in range(40) if i not in fold]
        means = [sum(row[i] for i in training) / len(training) for row in table]
        assert chosen == means.index(max(means))
        assert [result.held_out[i] for i in fold] == [table[chosen][i] for i in fold]


def test_cross_validation_rejects_folds_that_do_not_partition() -> None:
    with pytest.raises(ValueError, match="partition"):
        cross_validate([[1.0, 2.0, 3.0]], [[0], [1]])


# --------------------------------------------------------------------------------------------
# Data and plumbing


@pytest.fixture(scope="module")
def articles():
    return load_articles(DEFAULT_DATA, None, load_meta(DEFAULT_META))


def test_bundled_data_loads_with_domains_and_titles(articles) -> None:
    assert len({a.id for a in articles}) == len(articles)  # the test set is disjoint from dev
    assert {a.dataset for a in articles} == {p.stem for p in DEFAULT_DATA}
    assert {a.source for a in articles} == {"cnn", "dailymail", "bbc"}
    assert {a.domain for a in articles} == {"news", "sport", "features"}
    assert all(a.title for a in articles if a.source != "bbc")
    assert not any(a.title for a in articles if a.source == "bbc")
    for a in articles:
        assert a.text.strip()
        assert a.reference.strip()
        if a.title:  # titles come from the article's address, never from its reference
            assert a.title.lower() not in a.reference.lower()


def test_fields_missing_from_a_record_come_from_the_meta_file(tmp_path: Path) -> None:
    data = tmp_path / "mine.jsonl"
    rows = [
        {"id": "a", "article": "Text one.", "reference": "Ref."},
        {"id": "b", "article": "Text two.", "reference": "Ref.", "title": "Own"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    meta = {"a": {"id": "a", "title": "From meta", "domain": "sport"}, "b": {"title": "Meta"}}
    first, second = load_articles([data], None, meta)
    assert (first.title, first.domain, first.source, first.dataset) == (
        "From meta",
        "sport",
        "unknown",
        "mine",
    )
    assert second.title == "Own"
    assert load_articles([data], 1, {}) == [load_articles([data], None, {})[0]]


def test_grid_holds_every_combination_and_the_shipped_weights() -> None:
    settings = grid_settings(GRID)
    expected = 1
    for values in GRID.values():
        expected *= len(values)
    assert len(settings) == expected
    assert len({tuple(s.items()) for s in settings}) == expected
    assert shipped_settings(list(GRID)) in settings


@pytest.mark.parametrize("with_title", [False, True])
def test_bench_newsrank_picks_what_the_bot_picks(articles, with_title: bool) -> None:
    """The grid scores NewsRank on pre-built documents; at the shipped weights that must be
    exactly the summary the ``newsrank`` algorithm gives."""
    sample = [i for i, a in enumerate(articles) if a.title][:15] + list(range(len(articles)))[-10:]
    bench = NewsRankBench(articles, 3)
    summarizer = bench.summarizer(shipped_settings([*GRID, "title_weight"]))
    summariser = Summariser("newsrank", sentences=3, language="en")
    for i in sample:
        title = articles[i].title if with_title else None
        expected = summariser.summarise(articles[i].text, title=title)
        assert bench.summarise(i, summarizer, with_title=with_title) == expected


def test_bench_weights_change_the_summary(articles) -> None:
    bench = NewsRankBench(articles, 3)
    lead_like = bench.summarizer({"centrality_weight": 0.0, "redundancy": 0.0, "demotion": 1.0})
    central = bench.summarizer({"position_decay": 50.0, "centrality_weight": 5.0})
    differs = [
        i
        for i in range(40)
        if bench.summarise(i, lead_like, with_title=False)
        != bench.summarise(i, central, with_title=False)
    ]
    assert differs


# --------------------------------------------------------------------------------------------
# Choosing the default


def _family(
    name: str, intervals: list[Interval], losing: list[str], level: float = 0
) -> FamilyResult:
    """A family result whose held-out scores are ``level`` on each of 50 articles."""
    outcome = verdict(intervals, METRICS)
    held_out = [(level, level, level)] * 50
    return FamilyResult(name, 1, held_out, intervals, outcome, losing, {"position_decay": 1.0})


def _paired(richer: FamilyResult, simpler: FamilyResult) -> tuple[list[Interval], str]:
    """Paired bootstrap of the two families' held-out scores, as the benchmark compares them."""
    columns = [[[s[m] for s in f.held_out] for m in range(3)] for f in (richer, simpler)]
    intervals = bootstrap_differences(*columns, resamples=200)
    return intervals, verdict(intervals, METRICS)


WIN = [Interval(1, 0.2, 1.8)] * 3
LEVEL = [Interval(0.1, -0.2, 0.4)] * 3


def test_a_robust_win_is_the_default() -> None:
    family, reason = recommend([_family("lead", LEVEL, []), _family("all", WIN, [])], _paired)
    assert family is not None
    assert family.name == "all"
    assert "robustly beats" in reason


def test_a_win_that_loses_on_a_group_is_not_robust() -> None:
    families = [_family("lead", LEVEL, []), _family("all", WIN, ["source: cnn"])]
    family, reason = recommend(families, _paired)
    assert family is not None
    assert family.name == "lead"
    assert "never loses" in reason


def test_without_a_win_the_simplest_safe_family_stays_unless_beaten_beyond_noise() -> None:
    tie = [_family("lead", LEVEL, [], level=30), _family("all", LEVEL, [], level=30)]
    family, reason = recommend(tie, _paired)
    assert family is not None
    assert family.name == "lead"
    assert "all does not beat it" in reason
    better = [_family("lead", LEVEL, [], level=30), _family("all", LEVEL, [], level=31)]
    family, _ = recommend(better, _paired)
    assert family is not None
    assert family.name == "all"


def test_when_every_family_loses_somewhere_the_lead_is_the_default() -> None:
    family, reason = recommend([_family("all", LEVEL, ["domain: news"])], _paired)
    assert family is None
    assert "lead itself" in reason
