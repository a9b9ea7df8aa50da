import io
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from core.errors import PredictionError, TargetError
from core.formulas import apply_threshold, softmax
from core.metrics import (
    NOTE_ABSENT,
    NOTE_AVERAGE_SKIPS,
    NOTE_NEVER_PREDICTED,
    ThresholdMetrics,
    ThresholdTable,
    binary_report,
    classification_report_frame,
    confusion_matrix_frame,
    multiclass_metrics,
    pr_curve_points,
    roc_curve_points,
)

# Every metric here passes zero_division explicitly, so any warning is a bug.
pytestmark = pytest.mark.filterwarnings("error")

DATA = Path(__file__).resolve().parents[1] / "data"

# Few distinct values, so that hypothesis draws many tied scores.
SCORE_POOL = [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.92, 0.999, 1.0]


def same(actual: float, expected: float) -> bool:
    """Compare exactly, with NaN equal to NaN."""
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected


def sklearn_metrics(y_true, y_pred) -> dict:
    tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return {
        "tp": int(tp),
        "fp": int(fp),
        "tn": int(tn),
        "fn": int(fn),
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, zero_division=np.nan),
        "recall": skm.recall_score(y_true, y_pred, zero_division=np.nan),
        "f1": skm.f1_score(y_true, y_pred, zero_division=np.nan),
    }


def assert_matches_sklearn(metrics: ThresholdMetrics, y_true, y_pred) -> None:
    assert_fields_equal(metrics, sklearn_metrics(y_true, y_pred))


def assert_fields_equal(metrics: ThresholdMetrics, expected: dict) -> None:
    for name, value in expected.items():
        assert same(getattr(metrics, name), value), name
    assert metrics.precision_defined == (expected["tp"] + expected["fp"] > 0)
    assert metrics.recall_defined == (expected["tp"] + expected["fn"] > 0)


@st.composite
def scored_rows(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_rows = draw(st.integers(1, 30))
    y_true = draw(st.lists(st.integers(0, 1), min_size=n_rows, max_size=n_rows))
    score = st.one_of(st.sampled_from(SCORE_POOL), st.floats(0.0, 1.0))
    scores = draw(st.lists(score, min_size=n_rows, max_size=n_rows))
    y_score = np.array(scores, dtype=dtype)
    # Thresholds equal to scores, both as given and as the stored dtype value,
    # their float neighbours, and values outside the scores' range.
    picked = draw(st.lists(st.sampled_from(scores), min_size=1, max_size=2))
    stored = [float(dtype(value)) for value in picked]
    neighbours = [float(np.nextafter(dtype(value), dtype(2))) for value in picked]
    extra = draw(st.lists(st.floats(-0.5, 1.5), max_size=1))
    return np.array(y_true), y_score, picked + stored + neighbours + extra


@settings(max_examples=200, deadline=None)
@given(scored_rows())
def test_table_matches_sklearn_at_thresholds(rows):
    y_true, y_score, thresholds = rows
    table = ThresholdTable.from_scores(y_true, y_score)
    # Thresholds that give the same predictions share one sklearn oracle call,
    # which keeps the test to a few seconds.
    expected_by_pred = {}
    for threshold in thresholds:
        y_pred = (y_score >= y_score.dtype.type(threshold)).astype(int)
        np.testing.assert_array_equal(apply_threshold(y_score, threshold), y_pred)
        key = y_pred.tobytes()
        if key not in expected_by_pred:
            expected_by_pred[key] = sklearn_metrics(y_true, y_pred)
        metrics = table.at(threshold)
        assert metrics.threshold == threshold
        assert_fields_equal(metrics, expected_by_pred[key])


@settings(max_examples=100, deadline=None)
@given(scored_rows())
def test_sweep_rows_equal_at(rows):
    y_true, y_score, thresholds = rows
    table = ThresholdTable.from_scores(y_true, y_score)
    for frame in (table.sweep(), table.sweep(thresholds)):
        for row in frame.itertuples(index=False):
            metrics = table.at(row.threshold)
            for name in ("tp", "fp", "tn", "fn", "accuracy", "precision", "recall"):
                assert same(getattr(row, name), getattr(metrics, name)), name
            assert same(row.f1, metrics.f1)
            assert same(row.fpr, metrics.fpr)


def test_sweep_default_thresholds():
    y_score = np.array([0.3, 0.7, 0.3, 0.1, 0.7], dtype=np.float32)
    table = ThresholdTable.from_scores([0, 1, 1, 0, 0], y_score)
    frame = table.sweep()
    expected = [float(np.float32(v)) for v in (0.1, 0.3, 0.7)] + [1.0]
    assert frame["threshold"].tolist() == expected
    assert frame["tp"].tolist() == [2, 2, 1, 0]
    assert frame["fp"].tolist() == [3, 2, 1, 0]
    assert list(frame.columns) == [
        *("threshold", "tp", "fp", "tn", "fn"),
        *("accuracy", "precision", "recall", "f1", "fpr"),
    ]


def test_sweep_beyond_score_of_one():
    table = ThresholdTable.from_scores([1, 0], [1.0, 0.2])
    last = table.sweep().iloc[-1]
    assert last["threshold"] > 1.0
    assert last["tp"] + last["fp"] == 0
    assert math.isnan(last["precision"])


def case20_rows(dtype) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(
        io.BytesIO((DATA / "20_threshold_no_positives.csv").read_bytes())
    )
    y_true = frame["fraud"].to_numpy()
    # Hand-made probabilities; the largest, 0.92, belongs to a fraud row.
    y_proba = np.array(
        [0.05, 0.10, 0.08, 0.20, 0.15, 0.12, 0.92, 0.40, 0.75, 0.18], dtype=dtype
    )
    return y_true, y_proba


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_above_every_probability(dtype):
    y_true, y_proba = case20_rows(dtype)
    assert y_true.sum() == 2
    metrics = ThresholdTable.from_scores(y_true, y_proba).at(0.95)
    assert (metrics.tp, metrics.fp, metrics.tn, metrics.fn) == (0, 0, 8, 2)
    assert not metrics.precision_defined
    assert math.isnan(metrics.precision)
    assert metrics.recall == 0.0
    assert metrics.f1 == 0.0
    assert metrics.accuracy == pytest.approx(0.8)
    assert metrics.value_text("precision") == "undefined (no positive predictions)"
    assert_matches_sklearn(metrics, y_true, np.zeros(10, dtype=int))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_zero_predicts_all(dtype):
    y_true, y_proba = case20_rows(dtype)
    metrics = ThresholdTable.from_scores(y_true, y_proba).at(0.0)
    assert metrics.precision == pytest.approx(0.2)
    assert metrics.recall == 1.0
    assert metrics.accuracy == pytest.approx(0.2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_equal_to_max_is_positive(dtype):
    y_true, y_proba = case20_rows(dtype)
    metrics = ThresholdTable.from_scores(y_true, y_proba).at(0.92)
    assert metrics.tp + metrics.fp == 1
    assert metrics.tp == 1
    assert metrics.precision == 1.0
    assert metrics.recall == 0.5
    # A strict ">" would predict nothing at this threshold.
    assert int((y_proba > dtype(0.92)).sum()) == 0


def test_float32_score_meets_float64_threshold():
    y_score = np.array([0.7, 0.2], dtype=np.float32)
    # Without the cast the float32 value 0.699999988 is below 0.7.
    assert not y_score[0] >= np.float64(0.7)
    metrics = ThresholdTable.from_scores([1, 0], y_score).at(np.float64(0.7))
    assert metrics.tp == 1


def test_huge_threshold_without_overflow_warning():
    table = ThresholdTable.from_scores([1, 0], np.array([0.9, 0.1], np.float32))
    assert table.at(1e300).tp + table.at(1e300).fp == 0
    assert table.at(-1e300).tp == 1
    assert table.at(math.inf).fp == 0


def test_table_counts():
    table = ThresholdTable.from_scores([True, False, True], [0.1, 0.2, 0.3])
    assert (table.n_samples, table.n_positive, table.n_negative) == (3, 2, 1)
    assert table.dtype == np.float64


def test_table_and_metrics_pickle():
    table = ThresholdTable.from_scores([1, 0, 1], np.array([0.9, 0.4, 0.4], "f4"))
    copy = pickle.loads(pickle.dumps(table))
    assert copy.at(0.4) == table.at(0.4)
    assert pickle.loads(pickle.dumps(table.at(0.5))) == table.at(0.5)


COUNTS_45_5_40_10 = ThresholdMetrics.from_counts(0.5, tp=45, fp=5, tn=40, fn=10)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "accuracy",
            "accuracy = (TP + TN) / (TP + FP + TN + FN)"
            " = (45 + 40) / (45 + 5 + 40 + 10) = 0.850",
        ),
        ("precision", "precision = TP / (TP + FP) = 45 / (45 + 5) = 0.900"),
        ("recall", "recall = TP / (TP + FN) = 45 / (45 + 10) = 0.818"),
        (
            "f1",
            "F1 = 2 × TP / (2 × TP + FP + FN) = 2 × 45 / (2 × 45 + 5 + 10) = 0.857",
        ),
        ("fpr", "FPR = FP / (FP + TN) = 5 / (5 + 40) = 0.111"),
    ],
)
def test_formula_text_with_counts(name, text):
    assert COUNTS_45_5_40_10.formula_text(name) == text


def test_formula_text_undefined_precision():
    metrics = ThresholdMetrics.from_counts(0.95, tp=0, fp=0, tn=8, fn=2)
    assert metrics.formula_text("precision") == (
        "precision = TP / (TP + FP) = 0 / (0 + 0) = undefined (no positive predictions)"
    )
    assert metrics.formula_text("f1", digits=2).endswith("= 0.00")
    assert metrics.undefined_reason("recall") is None


def test_value_text_undefined_reasons():
    no_positive_rows = ThresholdMetrics.from_counts(0.5, tp=0, fp=0, tn=10, fn=0)
    assert no_positive_rows.value_text("recall") == "undefined (no positive rows)"
    assert no_positive_rows.value_text("f1") == (
        "undefined (no positive rows and no positive predictions)"
    )
    assert not no_positive_rows.f1_defined
    no_negative_rows = ThresholdMetrics.from_counts(0.5, tp=3, fp=0, tn=0, fn=1)
    assert no_negative_rows.value_text("fpr") == "undefined (no negative rows)"
    assert no_negative_rows.value_text("recall", digits=2) == "0.75"


def test_formula_text_unknown_name():
    with pytest.raises(ValueError, match="Unknown metric 'auc'. Use one of accuracy"):
        COUNTS_45_5_40_10.formula_text("auc")


@pytest.mark.parametrize(
    ("tp", "fp", "tn", "fn", "expected_f1"),
    [
        (0, 0, 8, 2, 0.0),  # precision undefined, recall 0
        (0, 3, 7, 0, 0.0),  # recall undefined, precision 0
        (0, 0, 10, 0, math.nan),  # both undefined
        (2, 0, 8, 0, 1.0),
        (3, 1, 4, 2, 2 * 3 / (2 * 3 + 1 + 2)),
    ],
)
def test_f1_follows_sklearn_zero_division(tp, fp, tn, fn, expected_f1):
    y_true = np.array([1] * tp + [0] * fp + [0] * tn + [1] * fn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * tn + [0] * fn)
    metrics = ThresholdMetrics.from_counts(0.5, tp=tp, fp=fp, tn=tn, fn=fn)
    assert same(metrics.f1, expected_f1)
    assert same(metrics.f1, skm.f1_score(y_true, y_pred, zero_division=np.nan))


def test_roc_curve_matches_sklearn():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 200)
    y_score = np.round(rng.random(200) * 0.5 + 0.4 * y_true, 2).astype(np.float32)
    curve = roc_curve_points(y_true, y_score)
    assert curve.auc == pytest.approx(skm.roc_auc_score(y_true, y_score), abs=1e-12)
    assert curve.thresholds[0] == math.inf
    table = ThresholdTable.from_scores(y_true, y_score)
    for x, y, threshold in zip(curve.x, curve.y, curve.thresholds, strict=True):
        assert table.at(threshold).roc_point == (x, y)


def test_pr_curve_matches_sklearn():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, 200)
    y_score = np.round(rng.random(200) * 0.5 + 0.4 * y_true, 2)
    curve = pr_curve_points(y_true, y_score)
    expected = skm.average_precision_score(y_true, y_score)
    assert curve.auc == pytest.approx(expected, abs=1e-12)
    assert len(curve.thresholds) == len(curve.x) == len(curve.y)
    assert curve.thresholds[-1] == math.inf
    assert (curve.x[-1], curve.y[-1]) == (0.0, 1.0)
    table = ThresholdTable.from_scores(y_true, y_score)
    points = zip(curve.x[:-1], curve.y[:-1], curve.thresholds[:-1], strict=True)
    for x, y, threshold in points:
        assert table.at(threshold).pr_point == pytest.approx((x, y), abs=1e-15)


@pytest.mark.parametrize(
    ("y_true", "function", "note"),
    [
        ([0, 0, 0], roc_curve_points, "no positive rows"),
        ([1, 1, 1], roc_curve_points, "no negative rows"),
        ([0, 0, 0], pr_curve_points, "no positive rows"),
    ],
)
def test_curve_undefined_for_one_class(y_true, function, note):
    curve = function(y_true, [0.2, 0.5, 0.5])
    assert note in curve.note
    assert math.isnan(curve.auc)
    assert len(curve.x) == 0


def test_pr_curve_with_only_positive_rows():
    curve = pr_curve_points([1, 1, 1], [0.2, 0.5, 0.5])
    assert curve.note == ""
    assert curve.auc == 1.0


def sklearn_report(y_true, y_pred, names) -> dict:
    return skm.classification_report(
        y_true,
        y_pred,
        labels=list(range(len(names))),
        target_names=names,
        zero_division=np.nan,
        output_dict=True,
    )


def assert_report_matches_sklearn(frame, y_true, y_pred, names) -> None:
    expected = sklearn_report(y_true, y_pred, names)
    assert list(frame.index) == [*names, "accuracy", "macro avg", "weighted avg"]
    assert same(frame.loc["accuracy", "f1-score"], expected.pop("accuracy"))
    for row, values in expected.items():
        for column in ("precision", "recall", "f1-score"):
            assert same(frame.loc[row, column], values[column]), (row, column)
        assert frame.loc[row, "support"] == values["support"], row


def test_report_lists_absent_class():
    names = ["cat", "dog", "bird", "fish"]
    y_true = np.array([0, 0, 1, 1, 0, 1])
    y_pred = np.array([0, 2, 0, 0, 2, 0])
    frame = classification_report_frame(y_true, y_pred, names)
    assert_report_matches_sklearn(frame, y_true, y_pred, names)
    assert frame.loc["bird", "note"] == NOTE_ABSENT
    assert frame.loc["dog", "note"] == NOTE_NEVER_PREDICTED
    assert frame.loc["fish", "note"] == f"{NOTE_ABSENT}; {NOTE_NEVER_PREDICTED}"
    assert frame.loc["cat", "note"] == ""
    assert frame.loc["macro avg", "note"] == NOTE_AVERAGE_SKIPS
    assert frame.loc["accuracy", "support"] == 6
    assert frame["support"].dtype == np.int64


def test_report_without_undefined_values():
    y_true = np.array([0, 1, 1, 0])
    frame = classification_report_frame(y_true, [0, 1, 0, 0], ["no", "yes"])
    assert_report_matches_sklearn(frame, y_true, [0, 1, 0, 0], ["no", "yes"])
    assert frame["note"].tolist() == [""] * 5


@settings(max_examples=50, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda k: (
            st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)))
            .filter(len)
            .map(lambda pairs: (k, pairs))
        )
    )
)
def test_report_matches_sklearn_random(case):
    n_classes, pairs = case
    y_true, y_pred = (np.array(column) for column in zip(*pairs, strict=True))
    names = [f"class {code}" for code in range(n_classes)]
    frame = classification_report_frame(y_true, y_pred, names)
    assert_report_matches_sklearn(frame, y_true, y_pred, names)


def test_confusion_matrix_frame_matches_sklearn():
    y_true, y_pred = [0, 2, 1, 2, 2], [0, 1, 1, 2, 0]
    frame = confusion_matrix_frame(y_true, y_pred, ["a", "b", "c"])
    expected = skm.confusion_matrix(y_true, y_pred, labels=[0, 1, 2])
    np.testing.assert_array_equal(frame.to_numpy(), expected)
    assert list(frame.index) == list(frame.columns) == ["a", "b", "c"]
    assert (frame.index.name, frame.columns.name) == ("true", "predicted")


def test_multiclass_metrics_argmax():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 3, 60)
    y_proba = softmax(rng.normal(size=(60, 3)) + 2.0 * np.eye(3)[y_true])
    names = ["Adelie", "Chinstrap", "Gentoo"]
    result = multiclass_metrics(y_true, y_proba, names)
    np.testing.assert_array_equal(result.y_pred, y_proba.argmax(axis=1))
    assert result.accuracy == skm.accuracy_score(y_true, result.y_pred)
    expected_loss = skm.log_loss(y_true, y_proba, labels=[0, 1, 2])
    assert result.cross_entropy == pytest.approx(expected_loss, rel=1e-12)
    expected = confusion_matrix_frame(y_true, result.y_pred, names)
    pd.testing.assert_frame_equal(result.confusion, expected)
    expected = classification_report_frame(y_true, result.y_pred, names)
    pd.testing.assert_frame_equal(result.report, expected)


def test_multiclass_tie_goes_to_lowest_code():
    result = multiclass_metrics([1], [[0.4, 0.4, 0.2]], ["a", "b", "c"])
    assert result.y_pred.tolist() == [0]
    assert result.report.loc["b", "note"] == NOTE_NEVER_PREDICTED


@pytest.mark.parametrize("pos_label_index", [0, 1])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.92, 0.95])
def test_binary_report_table_equals_arrays(pos_label_index, threshold):
    is_positive, y_proba = case20_rows(np.float32)
    # Class codes in which pos_label_index marks the fraud rows.
    y_true = np.where(is_positive == 1, pos_label_index, 1 - pos_label_index)
    names = ["no fraud", "fraud"] if pos_label_index else ["fraud", "no fraud"]
    table = ThresholdTable.from_scores(is_positive, y_proba)
    from_table = binary_report(table, None, threshold, names, pos_label_index)
    from_arrays = binary_report(y_true, y_proba, threshold, names, pos_label_index)
    pd.testing.assert_frame_equal(from_table, from_arrays)
    is_predicted = y_proba >= np.float32(threshold)
    y_pred = np.where(is_predicted, pos_label_index, 1 - pos_label_index)
    assert_report_matches_sklearn(from_table, y_true, y_pred, names)


def test_binary_report_no_positive_predictions():
    is_positive, y_proba = case20_rows(np.float64)
    table = ThresholdTable.from_scores(is_positive, y_proba)
    frame = binary_report(table, None, 0.95, ["no", "yes"], 1)
    assert frame.loc["yes", "note"] == NOTE_NEVER_PREDICTED
    assert math.isnan(frame.loc["yes", "precision"])
    assert frame.loc["yes", "recall"] == 0.0
    assert frame.loc["accuracy", "f1-score"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("y_true", "y_score", "error", "match"),
    [
        ([0, 2, 1], [0.1, 0.2, 0.3], TargetError, r"class codes 0 to 1, got \[2\]"),
        ([0, 0.5], [0.1, 0.2], TargetError, r"got \[0.5\]"),
        ([0, np.nan], [0.1, 0.2], TargetError, r"got \[nan\]"),
        (["no", "yes"], [0.1, 0.2], TargetError, "Encode the target first"),
        ([], [], TargetError, "non-empty 1-D array"),
        ([0, 1], [0.1], PredictionError, r"shape \(1,\), expected \(2,\)"),
        ([0, 1], [0.1, np.nan], PredictionError, "1 NaN or infinite values"),
        ([0, 1], ["a", "b"], PredictionError, "must contain numbers"),
    ],
)
def test_from_scores_rejects(y_true, y_score, error, match):
    with pytest.raises(error, match=match):
        ThresholdTable.from_scores(y_true, y_score)


@pytest.mark.parametrize(
    ("threshold", "match"),
    [(math.nan, "threshold is NaN"), ("high", "must be a number, got 'high'")],
)
def test_at_rejects_threshold(threshold, match):
    table = ThresholdTable.from_scores([0, 1], [0.2, 0.8])
    with pytest.raises(PredictionError, match=match):
        table.at(threshold)


def test_report_rejects_bad_codes_and_names():
    with pytest.raises(TargetError, match=r"y_pred must contain class codes 0 to 1"):
        classification_report_frame([0, 1], [0, 3], ["a", "b"])
    with pytest.raises(TargetError, match=r"repeats \['a'\]"):
        classification_report_frame([0, 1], [0, 1], ["a", "a"])
    with pytest.raises(
        PredictionError, match="y_pred has length 1 but y_true has length 2"
    ):
        classification_report_frame([0, 1], [0], ["a", "b"])


def test_multiclass_rejects_bad_proba():
    with pytest.raises(PredictionError, match=r"shape \(2, 2\), expected \(2, 3\)"):
        multiclass_metrics([0, 1], [[0.5, 0.5], [0.5, 0.5]], ["a", "b", "c"])
    with pytest.raises(PredictionError, match="NaN or infinite"):
        multiclass_metrics([0], [[np.nan, 0.5, 0.5]], ["a", "b", "c"])


def test_binary_report_rejects_bad_arguments():
    table = ThresholdTable.from_scores([0, 1], [0.2, 0.8])
    with pytest.raises(TargetError, match="needs 2 class names, got 3"):
        binary_report(table, None, 0.5, ["a", "b", "c"])
    with pytest.raises(TargetError, match="pos_label_index must be 0 or 1, got 2"):
        binary_report(table, None, 0.5, ["a", "b"], 2)
    with pytest.raises(PredictionError, match="y_score=None together"):
        binary_report(table, [0.2, 0.8], 0.5, ["a", "b"])
    with pytest.raises(PredictionError, match="y_score is missing"):
        binary_report([0, 1], None, 0.5, ["a", "b"])
