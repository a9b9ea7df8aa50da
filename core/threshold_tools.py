"""Tools for choosing a decision threshold from validation probabilities.

Everything here reads the cached validation scores (a `ThresholdTable` or
the probability arrays); nothing retrains. Suggested thresholds, an
abstain band of probabilities sent to review, a reliability curve with the
Brier score, and the minimum-expected-cost rule for a multiclass cost
matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import brier_score_loss

from core.errors import ExplorerError
from core.metrics import ThresholdMetrics, ThresholdTable

REVIEW_LABEL = "review"

# The Evaluate page's slider moves in steps of 0.01, so suggestions are
# picked on that grid by default: a button can then set the slider exactly.
SLIDER_GRID = np.round(np.linspace(0.0, 1.0, 101), 2)


@dataclass(frozen=True)
class Suggestion:
    """A threshold picked by a named rule, with its metrics and the reason."""

    rule: str
    threshold: float
    metrics: ThresholdMetrics
    reason: str


def _pick(sweep: pd.DataFrame, score: pd.Series, maximize: bool) -> pd.Series | None:
    # Ties go to the highest threshold, which predicts fewer rows positive.
    valid = score.notna()
    if not valid.any():
        return None
    best = score[valid].max() if maximize else score[valid].min()
    rows = sweep[valid & np.isclose(score, best, rtol=0, atol=1e-12)]
    return rows.iloc[-1]


def suggest_thresholds(
    table: ThresholdTable,
    cost_fp: float = 1.0,
    cost_fn: float = 1.0,
    min_recall: float | None = None,
    min_precision: float | None = None,
    grid: npt.ArrayLike | None = SLIDER_GRID,
) -> list[Suggestion]:
    """Suggest thresholds by max F1, max Youden's J, min cost and a target rate.

    Parameters
    ----------
    table : ThresholdTable
        Validation scores of the positive class.
    cost_fp, cost_fn : float
        Cost of one false positive and of one false negative, >= 0.
    min_recall : float, optional
        Suggest the highest threshold whose recall is still >= this.
    min_precision : float, optional
        Suggest the lowest threshold whose precision is >= this, which keeps
        the most recall among those that reach it.
    grid : array-like or None
        Candidate thresholds; None uses every distinct score.

    Returns
    -------
    list of Suggestion
        In the order max F1, Youden's J, min cost, then the target rules;
        a rule that no threshold satisfies is left out.
    """
    _check_costs(cost_fp, cost_fn)
    sweep = table.sweep(grid).sort_values("threshold").reset_index(drop=True)
    youden = sweep["recall"] - sweep["fpr"]
    cost = sweep["fp"] * cost_fp + sweep["fn"] * cost_fn
    rules = [
        (
            "max F1",
            _pick(sweep, sweep["f1"], True),
            "highest F1 = 2TP / (2TP + FP + FN)",
        ),
        ("max Youden's J", _pick(sweep, youden, True), "highest TPR - FPR"),
        (
            "min cost",
            _pick(sweep, cost, False),
            f"lowest total cost {cost_fp:g} x FP + {cost_fn:g} x FN",
        ),
    ]
    if min_recall is not None:
        reached = sweep[sweep["recall"] >= min_recall]
        row = reached.iloc[-1] if len(reached) else None
        rules.append(
            ("recall target", row, f"highest threshold with recall >= {min_recall:g}")
        )
    if min_precision is not None:
        reached = sweep[sweep["precision"] >= min_precision]
        row = reached.iloc[0] if len(reached) else None
        rules.append(
            (
                "precision target",
                row,
                f"lowest threshold with precision >= {min_precision:g}",
            )
        )
    return [
        Suggestion(
            name, float(row["threshold"]), table.at(float(row["threshold"])), reason
        )
        for name, row, reason in rules
        if row is not None
    ]


def _check_costs(cost_fp: float, cost_fn: float) -> None:
    for name, value in (("false positive", cost_fp), ("false negative", cost_fn)):
        if not (math.isfinite(value) and value >= 0):
            raise ExplorerError(
                f"invalid cost of a {name} {value!r}; use a number >= 0"
            )


@dataclass(frozen=True)
class BandMetrics:
    """Metrics when rows with lower <= p < upper are sent to review.

    Every other row is labelled by the threshold: positive when p >= the
    threshold. With the threshold inside the band (the usual choice, and
    what `threshold=None` means) that is p >= upper positive and p < lower
    negative. `metrics` counts the decided rows only.
    """

    lower: float
    upper: float
    n_review: int
    n_samples: int
    metrics: ThresholdMetrics

    @property
    def review_share(self) -> float:
        """Share of rows sent to review."""
        return self.n_review / self.n_samples if self.n_samples else math.nan

    @property
    def n_decided(self) -> int:
        """Number of rows that get a label."""
        return self.n_samples - self.n_review


def check_band(lower: float, upper: float) -> None:
    """Raise ExplorerError unless 0 <= lower <= upper <= 1."""
    if not (0.0 <= lower <= upper <= 1.0):
        raise ExplorerError(
            f"invalid abstain band [{lower!r}, {upper!r}); use 0 <= lower <= "
            "upper <= 1, for example 0.4 to 0.6"
        )


def _band_threshold(upper: float, threshold: float | None) -> float:
    # Any threshold inside [lower, upper] labels the decided rows alike, so
    # None stands for upper.
    if threshold is None:
        return float(upper)
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise ExplorerError(
            f"invalid threshold {threshold!r}; use a probability from 0 to 1"
        )
    return value


def _decided_counts(
    scores: np.ndarray, low: np.floating, high: np.floating, cut: np.floating
) -> tuple[int, int]:
    # searchsorted(side="left") counts the scores < value, so a score equal
    # to `high` or `cut` stays on the upper side, as p >= upper and p >= t do.
    below_low, below_high, below_cut = (
        int(scores.searchsorted(value)) for value in (low, high, cut)
    )
    n_review = below_high - below_low
    # Rows with p >= cut that the band still takes: max(cut, low) <= p < high.
    review_above_cut = max(0, below_high - max(below_cut, below_low))
    n_positive = len(scores) - below_cut - review_above_cut
    n_negative = len(scores) - n_review - n_positive
    return n_positive, n_negative


def band_metrics(
    table: ThresholdTable,
    lower: float,
    upper: float,
    threshold: float | None = None,
) -> BandMetrics:
    """Count the review band and compute the metrics on the decided rows.

    Parameters
    ----------
    table : ThresholdTable
        Validation scores of the positive class.
    lower, upper : float
        The band [lower, upper) of probabilities sent to review.
    threshold : float, optional
        Labels the rows outside the band (positive when p >= threshold).
        None means a threshold inside the band.

    Returns
    -------
    BandMetrics

    Raises
    ------
    ExplorerError
        If the band is not 0 <= lower <= upper <= 1 or the threshold is
        outside [0, 1].
    """
    check_band(lower, upper)
    cut_value = _band_threshold(upper, threshold)
    cast = table.dtype.type
    low, high, cut = cast(lower), cast(upper), cast(cut_value)
    tp, fn = _decided_counts(table.positive_scores, low, high, cut)
    fp, tn = _decided_counts(table.negative_scores, low, high, cut)
    decided = ThresholdMetrics.from_counts(cut_value, tp=tp, fp=fp, tn=tn, fn=fn)
    n_review = table.n_samples - decided.n_samples
    return BandMetrics(float(lower), float(upper), n_review, table.n_samples, decided)


def band_labels(
    y_proba: npt.ArrayLike,
    lower: float,
    upper: float,
    threshold: float | None = None,
) -> np.ndarray:
    """Return 1, 0 or -1 (review) per row for the band [lower, upper).

    A row outside the band is 1 when p >= `threshold`; None means a
    threshold inside the band.
    """
    check_band(lower, upper)
    cut = _band_threshold(upper, threshold)
    p = np.asarray(y_proba)
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    cast = p.dtype.type
    labels = (p >= cast(cut)).astype(np.int64)
    labels[(p >= cast(lower)) & (p < cast(upper))] = -1
    return labels


# Up to this many validation rows the sweep uses every distinct score, so
# its steps are exact. Above it the slider's 0.01 grid keeps the plot small.
SWEEP_MAX_EXACT_ROWS = 2_000


def sweep_for_plot(
    table: ThresholdTable, max_exact_rows: int = SWEEP_MAX_EXACT_ROWS
) -> pd.DataFrame:
    """Tabulate the metrics for the threshold plot.

    Every distinct score is a threshold when the table has at most
    `max_exact_rows` rows; larger tables use `SLIDER_GRID`.
    """
    grid = None if table.n_samples <= max_exact_rows else SLIDER_GRID
    return table.sweep(grid)


@dataclass(frozen=True)
class Reliability:
    """Reliability curve: per bin, mean predicted probability and observed rate."""

    table: pd.DataFrame  # bin_lower, bin_upper, mean_predicted, observed, count
    brier: float


def reliability_curve(
    y_true: npt.ArrayLike, y_proba: npt.ArrayLike, n_bins: int = 10
) -> Reliability:
    """Bin probabilities into `n_bins` equal-width bins and compare with outcomes.

    Bins are closed on the left, with 1.0 in the last bin; empty bins are
    kept with count 0 and NaN rates. The Brier score is the mean of
    (p - y)^2, from scikit-learn's brier_score_loss.
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_proba, dtype=np.float64)
    if len(y) == 0 or len(y) != len(p):
        raise ExplorerError(
            f"reliability needs labels and probabilities of the same rows; got "
            f"{len(y)} labels and {len(p)} probabilities"
        )
    if n_bins < 1:
        raise ExplorerError(f"invalid number of bins {n_bins!r}; use 1 or more")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(bins, weights=p, minlength=n_bins) / count
        observed = np.bincount(bins, weights=y, minlength=n_bins) / count
    table = pd.DataFrame(
        {
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "mean_predicted": mean_predicted,
            "observed": observed,
            "count": count,
        }
    )
    return Reliability(table, float(brier_score_loss(y, p)))


def check_cost_matrix(cost: npt.ArrayLike, n_classes: int) -> np.ndarray:
    """Return `cost` as a float (K, K) array or raise ExplorerError.

    ``cost[i, j]`` is the cost of predicting class j for a row of class i.
    """
    matrix = np.asarray(cost, dtype=np.float64)
    if matrix.shape != (n_classes, n_classes):
        raise ExplorerError(
            f"the cost matrix must be {n_classes} x {n_classes} (true class by "
            f"predicted class), got shape {matrix.shape}"
        )
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ExplorerError(
            "every cost must be a finite number >= 0; fix the highlighted cells"
        )
    return matrix


def min_cost_predictions(y_proba: npt.ArrayLike, cost: npt.ArrayLike) -> np.ndarray:
    """Predict the class with the lowest expected cost for each row.

    The expected cost of predicting j is sum_i p_i * cost[i, j]. With cost 0
    on the diagonal and 1 elsewhere this is the argmax of the probabilities.
    """
    proba = np.asarray(y_proba, dtype=np.float64)
    matrix = check_cost_matrix(cost, proba.shape[1])
    return np.argmin(proba @ matrix, axis=1)


def expected_cost(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, cost: npt.ArrayLike
) -> float:
    """Return the mean cost of the predictions under the cost matrix."""
    matrix = np.asarray(cost, dtype=np.float64)
    return float(np.mean(matrix[np.asarray(y_true), np.asarray(y_pred)]))
