"""Tests of the threshold tools' figure builders, run on the figure objects."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from components.threshold_figures import (
    band_histogram_figure,
    reliability_curve_figure,
)
from core.threshold_tools import reliability_curve


@pytest.fixture
def scored():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, 300)
    y_score = np.clip(rng.normal(0.3 + 0.4 * y_true, 0.15), 0, 1)
    return y_true, y_score


def by_name(fig):
    return {trace.name: trace for trace in fig.data}


def test_reliability_points_match_sklearn(scored):
    y_true, y_score = scored
    result = reliability_curve(y_true, y_score, n_bins=10)
    fig = reliability_curve_figure(result.table, result.brier)
    curve = by_name(fig)["validation rows"]
    assert curve.yaxis == "y2"
    observed, predicted = calibration_curve(y_true, y_score, n_bins=10)
    np.testing.assert_allclose(curve.x, predicted)
    np.testing.assert_allclose(curve.y, observed)


def test_reliability_bars_count_rows(scored):
    y_true, y_score = scored
    result = reliability_curve(y_true, y_score, n_bins=10)
    bars = by_name(reliability_curve_figure(result.table, result.brier))["rows per bin"]
    expected, _ = np.histogram(y_score, bins=np.linspace(0, 1, 11))
    np.testing.assert_array_equal(bars.y, expected)
    assert bars.yaxis in (None, "y")
    assert bars.customdata[0] == "[0.00, 0.10)"
    assert bars.customdata[-1] == "[0.90, 1.00]"


def test_reliability_title_has_brier(scored):
    result = reliability_curve(*scored, n_bins=10)
    fig = reliability_curve_figure(result.table, result.brier)
    assert f"Brier score {result.brier:.4f}" in fig.layout.title.text
    assert "10 bins" in fig.layout.title.text


def test_reliability_skips_empty_bins():
    table = reliability_curve([0, 1, 1], [0.05, 0.95, 0.97], n_bins=10).table
    curve = by_name(reliability_curve_figure(table, 0.01))["validation rows"]
    np.testing.assert_allclose(curve.x, [0.05, 0.96])
    np.testing.assert_allclose(curve.y, [0.0, 1.0])
    assert list(curve.customdata[:, 1]) == [1, 2]


def test_reliability_nan_brier_reads_undefined():
    table = reliability_curve([0, 1], [0.2, 0.8], n_bins=5).table
    fig = reliability_curve_figure(table, float("nan"))
    assert "Brier score undefined" in fig.layout.title.text


def test_reliability_rejects_other_table():
    with pytest.raises(ValueError, match="lacks the columns"):
        reliability_curve_figure(pd.DataFrame({"observed": [0.5]}), 0.1)


def test_band_histogram_shades_band(scored):
    y_true, y_score = scored
    fig = band_histogram_figure(y_score, y_true, ["no", "yes"], 0.5, (0.4, 0.6))
    rects = [shape for shape in fig.layout.shapes if shape.type == "rect"]
    assert [(rect.x0, rect.x1) for rect in rects] == [(0.4, 0.6)]
    lines = [shape for shape in fig.layout.shapes if shape.type == "line"]
    assert [line.x0 for line in lines] == [0.5]
    assert rects[0].name == "review band 0.40 ≤ p < 0.60"
    assert rects[0].showlegend
    counts = sum(np.asarray(trace.y) for trace in fig.data)
    assert counts.sum() == len(y_score)


def test_band_histogram_rejects_inverted_band(scored):
    y_true, y_score = scored
    with pytest.raises(ValueError, match=r"invalid review band \[0.7, 0.3\)"):
        band_histogram_figure(y_score, y_true, ["no", "yes"], 0.5, (0.7, 0.3))
