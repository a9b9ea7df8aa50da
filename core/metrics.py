"""Classification metrics at a decision threshold, curves and reports.

Values equal scikit-learn's on the same labels with ``zero_division=np.nan``:
an undefined metric is NaN (shown as "undefined"), never a silent 0, and no
UndefinedMetricWarning is raised. A row is a positive prediction when its
score is >= the threshold, as in `core.formulas.apply_threshold`.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn import metrics as skm

from core import formulas
from core.errors import PredictionError, TargetError

logger = logging.getLogger(__name__)

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "fpr")
REPORT_COLUMNS = ["precision", "recall", "f1-score", "support", "note"]
NOTE_ABSENT = "absent from the validation split"
NOTE_NEVER_PREDICTED = "never predicted (precision undefined)"
NOTE_AVERAGE_SKIPS = "skips undefined class values, as scikit-learn does"


class _Formula(NamedTuple):
    label: str
    symbols: str
    undefined_reason: str


_FORMULAS = {
    "accuracy": _Formula("accuracy", "(TP + TN) / (TP + FP + TN + FN)", ""),
    "precision": _Formula("precision", "TP / (TP + FP)", "no positive predictions"),
    "recall": _Formula("recall", "TP / (TP + FN)", "no positive rows"),
    "f1": _Formula(
        "F1",
        "2 × TP / (2 × TP + FP + FN)",
        "no positive rows and no positive predictions",
    ),
    "fpr": _Formula("FPR", "FP / (FP + TN)", "no negative rows"),
}


def _ratio(numerator: int, denominator: int) -> float:
    # Python's int division is correctly rounded, so this equals scikit-learn's
    # float64 division of the same counts bit for bit.
    return numerator / denominator if denominator else math.nan


# Not slotted: `from_counts` fills the instance dict directly, which takes
# about a quarter of the time of the frozen dataclass __init__ and keeps a
# slider move to a few microseconds.
@dataclass(frozen=True)
class ThresholdMetrics:
    """Confusion counts and metrics of a binary classifier at one threshold.

    Build it with `from_counts`. Undefined values are NaN: precision when no
    row is predicted positive, recall when no row is positive. F1 follows
    scikit-learn 1.9's ``f1_score(zero_division=np.nan)``, which computes
    2·TP / (2·TP + FP + FN) from the counts. So F1 is 0, not NaN, when
    precision is undefined but positive rows exist (TP = FP = 0 < FN), or
    when recall is undefined but some rows are predicted positive. F1 is NaN
    only when TP + FP + FN = 0.
    """

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    precision_defined: bool
    recall_defined: bool

    @classmethod
    def from_counts(
        cls, threshold: float, tp: int, fp: int, tn: int, fn: int
    ) -> ThresholdMetrics:
        """Compute the metrics from the four confusion counts."""
        predicted = tp + fp
        actual = tp + fn
        n_samples = predicted + tn + fn
        # The same values as the dataclass __init__ would store (see _ratio),
        # written without its per-field object.__setattr__ calls.
        metrics = object.__new__(cls)
        fields = metrics.__dict__
        fields["threshold"] = float(threshold)
        fields["tp"] = tp
        fields["fp"] = fp
        fields["tn"] = tn
        fields["fn"] = fn
        fields["accuracy"] = (tp + tn) / n_samples if n_samples else math.nan
        fields["precision"] = tp / predicted if predicted else math.nan
        fields["recall"] = tp / actual if actual else math.nan
        fields["f1"] = 2 * tp / (actual + predicted) if actual + predicted else math.nan
        fields["precision_defined"] = predicted > 0
        fields["recall_defined"] = actual > 0
        return metrics

    @property
    def n_samples(self) -> int:
        """Number of rows counted."""
        return self.tp + self.fp + self.tn + self.fn

    @property
    def f1_defined(self) -> bool:
        """Whether F1 is defined, that is TP + FP + FN > 0."""
        return self.tp + self.fp + self.fn > 0

    @property
    def tpr(self) -> float:
        """True positive rate, the same value as recall."""
        return self.recall

    @property
    def fpr(self) -> float:
        """False positive rate FP / (FP + TN), NaN without negative rows."""
        return _ratio(self.fp, self.fp + self.tn)

    @property
    def roc_point(self) -> tuple[float, float]:
        """Point (FPR, TPR) of this threshold on the ROC curve."""
        return (self.fpr, self.recall)

    @property
    def pr_point(self) -> tuple[float, float]:
        """Point (recall, precision) on the precision-recall curve.

        Precision is NaN when nothing is predicted positive. scikit-learn's
        curve draws that end as (0, 1) by convention, so this point has no
        place on the curve and callers should skip it.
        """
        return (self.recall, self.precision)

    def value(self, name: str) -> float:
        """Return the metric called `name`, one of `METRIC_NAMES`."""
        _formula(name)
        return float(getattr(self, name))

    def undefined_reason(self, name: str) -> str | None:
        """Return why metric `name` is undefined, or None when it is defined."""
        formula = _formula(name)
        if math.isnan(self.value(name)):
            return formula.undefined_reason
        return None

    def value_text(self, name: str, digits: int = 3) -> str:
        """Format metric `name` as "0.900" or "undefined (no positive predictions)"."""
        reason = self.undefined_reason(name)
        if reason is not None:
            return f"undefined ({reason})"
        return f"{self.value(name):.{digits}f}"

    def formula_text(self, name: str, digits: int = 3) -> str:
        """Write metric `name` as its formula, the counts filled in, and the value.

        For example "precision = TP / (TP + FP) = 45 / (45 + 5) = 0.900".
        """
        formula = _formula(name)
        counts = {"TP": self.tp, "FP": self.fp, "TN": self.tn, "FN": self.fn}
        filled = formula.symbols
        for symbol, count in counts.items():
            filled = filled.replace(symbol, str(count))
        value = self.value_text(name, digits)
        return f"{formula.label} = {formula.symbols} = {filled} = {value}"


def _formula(name: str) -> _Formula:
    try:
        return _FORMULAS[name]
    except KeyError:
        known = ", ".join(METRIC_NAMES)
        raise ValueError(f"Unknown metric {name!r}. Use one of {known}.") from None


class ThresholdTable:
    """Sorted validation scores that give the metrics at any threshold quickly.

    `from_scores` sorts the scores of positive and of negative rows once, so
    `at` needs two binary searches (O(log n)) instead of a pass over all rows.
    Thresholds are cast to the scores' dtype before comparing, so a float32
    score equal to a threshold given as a Python float counts as positive.
    """

    __slots__ = ("positive_scores", "negative_scores", "dtype", "_cast", "_limit")

    def __init__(self, positive_scores: np.ndarray, negative_scores: np.ndarray):
        """Store ascending-sorted scores of one dtype; use `from_scores` instead."""
        self.positive_scores = positive_scores
        self.negative_scores = negative_scores
        self.dtype = positive_scores.dtype
        self._cast = self.dtype.type
        self._limit = float(np.finfo(self.dtype).max)

    @classmethod
    def from_scores(
        cls, y_true: npt.ArrayLike, y_score: npt.ArrayLike
    ) -> ThresholdTable:
        """Build the table from labels and scores of the same rows.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            1 for a row of the positive class, 0 otherwise (bool is accepted).
        y_score : array-like of shape (n_samples,)
            Score of each row, usually the probability of the positive class.
            Floating dtypes are kept, other types become float64.

        Returns
        -------
        ThresholdTable

        Raises
        ------
        TargetError
            If `y_true` is empty or contains values other than 0 and 1.
        PredictionError
            If `y_score` has another length or non-finite values.
        """
        labels = _binary_labels(y_true)
        scores = _finite_scores(y_score, len(labels))
        is_positive = labels == 1
        # np.compress takes the rows several times faster than a boolean index.
        # Sorting the two halves in two threads was slower on a shared 2-core
        # machine than sorting them one after the other.
        positive = _sorted_scores(np.compress(is_positive, scores))
        negative = _sorted_scores(np.compress(~is_positive, scores))
        positive.setflags(write=False)
        negative.setflags(write=False)
        logger.debug(
            "threshold table: %d positive, %d negative rows",
            *map(len, (positive, negative)),
        )
        return cls(positive, negative)

    @property
    def n_positive(self) -> int:
        """Number of positive rows."""
        return len(self.positive_scores)

    @property
    def n_negative(self) -> int:
        """Number of negative rows."""
        return len(self.negative_scores)

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return self.n_positive + self.n_negative

    def at(self, threshold: float) -> ThresholdMetrics:
        """Compute the metrics when rows with score >= `threshold` are positive.

        Raises
        ------
        PredictionError
            If `threshold` is NaN or not a number.
        """
        cut = self._cast_threshold(threshold)
        # searchsorted(side="left") counts the scores < cut, so every score
        # equal to the threshold stays on the positive side.
        positives_below = int(self.positive_scores.searchsorted(cut))
        negatives_below = int(self.negative_scores.searchsorted(cut))
        return ThresholdMetrics.from_counts(
            threshold,
            tp=len(self.positive_scores) - positives_below,
            fp=len(self.negative_scores) - negatives_below,
            tn=negatives_below,
            fn=positives_below,
        )

    def sweep(self, thresholds: npt.ArrayLike | None = None) -> pd.DataFrame:
        """Tabulate the metrics at many thresholds, for plots and suggestions.

        Parameters
        ----------
        thresholds : array-like, optional
            Thresholds to evaluate. By default every distinct score, in
            ascending order, plus one threshold above the highest score where
            nothing is predicted positive: 1.0, or the next float above the
            highest score when that score is 1.0 or more. Between two
            consecutive default thresholds the metrics keep the value of the
            upper one, so plots draw steps with that value on the left.

        Returns
        -------
        pandas.DataFrame
            One row per threshold with columns threshold, tp, fp, tn, fn,
            accuracy, precision, recall, f1 and fpr (NaN where undefined).
        """
        if thresholds is None:
            requested = self._default_thresholds()
            cuts = requested
        else:
            requested = np.asarray(thresholds, dtype=np.float64).ravel()
            cuts = np.array([self._cast_threshold(t) for t in requested], self.dtype)
        positives_below = np.searchsorted(self.positive_scores, cuts)
        negatives_below = np.searchsorted(self.negative_scores, cuts)
        tp = self.n_positive - positives_below
        fp = self.n_negative - negatives_below
        frame = pd.DataFrame(
            {
                "threshold": requested.astype(np.float64),
                "tp": tp,
                "fp": fp,
                "tn": negatives_below,
                "fn": positives_below,
            }
        )
        frame["accuracy"] = (tp + negatives_below) / self.n_samples
        frame["precision"] = _divide(tp, tp + fp)
        frame["recall"] = _divide(tp, np.full_like(tp, self.n_positive))
        frame["f1"] = _divide(2 * tp, self.n_positive + tp + fp)
        frame["fpr"] = _divide(fp, np.full_like(fp, self.n_negative))
        return frame

    def _default_thresholds(self) -> np.ndarray:
        # Both halves are sorted already. numpy's stable sort (timsort for
        # floats) only merges the two runs, while np.unique sorts from scratch.
        both = [self.positive_scores, self.negative_scores]
        merged = np.sort(np.concatenate(both), kind="stable")
        scores = merged[np.append(True, merged[1:] != merged[:-1])]
        one = self._cast(1.0)
        above = np.nextafter(scores[-1], self._cast(np.inf))
        return np.append(scores, max(one, above)).astype(self.dtype)

    def _cast_threshold(self, threshold: float) -> np.floating:
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            raise PredictionError(
                f"The threshold must be a number, got {threshold!r}."
            ) from None
        if math.isnan(value):
            raise PredictionError("The threshold is NaN. Choose a number such as 0.5.")
        # Clamping first avoids numpy's overflow warning on a cast to float32.
        # An infinite threshold gives the same counts as the huge one.
        if abs(value) > self._limit:
            value = math.copysign(math.inf, value)
        return self._cast(value)


# Below this many rows numpy's quicksort is about as fast as the radix sort.
RADIX_MIN_ROWS = 32_768

# Per dtype: whether the radix sort beat np.sort on this machine.
_radix_is_faster: dict[str, bool] = {}


def _sorted_scores(values: np.ndarray) -> np.ndarray:
    """Return a sorted copy of the finite 1-D float array `values`.

    numpy 2.4's quicksort of 32- and 64-bit floats took 35-40 ns per row on
    a 2-core AMD EPYC, whose AVX-512 compress-store is slow, while its
    stable sort of 16-bit integers is a linear-time radix sort. Sorting the
    float bit patterns by 16-bit digits, lowest digit first, with that
    stable sort gives the same values in half the time there. Elsewhere
    numpy's sort can be the faster one, so the first large sort of each
    dtype times both on a sample and keeps the faster.
    """
    dtype = values.dtype
    if (
        dtype.itemsize not in (4, 8)
        or not dtype.isnative
        or sys.byteorder != "little"
        or len(values) < RADIX_MIN_ROWS
        or not _radix_pays(dtype)
    ):
        return np.sort(values)
    return _radix_sort(values)


def _radix_pays(dtype: np.dtype) -> bool:
    if dtype.str not in _radix_is_faster:
        sample = np.random.default_rng(0).random(2 * RADIX_MIN_ROWS).astype(dtype)
        quick = min(_seconds(np.sort, sample) for _ in range(3))
        radix = min(_seconds(_radix_sort, sample) for _ in range(3))
        _radix_is_faster[dtype.str] = radix < 0.8 * quick
        logger.debug(
            "sorting %s scores: np.sort %.2f ms, radix %.2f ms",
            dtype,
            quick * 1e3,
            radix * 1e3,
        )
    return _radix_is_faster[dtype.str]


def _seconds(sort: Callable[[np.ndarray], np.ndarray], values: np.ndarray) -> float:
    started = time.perf_counter()
    sort(values)
    return time.perf_counter() - started


def _radix_sort(values: np.ndarray) -> np.ndarray:
    """Sort finite native little-endian 32- or 64-bit floats by 16-bit digits."""
    dtype = values.dtype
    n_digits = dtype.itemsize // 2
    unsigned = np.dtype(f"u{dtype.itemsize}")
    keys = values.view(unsigned)
    sign = unsigned.type(1 << (16 * n_digits - 1))
    negative = keys >= sign
    flipped = bool(negative.any())
    if flipped:
        # Flipping every bit of a negative float and the sign bit of any
        # other makes unsigned order equal float order (-0.0 before 0.0).
        keys = np.where(negative, ~keys, keys | sign)
    for position in range(n_digits):
        # On a little-endian machine uint16 number `position` of each key is
        # its digit of that rank, lowest first.
        digit = keys.view(np.uint16)[position::n_digits]
        keys = keys.take(np.argsort(digit, kind="stable"))
    if flipped:
        keys = np.where(keys >= sign, keys ^ sign, ~keys)
    return keys.view(dtype)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@dataclass(frozen=True, eq=False)
class Curve:
    """Points of an ROC or precision-recall curve, with the area under it.

    `thresholds[i]` is the threshold of point i. When the curve is undefined,
    `note` gives the reason, the arrays are empty and `auc` is NaN.
    """

    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    auc: float
    note: str = ""


def _undefined_curve(note: str) -> Curve:
    empty = np.empty(0)
    return Curve(x=empty, y=empty, thresholds=empty, auc=math.nan, note=note)


def roc_curve_points(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> Curve:
    """Compute the ROC curve: x is the false positive rate, y the true positive rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for a positive row, 0 otherwise.
    y_score : array-like of shape (n_samples,)
        Score of each row.

    Returns
    -------
    Curve
        scikit-learn's ``roc_curve`` points, thresholds descending from +inf
        (no row positive), and ``auc`` the ROC AUC. Without positive or
        without negative rows the curve is undefined, and `note` gives the reason.
    """
    labels = _binary_labels(y_true)
    scores = _finite_scores(y_score, len(labels))
    if not labels.any():
        return _undefined_curve("ROC curve undefined: there are no positive rows.")
    if labels.all():
        return _undefined_curve("ROC curve undefined: there are no negative rows.")
    fpr, tpr, thresholds = skm.roc_curve(labels, scores)
    return Curve(x=fpr, y=tpr, thresholds=thresholds, auc=float(skm.auc(fpr, tpr)))


def pr_curve_points(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> Curve:
    """Compute the precision-recall curve: x is recall, y is precision.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for a positive row, 0 otherwise.
    y_score : array-like of shape (n_samples,)
        Score of each row.

    Returns
    -------
    Curve
        scikit-learn's ``precision_recall_curve`` points with thresholds
        ascending. Its last point (recall 0, precision 1 by convention) has
        no threshold, so +inf is appended to keep the arrays aligned. ``auc``
        is the average precision. Without positive rows the curve is
        undefined, and `note` gives the reason.
    """
    labels = _binary_labels(y_true)
    scores = _finite_scores(y_score, len(labels))
    if not labels.any():
        return _undefined_curve(
            "Precision-recall curve undefined: there are no positive rows."
        )
    precision, recall, thresholds = skm.precision_recall_curve(labels, scores)
    thresholds = np.append(thresholds.astype(np.float64), np.inf)
    average_precision = float(skm.average_precision_score(labels, scores))
    return Curve(x=recall, y=precision, thresholds=thresholds, auc=average_precision)


def classification_report_frame(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, class_names: list[str]
) -> pd.DataFrame:
    """Tabulate precision, recall, F1 and support per class, as scikit-learn's report.

    Every class in `class_names` gets a row, even when it is absent from
    `y_true`. Undefined values are NaN (``zero_division=np.nan``), and the
    macro and weighted averages skip them, as scikit-learn 1.9 does.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Class codes, 0 to ``len(class_names) - 1``.
    class_names : list of str
        Display name of each class code, in code order.

    Returns
    -------
    pandas.DataFrame
        Index: the class names, then "accuracy", "macro avg", "weighted avg".
        Columns: precision, recall, f1-score, support, note. The accuracy row
        carries the accuracy under f1-score and NaN under precision and recall.
        The note marks a class "absent from the validation split" (support 0)
        or "never predicted (precision undefined)".

    Raises
    ------
    TargetError
        If a code is outside the class range, or `class_names` has repeats.
    """
    names = _class_names(class_names)
    truth = _class_codes(y_true, len(names), "y_true")
    predicted = _class_codes(y_pred, len(names), "y_pred")
    if len(predicted) != len(truth):
        raise PredictionError(
            f"y_pred has length {len(predicted)} but y_true has length {len(truth)}."
        )
    return _report_frame(truth, predicted, names, sample_weight=None)


def _report_frame(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: list[str],
    sample_weight: np.ndarray | None,
) -> pd.DataFrame:
    options = {
        "labels": list(range(len(names))),
        "zero_division": np.nan,
        "sample_weight": sample_weight,
    }
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, **options
    )
    n_predicted = np.bincount(y_pred, weights=sample_weight, minlength=len(names))
    rows = _class_rows(names, precision, recall, f1, support, n_predicted)

    total = support.sum()
    accuracy = skm.accuracy_score(y_true, y_pred, sample_weight=sample_weight)
    rows["accuracy"] = [math.nan, math.nan, accuracy, total, ""]

    has_undefined = bool(np.isnan([precision, recall, f1]).any())
    average_note = NOTE_AVERAGE_SKIPS if has_undefined else ""
    for average in ("macro", "weighted"):
        scores = skm.precision_recall_fscore_support(
            y_true, y_pred, average=average, **options
        )
        rows[f"{average} avg"] = [*scores[:3], total, average_note]

    frame = pd.DataFrame.from_dict(rows, orient="index", columns=REPORT_COLUMNS)
    # Weighted supports are float sums of whole counts.
    frame["support"] = frame["support"].round().astype(np.int64)
    return frame


def _class_rows(
    names: list[str],
    precision: np.ndarray,
    recall: np.ndarray,
    f1: np.ndarray,
    support: np.ndarray,
    n_predicted: np.ndarray,
) -> dict[str, list[object]]:
    rows: dict[str, list[object]] = {}
    for code, name in enumerate(names):
        notes = []
        if support[code] == 0:
            notes.append(NOTE_ABSENT)
        if n_predicted[code] == 0:
            notes.append(NOTE_NEVER_PREDICTED)
        note = "; ".join(notes)
        rows[name] = [precision[code], recall[code], f1[code], support[code], note]
    return rows


def confusion_matrix_frame(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, class_names: list[str]
) -> pd.DataFrame:
    """Count rows per (true class, predicted class): rows true, columns predicted.

    Raises
    ------
    TargetError
        If a code is outside the class range, or `class_names` has repeats.
    """
    names = _class_names(class_names)
    truth = _class_codes(y_true, len(names), "y_true")
    predicted = _class_codes(y_pred, len(names), "y_pred")
    counts = skm.confusion_matrix(truth, predicted, labels=list(range(len(names))))
    frame = pd.DataFrame(counts, index=names, columns=names)
    frame.index.name = "true"
    frame.columns.name = "predicted"
    return frame


@dataclass
class MulticlassMetrics:
    """Metrics of a multiclass classifier whose prediction is the argmax class."""

    accuracy: float
    y_pred: np.ndarray
    confusion: pd.DataFrame
    report: pd.DataFrame
    cross_entropy: float


def multiclass_metrics(
    y_true: npt.ArrayLike, y_proba: npt.ArrayLike, class_names: list[str]
) -> MulticlassMetrics:
    """Predict the most probable class per row and score the predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class codes, 0 to ``len(class_names) - 1``.
    y_proba : array-like of shape (n_samples, n_classes)
        Softmax probabilities, one column per class in code order. A tie
        goes to the lowest class code, as ``np.argmax`` breaks it.
    class_names : list of str
        Display name of each class code.

    Returns
    -------
    MulticlassMetrics
        Accuracy, argmax predictions, confusion matrix, classification report
        and the mean cross-entropy -log p[y_true].

    Raises
    ------
    TargetError, PredictionError
        If the codes or the probability matrix do not fit `class_names`.
    """
    names = _class_names(class_names)
    truth = _class_codes(y_true, len(names), "y_true")
    proba = np.asarray(y_proba, dtype=np.float64)
    if proba.shape != (len(truth), len(names)):
        raise PredictionError(
            f"y_proba has shape {proba.shape}, expected ({len(truth)}, {len(names)}): "
            "one row per label and one column per class."
        )
    if not np.isfinite(proba).all():
        raise PredictionError(
            "y_proba contains NaN or infinite probabilities; retrain the model "
            "with a lower learning rate."
        )
    y_pred = np.argmax(proba, axis=1)
    return MulticlassMetrics(
        accuracy=float(skm.accuracy_score(truth, y_pred)),
        y_pred=y_pred,
        confusion=confusion_matrix_frame(truth, y_pred, names),
        report=_report_frame(truth, y_pred, names, sample_weight=None),
        cross_entropy=float(formulas.cross_entropy(truth, proba).mean()),
    )


def binary_report(
    table_or_y_true: ThresholdTable | npt.ArrayLike,
    y_score: npt.ArrayLike | None,
    threshold: float,
    class_names: list[str],
    pos_label_index: int = 1,
) -> pd.DataFrame:
    """Build the classification report of a binary classifier at `threshold`.

    Parameters
    ----------
    table_or_y_true : ThresholdTable or array-like of shape (n_samples,)
        A table from `ThresholdTable.from_scores` (then `y_score` is None),
        or the class codes 0 and 1 of each row.
    y_score : array-like of shape (n_samples,) or None
        Probability of class ``class_names[pos_label_index]`` per row.
    threshold : float
        Rows with a score >= `threshold` are predicted as the positive class.
    class_names : list of str
        The two class names in code order.
    pos_label_index : int, default=1
        Code of the positive class.

    Returns
    -------
    pandas.DataFrame
        As `classification_report_frame`. With a table, the report is built
        from the four confusion counts (as sample weights), so it takes the
        same time for any number of rows.

    Raises
    ------
    TargetError, PredictionError
        If the inputs do not describe two classes.
    """
    names = _class_names(class_names)
    if len(names) != 2:
        raise TargetError(f"A binary report needs 2 class names, got {len(names)}.")
    if pos_label_index not in (0, 1):
        raise TargetError(f"pos_label_index must be 0 or 1, got {pos_label_index!r}.")
    positive, negative = pos_label_index, 1 - pos_label_index
    if isinstance(table_or_y_true, ThresholdTable):
        if y_score is not None:
            raise PredictionError("Pass y_score=None together with a ThresholdTable.")
        m = table_or_y_true.at(threshold)
        y_true = np.array([positive, positive, negative, negative])
        y_pred = np.array([positive, negative, positive, negative])
        weights = np.array([m.tp, m.fn, m.fp, m.tn], dtype=np.float64)
        return _report_frame(y_true, y_pred, names, sample_weight=weights)
    truth = _class_codes(table_or_y_true, 2, "y_true")
    scores = _finite_scores(y_score, len(truth))
    is_positive = formulas.apply_threshold(scores, threshold).astype(bool)
    y_pred = np.where(is_positive, positive, negative)
    return _report_frame(truth, y_pred, names, sample_weight=None)


def _class_names(class_names: list[str]) -> list[str]:
    names = [str(name) for name in class_names]
    if not names:
        raise TargetError("class_names is empty. Pass one name per class code.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TargetError(f"class_names repeats {repeated}. Each name must be unique.")
    return names


def _class_codes(values: npt.ArrayLike, n_classes: int, name: str) -> np.ndarray:
    codes = np.asarray(values)
    if codes.ndim != 1 or codes.size == 0:
        raise TargetError(
            f"{name} must be a non-empty 1-D array of class codes, "
            f"got shape {codes.shape}."
        )
    if codes.dtype.kind == "b":
        return codes.astype(np.int64)
    if codes.dtype.kind not in "iuf":
        raise TargetError(
            f"{name} must contain class codes 0 to {n_classes - 1}, got "
            f"{codes.dtype} values such as {codes[0]!r}. Encode the target first."
        )
    if codes.dtype.kind in "iu" and codes.min() >= 0 and codes.max() < n_classes:
        return codes.astype(np.int64, copy=False)
    # Checking finiteness first keeps NaN out of the remainder, which would warn.
    valid = np.isfinite(codes)
    valid[valid] = (codes[valid] >= 0) & (codes[valid] < n_classes)
    valid[valid] = codes[valid] % 1 == 0
    if not valid.all():
        bad = np.unique(codes[~valid])[:5].tolist()
        raise TargetError(
            f"{name} must contain class codes 0 to {n_classes - 1}, got {bad}. "
            "Encode the target so that codes index the class names."
        )
    return codes.astype(np.int64)


def _binary_labels(y_true: npt.ArrayLike) -> np.ndarray:
    return _class_codes(y_true, 2, "y_true")


def _finite_scores(y_score: npt.ArrayLike | None, n_rows: int) -> np.ndarray:
    if y_score is None:
        raise PredictionError("y_score is missing; pass one score per row.")
    scores = np.asarray(y_score)
    if not np.issubdtype(scores.dtype, np.floating):
        try:
            scores = scores.astype(np.float64)
        except (TypeError, ValueError):
            raise PredictionError(
                f"y_score must contain numbers, got {scores.dtype} values."
            ) from None
    if scores.shape != (n_rows,):
        raise PredictionError(
            f"y_score has shape {scores.shape}, expected ({n_rows},): "
            "one score per label."
        )
    finite = np.isfinite(scores)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0])
        raise PredictionError(
            f"y_score contains {int((~finite).sum())} NaN or infinite values "
            f"(first at index {first}); retrain the model with a lower "
            "learning rate."
        )
    return scores
