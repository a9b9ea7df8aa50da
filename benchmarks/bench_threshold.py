"""Time the metrics at a new threshold: ThresholdTable against scikit-learn.

The product sorts the validation scores once (`ThresholdTable.from_scores`)
and then computes the metrics of each slider move with two binary searches
(`ThresholdTable.at`). The peer recomputes the predictions and
accuracy_score, precision_score, recall_score and f1_score over every row
at each move. Both must give identical values at every threshold, including
thresholds equal to tied scores.

    .venv/bin/python benchmarks/bench_threshold.py [--quick]
"""

from __future__ import annotations

import math
import time

import _timing
import numpy as np
from sklearn import metrics as skm

from core.metrics import ThresholdTable

FIELDS = ("accuracy", "precision", "recall", "f1")


def make_scores(n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Make labels and float32 probabilities, a third of them tied."""
    rng = np.random.default_rng(seed)
    y_true = (rng.random(n_samples) < 0.4).astype(np.int64)
    logits = rng.normal(1.2 * (2 * y_true - 1), 1.5)
    y_score = (1 / (1 + np.exp(-logits))).astype(np.float32)
    tied = rng.random(n_samples) < 1 / 3
    y_score[tied] = np.round(y_score[tied], 2)
    return y_true, y_score


def pick_thresholds(y_score: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """Pick half the thresholds on a regular grid and half among the scores."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 1.0, n - n // 2)
    present = rng.choice(y_score, n // 2, replace=False).astype(np.float64)
    return np.concatenate([grid, present])


def sklearn_move(
    y_true: np.ndarray, y_score: np.ndarray, threshold: float
) -> dict[str, float]:
    """What a slider move costs without a table: predict, then four metrics."""
    y_pred = (y_score >= y_score.dtype.type(threshold)).astype(np.int64)
    return {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, zero_division=np.nan),
        "recall": skm.recall_score(y_true, y_pred, zero_division=np.nan),
        "f1": skm.f1_score(y_true, y_pred, zero_division=np.nan),
    }


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def time_lookups(table: ThresholdTable, thresholds: np.ndarray, rounds: int) -> float:
    """Median seconds of one `at` call, over rounds of all thresholds."""
    values = [float(t) for t in thresholds]
    per_move = []
    for _ in range(rounds):
        started = time.perf_counter()
        for threshold in values:
            table.at(threshold)
        per_move.append((time.perf_counter() - started) / len(values))
    return _timing.median(per_move)


def main() -> None:
    args = _timing.parse_args(__doc__.splitlines()[0])
    n_samples = 100_000 if args.quick else 1_000_000
    n_thresholds = 40 if args.quick else 200
    repeats = args.repeats or (5 if args.quick else 15)
    y_true, y_score = make_scores(n_samples)
    thresholds = pick_thresholds(y_score, n_thresholds)

    build = _timing.interleaved(
        {"from_scores": lambda: ThresholdTable.from_scores(y_true, y_score)}, repeats
    )["from_scores"]
    table = ThresholdTable.from_scores(y_true, y_score)

    # The sklearn moves, one per threshold, are interleaved with rounds of
    # table lookups so both sides see the same machine load.
    sklearn_seconds, lookup_seconds, mismatches = [], [], []
    for i, threshold in enumerate(thresholds):
        started = time.perf_counter()
        expected = sklearn_move(y_true, y_score, threshold)
        sklearn_seconds.append(time.perf_counter() - started)
        got = table.at(threshold)
        if not all(same(getattr(got, k), expected[k]) for k in FIELDS):
            mismatches.append(float(threshold))
        if i % 10 == 0:
            lookup_seconds.append(time_lookups(table, thresholds, rounds=20))
    lookup = _timing.median(lookup_seconds)
    peer = _timing.median(sklearn_seconds)
    speedup = peer / lookup
    n_tied = int(np.isin(thresholds.astype(np.float32), y_score).sum())
    rows_label = f"{n_samples // 1000:,}k" if n_samples < 1e6 else "1M"
    rows = [
        _timing.Row(
            f"metrics at a new threshold, {rows_label} validation rows",
            _timing.duration(lookup),
            _timing.duration(peer),
            f"{speedup:,.0f}x faster",
            ">= 100,000x, <= 10 us",
            speedup >= 100_000 and lookup <= 10e-6,
        ),
        _timing.Row(
            f"identical accuracy/precision/recall/F1 at {len(thresholds)} "
            f"thresholds ({n_tied} equal to a score)",
            f"{len(thresholds) - len(mismatches)} identical",
            "scikit-learn",
            "-",
            "all identical",
            not mismatches,
        ),
        _timing.Row(
            f"precompute: ThresholdTable.from_scores, {rows_label} float32 rows",
            _timing.spread(build),
            "-",
            "-",
            "<= 20 ms",
            _timing.median(build) <= 0.020,
        ),
    ]
    notes = [
        f"lookup: median over {len(lookup_seconds)} rounds of all thresholds; "
        f"scikit-learn: median of {len(sklearn_seconds)} moves, one per threshold",
        "thresholds are cast to the scores' dtype (float32) on both sides",
    ]
    if mismatches:
        notes.append(f"mismatches at thresholds {mismatches[:10]}")
    _timing.report("Threshold slider metrics", rows, notes)


if __name__ == "__main__":
    main()
