import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_curve,
)

from core.errors import ExplorerError
from core.metrics import ThresholdTable
from core.threshold_tools import (
    SLIDER_GRID,
    band_labels,
    band_metrics,
    expected_cost,
    min_cost_predictions,
    reliability_curve,
    suggest_thresholds,
    sweep_for_plot,
)


@pytest.fixture
def scored():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 400)
    y_score = np.clip(rng.normal(0.35 + 0.3 * y_true, 0.2), 0, 1).astype(np.float32)
    return y_true, y_score


def by_rule(suggestions):
    return {s.rule: s for s in suggestions}


def brute_force(y_true, y_score, score):
    values = [
        score(y_true, (y_score >= np.float32(t)).astype(int)) for t in SLIDER_GRID
    ]
    return np.asarray(values)


def test_max_f1_matches_brute_force(scored):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    best = by_rule(suggest_thresholds(table))["max F1"]
    f1 = brute_force(y_true, y_score, lambda t, p: f1_score(t, p, zero_division=0))
    assert best.metrics.f1 == pytest.approx(f1.max())
    assert best.threshold == SLIDER_GRID[np.flatnonzero(np.isclose(f1, f1.max()))[-1]]


def test_youden_matches_roc_curve_on_all_scores(scored):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    best = by_rule(suggest_thresholds(table, grid=None))["max Youden's J"]
    fpr, tpr, _ = roc_curve(y_true, y_score)
    assert best.metrics.recall - best.metrics.fpr == pytest.approx((tpr - fpr).max())


def test_min_cost_matches_brute_force(scored):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    best = by_rule(suggest_thresholds(table, cost_fp=1, cost_fn=5))["min cost"]
    costs = []
    for t in SLIDER_GRID:
        y_pred = y_score >= np.float32(t)
        fp = int(np.sum(y_pred & (y_true == 0)))
        fn = int(np.sum(~y_pred & (y_true == 1)))
        costs.append(fp + 5 * fn)
    assert best.metrics.fp + 5 * best.metrics.fn == min(costs)


def test_higher_false_negative_cost_lowers_threshold(scored):
    table = ThresholdTable.from_scores(*scored)
    cheap = by_rule(suggest_thresholds(table, cost_fp=5, cost_fn=1))["min cost"]
    dear = by_rule(suggest_thresholds(table, cost_fp=1, cost_fn=5))["min cost"]
    assert dear.threshold < cheap.threshold


def test_recall_target_is_highest_threshold_reaching_it(scored):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    best = by_rule(suggest_thresholds(table, min_recall=0.9))["recall target"]
    recall = brute_force(y_true, y_score, recall_score)
    assert best.metrics.recall >= 0.9
    assert best.threshold == SLIDER_GRID[np.flatnonzero(recall >= 0.9)[-1]]


def test_precision_target_unreachable_is_left_out():
    table = ThresholdTable.from_scores([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2])
    rules = by_rule(suggest_thresholds(table, min_precision=0.99))
    assert "precision target" not in rules
    assert "max F1" in rules


def test_negative_cost_rejected(scored):
    with pytest.raises(ExplorerError, match="invalid cost of a false positive -1"):
        suggest_thresholds(ThresholdTable.from_scores(*scored), cost_fp=-1)


def test_band_metrics_match_manual_count(scored):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    band = band_metrics(table, 0.4, 0.6)
    labels = band_labels(y_score, 0.4, 0.6)
    decided = labels >= 0
    assert band.n_review == int((~decided).sum())
    assert band.review_share == pytest.approx((~decided).mean())
    tp = int(np.sum((labels == 1) & (y_true == 1)))
    fp = int(np.sum((labels == 1) & (y_true == 0)))
    assert (band.metrics.tp, band.metrics.fp) == (tp, fp)
    accuracy = np.mean(labels[decided] == y_true[decided])
    assert band.metrics.accuracy == pytest.approx(accuracy)


def test_empty_band_equals_plain_threshold(scored):
    table = ThresholdTable.from_scores(*scored)
    band = band_metrics(table, 0.5, 0.5)
    assert band.n_review == 0
    assert band.metrics == table.at(0.5)


def test_band_edges_follow_greater_or_equal():
    assert band_labels([0.39, 0.4, 0.59, 0.6], 0.4, 0.6).tolist() == [0, -1, -1, 1]


def test_inverted_band_rejected():
    with pytest.raises(ExplorerError, match="invalid abstain band"):
        band_labels([0.5], 0.7, 0.3)


def test_reliability_matches_sklearn(scored):
    y_true, y_score = scored
    result = reliability_curve(y_true, y_score, n_bins=10)
    observed, predicted = calibration_curve(y_true, y_score, n_bins=10)
    filled = result.table[result.table["count"] > 0]
    np.testing.assert_allclose(filled["observed"], observed, rtol=1e-6)
    np.testing.assert_allclose(filled["mean_predicted"], predicted, rtol=1e-6)
    assert result.table["count"].sum() == len(y_true)
    brier = np.mean((y_score.astype(float) - y_true) ** 2)
    assert result.brier == pytest.approx(brier)


def test_identity_cost_is_argmax():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), 100)
    cost = 1 - np.eye(3)
    np.testing.assert_array_equal(
        min_cost_predictions(proba, cost), proba.argmax(axis=1)
    )


def test_cost_matrix_shifts_predictions():
    proba = np.array([[0.6, 0.4, 0.0]])
    # Calling a true class-1 row class 0 costs 10.
    cost = np.array([[0, 1, 1], [10, 0, 1], [1, 1, 0]])
    assert min_cost_predictions(proba, cost).tolist() == [1]
    assert expected_cost([1], [1], cost) == 0.0


def test_cost_matrix_shape_checked():
    with pytest.raises(ExplorerError, match="must be 3 x 3"):
        min_cost_predictions(np.ones((2, 3)) / 3, np.ones((2, 2)))


@pytest.mark.parametrize("threshold", [0.2, 0.45, 0.6, 0.75])
def test_band_with_threshold_matches_sklearn(scored, threshold):
    y_true, y_score = scored
    table = ThresholdTable.from_scores(y_true, y_score)
    band = band_metrics(table, 0.4, 0.6, threshold=threshold)
    in_band = (y_score >= np.float32(0.4)) & (y_score < np.float32(0.6))
    decided = ~in_band
    y_pred = (y_score >= np.float32(threshold)).astype(int)
    tn, fp, fn, tp = confusion_matrix(
        y_true[decided], y_pred[decided], labels=[0, 1]
    ).ravel()
    assert (band.metrics.tp, band.metrics.fp) == (tp, fp)
    assert (band.metrics.tn, band.metrics.fn) == (tn, fn)
    assert band.n_review == int(in_band.sum())
    assert band.n_decided == int(decided.sum())
    assert band.metrics.precision == pytest.approx(
        precision_score(y_true[decided], y_pred[decided])
    )
    labels = band_labels(y_score, 0.4, 0.6, threshold=threshold)
    np.testing.assert_array_equal(labels[decided], y_pred[decided])
    assert (labels[in_band] == -1).all()


@pytest.mark.parametrize("threshold", [0.4, 0.5, 0.6])
def test_threshold_inside_band_changes_nothing(scored, threshold):
    table = ThresholdTable.from_scores(*scored)
    inside = band_metrics(table, 0.4, 0.6, threshold=threshold)
    default = band_metrics(table, 0.4, 0.6)
    counts = ("tp", "fp", "tn", "fn")
    assert [getattr(inside.metrics, c) for c in counts] == [
        getattr(default.metrics, c) for c in counts
    ]


def test_band_edges_with_float32_scores():
    # float32(0.7) is 0.69999999, below the float64 0.7: the edges are cast
    # to the scores' dtype, so a score equal to an edge sits on its upper side.
    scores = np.array([0.7, 0.5, 0.1, 0.9], dtype=np.float32)
    table = ThresholdTable.from_scores([1, 1, 0, 0], scores)
    upper_edge = band_metrics(table, 0.4, 0.7)
    assert upper_edge.n_review == 1
    assert (upper_edge.metrics.tp, upper_edge.metrics.fp) == (1, 1)
    assert band_labels(scores, 0.4, 0.7).tolist() == [1, -1, 0, 1]
    lower_edge = band_metrics(table, 0.7, 0.95)
    assert lower_edge.n_review == 2
    assert band_labels(scores, 0.7, 0.95).tolist() == [-1, 0, 0, -1]


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan")])
def test_band_threshold_out_of_range_rejected(scored, threshold):
    table = ThresholdTable.from_scores(*scored)
    with pytest.raises(ExplorerError, match="invalid threshold"):
        band_metrics(table, 0.4, 0.6, threshold=threshold)


def test_sweep_for_plot_uses_grid_when_large(scored):
    table = ThresholdTable.from_scores(*scored)
    exact = sweep_for_plot(table, max_exact_rows=len(scored[0]))
    assert len(exact) == len(np.unique(scored[1])) + 1
    gridded = sweep_for_plot(table, max_exact_rows=10)
    np.testing.assert_array_equal(gridded["threshold"], SLIDER_GRID)
    assert gridded.loc[50, "recall"] == pytest.approx(table.at(0.5).recall)
