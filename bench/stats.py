"""How sure a benchmark difference is: paired bootstrap intervals and k-fold cross-validation.

Why these two: a mean ROUGE difference of a point or less between two summarisers on a couple of
hundred articles can come from which articles happened to be in the sample, and weights picked
on the same articles they are scored on look better than they will on new ones. The paired
bootstrap resamples *articles* (each system keeps its own score on every drawn article), so the
interval shows how much the difference moves with the sample; cross-validation scores each
article only with weights chosen without it.

Pure functions over plain lists of per-article scores, so they can be tested without ROUGE.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CrossValidation",
    "Interval",
    "bootstrap_differences",
    "cross_validate",
    "stratified_folds",
    "verdict",
]

# Resamples are drawn this many at a time, so memory stays small on large samples.
_CHUNK = 1_000


@dataclass(frozen=True)
class Interval:
    """A mean difference and its bootstrap confidence interval (same units as the scores)."""

    mean: float
    low: float
    high: float

    @property
    def above_zero(self) -> bool:
        return self.low > 0

    @property
    def below_zero(self) -> bool:
        return self.high < 0

    def format(self, digits: int = 2) -> str:
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


def bootstrap_differences(
    system: Sequence[Sequence[float]],
    baseline: Sequence[Sequence[float]],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[Interval]:
    """Paired bootstrap of ``system - baseline``, one interval per metric.

    ``system[m][i]`` and ``baseline[m][i]`` are the two systems' scores of metric ``m`` on
    article ``i``. Each resample draws articles with replacement and is shared by every metric,
    so the metrics' intervals describe the same resampled samples. The interval is the
    percentile interval of the resampled mean differences; the mean is the observed one. The
    same seed and article count always draw the same resamples, so two systems compared with
    the same baseline on the same articles see the same samples.
    """
    differences = np.asarray(system, dtype=float) - np.asarray(baseline, dtype=float)
    if differences.ndim != 2 or differences.shape[1] == 0:
        raise ValueError("need scores shaped (metrics, articles) with at least one article")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    count = differences.shape[1]
    rng = np.random.default_rng(seed)
    means = np.empty((differences.shape[0], resamples))
    for start in range(0, resamples, _CHUNK):
        stop = min(start + _CHUNK, resamples)
        drawn = rng.integers(0, count, size=(stop - start, count))
        means[:, start:stop] = differences[:, drawn].mean(axis=2)
    tail = (1 - confidence) / 2 * 100
    lows, highs = np.percentile(means, [tail, 100 - tail], axis=1)
    observed = differences.mean(axis=1)
    return [
        Interval(float(m), float(lo), float(hi))
        for m, lo, hi in zip(observed, lows, highs, strict=True)
    ]


def verdict(intervals: Sequence[Interval], names: Sequence[str]) -> str:
    """ "wins" only when every interval lies above zero; "loses" when any lies below zero.

    Deliberately strict: a default that must never be worse than its baseline counts any metric
    it loses on beyond noise as a loss, and claims a win only when all metrics agree.
    """
    below = [n for n, i in zip(names, intervals, strict=True) if i.below_zero]
    above = [n for n, i in zip(names, intervals, strict=True) if i.above_zero]
    if below:
        return "loses (" + ", ".join(below) + ")"
    if len(above) == len(intervals):
        return "wins"
    if above:
        return "no difference beyond noise (ahead on " + ", ".join(above) + " only)"
    return "no difference beyond noise"


def stratified_folds(labels: Sequence[Hashable], k: int, *, seed: int = 0) -> list[list[int]]:
    """``k`` disjoint folds of the indices of ``labels``, each with a share of every label.

    The indices of each label are shuffled (seeded) and dealt round-robin, continuing where the
    previous label stopped, so fold sizes differ by at most one and every data source appears
    in every fold. Each fold is sorted.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    if len(labels) < k:
        raise ValueError(f"cannot make {k} folds of {len(labels)} items")
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    turn = 0
    for label in dict.fromkeys(labels):  # labels in order of first appearance
        members = [i for i, x in enumerate(labels) if x == label]
        for index in rng.permutation(members):
            folds[turn % k].append(int(index))
            turn += 1
    return [sorted(fold) for fold in folds]


@dataclass(frozen=True)
class CrossValidation:
    """Per-article held-out scores and, per fold, the index of the configuration chosen."""

    held_out: list[float]
    chosen: list[int]
    folds: list[list[int]]


def cross_validate(
    scores: Sequence[Sequence[float]], folds: Sequence[Sequence[int]]
) -> CrossValidation:
    """Choose a configuration on k-1 folds, score it on the fold left out; for every fold.

    ``scores[c][i]`` is configuration ``c``'s score on article ``i``. For each fold the
    configuration with the best mean over the *other* folds is chosen (ties go to the lower
    index) and its scores on the fold's own articles become their held-out scores. So no
    article is ever scored with a configuration chosen on it, and the mean of ``held_out``
    estimates what the selection procedure achieves on articles it has not seen.
    """
    table = np.asarray(scores, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("need scores shaped (configurations, articles)")
    count = table.shape[1]
    seen = sorted(i for fold in folds for i in fold)
    if seen != list(range(count)):
        raise ValueError("folds must partition the articles")
    held_out = [0.0] * count
    chosen: list[int] = []
    for fold in folds:
        training = np.ones(count, dtype=bool)
        training[list(fold)] = False
        if not training.any():
            raise ValueError("every fold needs articles outside it")
        best = int(np.argmax(table[:, training].mean(axis=1)))  # argmax: first of equals
        chosen.append(best)
        for i in fold:
            held_out[i] = float(table[best, i])
    return CrossValidation(held_out, chosen, [list(f) for f in folds])
