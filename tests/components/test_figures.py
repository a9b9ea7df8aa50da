"""Tests of the plotly figure builders, run on the figure objects without a browser."""

import math
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from components import figures
from core.metrics import ThresholdTable, pr_curve_points, roc_curve_points
from core.training import EpochRecord


@dataclass
class CurvePoints:
    """Any object with these four attributes works as a curve."""

    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    auc: float


HISTORY = [
    {
        "epoch": 1,
        "train_loss": 0.9,
        "valid_loss": 0.8,
        "valid_accuracy": 0.5,
        "dur": 0.2,
    },
    {
        "epoch": 2,
        "train_loss": 0.6,
        "valid_loss": 0.4,
        "valid_accuracy": 0.7,
        "dur": 0.1,
    },
    {
        "epoch": 3,
        "train_loss": 0.3,
        "valid_loss": 0.5,
        "valid_accuracy": 0.8,
        "dur": 0.1,
    },
]

ROC = CurvePoints(
    x=np.array([0.0, 0.0, 0.5, 1.0]),
    y=np.array([0.0, 0.5, 1.0, 1.0]),
    thresholds=np.array([np.inf, 0.8, 0.4, 0.1]),
    auc=0.875,
)

# As scikit-learn returns it: one threshold fewer than points.
PR = CurvePoints(
    x=np.array([1.0, 0.5, 0.0]),
    y=np.array([0.5, 1.0, 1.0]),
    thresholds=np.array([0.2, 0.7]),
    auc=0.75,
)

SWEEP = pd.DataFrame(
    {
        "threshold": [0.7, 0.2, 0.4],
        "precision": [np.nan, 0.5, 1.0],
        "recall": [0.0, 1.0, 0.5],
        "f1": [0.0, 2 / 3, 2 / 3],
        "accuracy": [0.5, 0.5, 0.75],
    }
)


def _data_traces(fig):
    return [trace for trace in fig.data if trace.hoverinfo != "skip"]


MATRIX_2X2 = pd.DataFrame([[5, 1], [2, 7]], index=["no", "yes"], columns=["no", "yes"])

# One call of every builder, built on demand so each test pays for one figure.
FIGURE_BUILDERS = {
    "loss": lambda: figures.loss_curve_figure(HISTORY, show_accuracy=True),
    "overlay": lambda: figures.loss_curves_overlay_figure({"a": HISTORY, "b": HISTORY}),
    "confusion": lambda: figures.confusion_matrix_figure(
        MATRIX_2X2, binary_labels=True
    ),
    "roc": lambda: figures.roc_figure(ROC, point=(0.5, 1.0)),
    "pr": lambda: figures.pr_figure(PR, point=(0.5, 1.0), prevalence=0.5),
    "histogram": lambda: figures.probability_histogram_figure(
        [0.1, 0.6, 0.9], [0, 0, 1], ["no", "yes"], 0.5
    ),
    "sweep": lambda: figures.threshold_sweep_figure(SWEEP, 0.5),
    "reliability": lambda: figures.reliability_figure(
        [0.25, 0.75], [0.2, 0.9], [4, 6], 0.1
    ),
    "softmax": lambda: figures.softmax_bar_figure([0.2, 0.5, 0.3], ["a", "b", "c"]),
    "sigmoid": lambda: figures.sigmoid_figure(0.5),
}


# --- shared look and text ------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (0.5, "0.50"),
        (0.0, "0.00"),
        (1.0, "1.00"),
        (0.625, "0.625"),
        (0.1234, "0.1234"),
        (float(np.float32(0.62)), "0.62"),
        (1 / 3, "0.333333"),
    ],
)
def test_format_threshold(threshold, expected):
    assert figures.format_threshold(threshold) == expected


def test_threshold_rule_text():
    assert figures.threshold_rule_text(0.5) == "threshold 0.50: label 1 when p >= 0.50"


@pytest.mark.parametrize("name", list(FIGURE_BUILDERS))
def test_figure_uses_shared_template(name):
    fig = FIGURE_BUILDERS[name]()
    assert fig.layout.template == pio.templates[figures.TEMPLATE]
    assert fig.layout.margin.t == figures.MARGIN["t"]


@pytest.mark.parametrize("name", list(FIGURE_BUILDERS))
def test_figure_traces_have_hover_templates(name):
    traces = _data_traces(FIGURE_BUILDERS[name]())
    assert traces
    for trace in traces:
        assert trace.hovertemplate, trace.name
        assert trace.hovertemplate.endswith("<extra></extra>"), trace.name


@pytest.mark.parametrize("name", list(FIGURE_BUILDERS))
def test_figure_serializes_to_json(name):
    assert '"data"' in FIGURE_BUILDERS[name]().to_json()


def test_figures_module_never_imports_streamlit():
    code = "import sys, components.figures; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_category_color_cycles():
    n_colors = len(figures.CATEGORY_COLORS)
    assert figures.category_color(0) == figures.CATEGORY_COLORS[0]
    assert figures.category_color(n_colors + 1) == figures.CATEGORY_COLORS[1]
    assert figures.category_color(0) != figures.category_color(1)


# --- loss curves ---------------------------------------------------------------


def test_loss_curve_traces_match_history():
    fig = figures.loss_curve_figure(HISTORY)
    names = [trace.name for trace in fig.data]
    assert names == [
        "train loss",
        "validation loss",
        "lowest validation loss (epoch 2)",
    ]
    train, valid = fig.data[0], fig.data[1]
    assert list(train.x) == [1, 2, 3]
    assert list(train.y) == [0.9, 0.6, 0.3]
    assert list(valid.y) == [0.8, 0.4, 0.5]
    assert train.line.color == figures.SPLIT_COLORS["train"]
    assert valid.line.color == figures.SPLIT_COLORS["validation"]
    assert fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.yaxis.title.text == "loss"
    assert fig.layout.title.text == "Loss per epoch (3 epochs)"


def test_loss_curve_accepts_epoch_records():
    records = [EpochRecord(**row) for row in HISTORY]
    from_records = figures.loss_curve_figure(records)
    from_dicts = figures.loss_curve_figure(HISTORY)
    assert from_records.to_json() == from_dicts.to_json()


def test_loss_curve_marks_lowest_validation_loss():
    best = figures.loss_curve_figure(HISTORY).data[2]
    assert list(best.x) == [2]
    assert list(best.y) == [0.4]
    assert best.mode == "markers"


def test_loss_curve_without_best_marker():
    fig = figures.loss_curve_figure(HISTORY, show_best=False)
    assert [trace.name for trace in fig.data] == ["train loss", "validation loss"]


def test_loss_curve_accuracy_on_second_axis():
    fig = figures.loss_curve_figure(HISTORY, show_accuracy=True)
    accuracy = fig.data[-1]
    assert accuracy.name == "validation accuracy"
    assert accuracy.yaxis == "y2"
    assert list(accuracy.y) == [0.5, 0.7, 0.8]
    assert fig.layout.yaxis2.overlaying == "y"
    assert fig.layout.yaxis2.tickformat == ".0%"
    assert "%{y:.1%}" in accuracy.hovertemplate


def test_loss_curve_hover_shows_both_losses():
    train = figures.loss_curve_figure(HISTORY).data[0]
    assert train.customdata.tolist() == [
        [0.9, 0.8, 0.2],
        [0.6, 0.4, 0.1],
        [0.3, 0.5, 0.1],
    ]
    assert "epoch %{x}" in train.hovertemplate
    assert "train loss %{customdata[0]:.4f}" in train.hovertemplate
    assert "validation loss %{customdata[1]:.4f}" in train.hovertemplate
    assert "%{customdata[2]:.2f} s" in train.hovertemplate


def test_loss_curve_empty_history():
    fig = figures.loss_curve_figure([])
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == ["waiting for the first epoch"]
    assert fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.yaxis.title.text == "loss"


def test_loss_curve_without_validation_loss():
    history = [{"epoch": 1, "train_loss": 0.7}, {"epoch": 2, "train_loss": 0.5}]
    fig = figures.loss_curve_figure(history, show_accuracy=True)
    assert [trace.name for trace in fig.data] == ["train loss"]
    assert np.isnan(fig.data[0].customdata[:, 1]).all()


def test_loss_curve_missing_epoch_raises():
    with pytest.raises(ValueError, match="has no 'epoch'"):
        figures.loss_curve_figure([{"train_loss": 0.5}])


def test_loss_curve_ticks_every_epoch_of_short_run():
    assert figures.loss_curve_figure(HISTORY).layout.xaxis.dtick == 1
    long_run = [{"epoch": e, "train_loss": 1 / e} for e in range(1, 41)]
    long_fig = figures.loss_curve_figure(long_run)
    assert long_fig.layout.xaxis.dtick is None
    assert long_fig.data[0].mode == "lines+markers"


def test_loss_curve_drops_markers_on_long_run():
    long_run = [{"epoch": e, "train_loss": 1 / e} for e in range(1, 200)]
    assert figures.loss_curve_figure(long_run).data[0].mode == "lines"


def test_overlay_colours_each_run():
    fig = figures.loss_curves_overlay_figure({"adam": HISTORY, "sgd": HISTORY[:2]})
    names = [trace.name for trace in fig.data]
    assert names == ["adam: train", "adam: validation", "sgd: train", "sgd: validation"]
    colors = [trace.line.color for trace in fig.data]
    assert colors[0] == colors[1] == figures.category_color(0)
    assert colors[2] == colors[3] == figures.category_color(1)
    assert [trace.line.dash for trace in fig.data] == ["dot", "solid"] * 2
    assert list(fig.data[3].y) == [0.8, 0.4]
    assert fig.data[2].legendgroup == "sgd"


@pytest.mark.parametrize("runs", [{}, {"first": []}])
def test_overlay_without_epochs_shows_message(runs):
    fig = figures.loss_curves_overlay_figure(runs)
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "no runs with recorded epochs yet"


# --- confusion matrix ----------------------------------------------------------


def test_confusion_matrix_cells_equal_counts():
    matrix = pd.DataFrame(
        [[3, 1, 0], [0, 4, 2], [1, 0, 5]],
        index=["cat", "dog", "fox"],
        columns=["cat", "dog", "fox"],
    )
    heatmap = figures.confusion_matrix_figure(matrix).data[0]
    assert heatmap.z.tolist() == matrix.to_numpy().tolist()
    assert list(heatmap.x) == ["cat", "dog", "fox"]
    assert list(heatmap.y) == ["cat", "dog", "fox"]
    assert list(heatmap.text[1]) == ["0", "4", "2"]
    assert heatmap.texttemplate == "%{text}"


def test_confusion_matrix_axes_read_like_table():
    matrix = pd.DataFrame([[4, 1], [2, 3]], index=[1, 2], columns=[1, 2])
    fig = figures.confusion_matrix_figure(matrix)
    assert list(fig.data[0].x) == ["1", "2"]
    assert fig.layout.xaxis.type == "category"
    assert fig.layout.yaxis.type == "category"
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "predicted label"
    assert fig.layout.yaxis.title.text == "true label"


def test_confusion_matrix_binary_labels():
    heatmap = figures.confusion_matrix_figure(MATRIX_2X2, binary_labels=True).data[0]
    assert [list(row) for row in heatmap.text] == [
        ["TN<br>5", "FP<br>1"],
        ["FN<br>2", "TP<br>7"],
    ]


def test_confusion_matrix_binary_labels_need_two_classes():
    matrix = pd.DataFrame(np.eye(3, dtype=int))
    with pytest.raises(ValueError, match=r"2 x 2 matrix, got shape \(3, 3\)"):
        figures.confusion_matrix_figure(matrix, binary_labels=True)


def test_confusion_matrix_hover_shows_row_share():
    matrix = pd.DataFrame([[3, 1], [0, 0]], index=["no", "yes"], columns=["no", "yes"])
    heatmap = figures.confusion_matrix_figure(matrix).data[0]
    assert heatmap.customdata[0].tolist() == [0.75, 0.25]
    assert np.isnan(heatmap.customdata[1]).all()
    assert "%{z} rows" in heatmap.hovertemplate
    assert "%{customdata:.1%} of true %{y}" in heatmap.hovertemplate


# --- ROC and precision-recall curves -------------------------------------------


def test_roc_figure_traces():
    fig = figures.roc_figure(ROC, point=(0.5, 1.0))
    assert [trace.name for trace in fig.data] == [
        "chance",
        "ROC curve",
        "current threshold",
    ]
    chance, curve, point = fig.data
    assert list(chance.x) == [0, 1]
    assert list(chance.y) == [0, 1]
    assert curve.x.tolist() == ROC.x.tolist()
    assert curve.y.tolist() == ROC.y.tolist()
    assert (point.x, point.y) == ((0.5,), (1.0,))
    assert fig.layout.title.text == "ROC curve (AUC = 0.875)"
    assert fig.layout.xaxis.title.text == "false positive rate"


def test_roc_figure_hover_shows_thresholds():
    curve = figures.roc_figure(ROC).data[1]
    assert list(curve.customdata) == ["above every score", "0.8000", "0.4000", "0.1000"]
    assert "threshold %{customdata}" in curve.hovertemplate
    assert "false positive rate %{x:.3f}" in curve.hovertemplate


def test_roc_figure_without_point():
    fig = figures.roc_figure(ROC)
    assert [trace.name for trace in fig.data] == ["chance", "ROC curve"]


def test_roc_figure_undefined_auc():
    curve = CurvePoints(np.empty(0), np.empty(0), np.empty(0), math.nan)
    fig = figures.roc_figure(curve)
    assert fig.layout.title.text == "ROC curve (AUC undefined)"


def test_pr_figure_traces():
    fig = figures.pr_figure(PR, point=(0.5, 1.0), prevalence=0.4)
    chance, curve, point = fig.data
    assert chance.name == "chance (share of positives 0.400)"
    assert list(chance.y) == [0.4, 0.4]
    assert curve.x.tolist() == [1.0, 0.5, 0.0]
    assert curve.y.tolist() == [0.5, 1.0, 1.0]
    assert curve.line.shape == "hv"
    assert point.name == "current threshold"
    assert fig.layout.title.text == "Precision-recall curve (average precision = 0.750)"


def test_pr_figure_pads_missing_threshold():
    curve = figures.pr_figure(PR).data[0]
    assert list(curve.customdata) == ["0.2000", "0.7000", "none"]


def test_curves_from_core_metrics():
    y_true = np.array([0, 0, 1, 1, 0, 1])
    y_score = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    roc = roc_curve_points(y_true, y_score)
    roc_fig = figures.roc_figure(roc, point=(1 / 3, 2 / 3))
    assert roc_fig.data[1].x.tolist() == roc.x.tolist()
    assert roc_fig.data[1].y.tolist() == roc.y.tolist()
    assert roc_fig.data[1].customdata[0] == "above every score"
    assert roc_fig.layout.title.text == f"ROC curve (AUC = {roc.auc:.3f})"
    pr = pr_curve_points(y_true, y_score)
    pr_fig = figures.pr_figure(pr)
    assert pr_fig.data[0].x.tolist() == pr.x.tolist()
    assert pr_fig.data[0].customdata[-1] == "above every score"


def test_undefined_curve_note_from_core_metrics():
    curve = roc_curve_points([0, 0, 0], [0.1, 0.5, 0.9])
    fig = figures.roc_figure(curve)
    assert fig.layout.annotations[0].text == curve.note
    assert "undefined" in fig.layout.title.text


# --- probability histogram -----------------------------------------------------


def test_histogram_counts_per_true_class():
    y_proba = [0.0, 0.04, 0.5, 0.52, 0.49, 1.0, 0.97, 0.5]
    y_true = [0, 0, 0, 1, 0, 1, 1, 1]
    fig = figures.probability_histogram_figure(y_proba, y_true, ["no", "yes"], 0.5)
    negative, positive = fig.data
    assert negative.name == "true no (4 rows)"
    assert positive.name == "true yes (4 rows)"
    expected_negative = np.zeros(20, dtype=int)
    expected_negative[[0, 0, 9, 10]] = [2, 2, 1, 1]
    assert negative.y.tolist() == expected_negative.tolist()
    # 0.5 and 0.52 share the bin [0.50, 0.55); 0.97 and 1.0 share the last bin.
    assert positive.y[10] == 2
    assert positive.y[19] == 2
    assert positive.y.sum() == 4
    assert negative.x[10] == pytest.approx(0.525)
    assert negative.customdata[10] == "[0.50, 0.55)"
    assert negative.customdata[19] == "[0.95, 1.00]"


def test_histogram_threshold_line_and_text():
    fig = figures.probability_histogram_figure([0.3, 0.8], [0, 1], ["no", "yes"], 0.35)
    assert fig.layout.shapes[0].x0 == 0.35
    assert fig.layout.shapes[0].x1 == 0.35
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert texts == ["threshold 0.35: label 1 when p >= 0.35"]
    assert fig.layout.xaxis.title.text == "predicted probability p of yes"
    assert fig.layout.barmode == "overlay"


def test_histogram_colours_follow_class_codes():
    fig = figures.probability_histogram_figure([0.3, 0.8], [0, 1], ["no", "yes"], 0.5)
    assert fig.data[0].marker.color == figures.category_color(0)
    assert fig.data[1].marker.color == figures.category_color(1)


@pytest.mark.parametrize(
    ("y_proba", "y_true", "class_names", "threshold", "match"),
    [
        ([0.2, 0.7], [0, 1], ["a", "b", "c"], 0.5, "binary models, got 3"),
        ([[0.2, 0.8]], [0], ["a", "b"], 0.5, "must be 1-D"),
        ([0.2, 0.7], [0, 1, 1], ["a", "b"], 0.5, r"shapes \(2,\) and \(3,\)"),
        (
            [0.2, 1.7],
            [0, 1],
            ["a", "b"],
            0.5,
            r"1 of 2 values are outside it \(first: 1.7\)",
        ),
        (
            [np.nan, -1.0],
            [0, 1],
            ["a", "b"],
            0.5,
            r"2 of 2 values are outside it \(first: nan\)",
        ),
        ([0.2, 0.7], [0, 1], ["a", "b"], 1.5, "between 0 and 1, got 1.5"),
        ([0.2, 0.7], [1, 2], ["a", "b"], 0.5, r"only the codes 0 and 1, got \[1, 2\]"),
        ([0.2, 0.7], ["a", "b"], ["a", "b"], 0.5, "only the codes 0 and 1"),
    ],
)
def test_histogram_rejects_bad_input(y_proba, y_true, class_names, threshold, match):
    with pytest.raises(ValueError, match=match):
        figures.probability_histogram_figure(y_proba, y_true, class_names, threshold)


# --- threshold sweep and calibration ---------------------------------------------


def test_sweep_traces_sorted_by_threshold():
    fig = figures.threshold_sweep_figure(SWEEP, 0.625)
    assert [trace.name for trace in fig.data] == [
        "precision",
        "recall",
        "f1",
        "accuracy",
    ]
    for trace in fig.data:
        assert list(trace.x) == [0.2, 0.4, 0.7]
        assert trace.line.shape == "vh"
    assert fig.data[1].y.tolist() == [1.0, 0.5, 0.0]
    assert fig.data[0].y[:2].tolist() == [0.5, 1.0]
    assert np.isnan(fig.data[0].y[2])
    assert fig.data[0].line.color == figures.METRIC_COLORS["precision"]


def test_sweep_marks_current_threshold():
    fig = figures.threshold_sweep_figure(SWEEP, 0.625)
    assert fig.layout.shapes[0].x0 == 0.625
    assert fig.layout.annotations[0].text == "threshold 0.625"


def test_sweep_from_threshold_table():
    table = ThresholdTable.from_scores([0, 1, 1, 0], np.array([0.2, 0.6, 0.9, 0.4]))
    sweep = table.sweep()
    fig = figures.threshold_sweep_figure(sweep, 0.5)
    assert fig.data[3].x.tolist() == sweep["threshold"].tolist()
    assert fig.data[3].y.tolist() == sweep["accuracy"].tolist()


def test_reliability_skips_empty_bins():
    fig = figures.reliability_figure(
        [0.25, 0.5, 0.75], [0.2, np.nan, 0.9], [4, 0, 6], 0.1234
    )
    ideal, points = fig.data
    assert ideal.name == "perfectly calibrated"
    assert points.x.tolist() == [0.25, 0.75]
    assert points.y.tolist() == [0.2, 0.9]
    assert points.customdata.tolist() == [4, 6]
    assert fig.layout.title.text == "Calibration (Brier score = 0.123)"


# --- softmax and sigmoid -------------------------------------------------------


def test_softmax_bars_highlight_argmax():
    fig = figures.softmax_bar_figure([0.2, 0.5, 0.3], ["cat", "dog", "fox"])
    bars = fig.data[0]
    assert list(bars.x) == ["cat", "dog", "fox"]
    assert bars.y.tolist() == [0.2, 0.5, 0.3]
    assert list(bars.text) == ["0.200", "0.500", "0.300"]
    assert bars.marker.color[1] == figures.category_color(1)
    assert bars.marker.color[0] == bars.marker.color[2] == figures.MUTED_COLOR
    assert fig.layout.title.text == "Softmax probabilities: argmax is dog (p = 0.500)"


def test_softmax_bars_need_one_probability_per_class():
    with pytest.raises(ValueError, match="got 2 probabilities for 3 class names"):
        figures.softmax_bar_figure([0.4, 0.6], ["a", "b", "c"])


def test_sigmoid_curve_values():
    curve = figures.sigmoid_figure(0.5).data[0]
    z = np.asarray(curve.x)
    assert z[0] == -6.0
    assert z[-1] == 6.0
    np.testing.assert_allclose(curve.y, 1.0 / (1.0 + np.exp(-z)), rtol=1e-12)


def test_sigmoid_threshold_line_and_regions():
    fig = figures.sigmoid_figure(0.7)
    label_0, label_1, line = fig.layout.shapes
    assert line.y0 == line.y1 == 0.7
    z_threshold = math.log(0.7 / 0.3)
    assert label_0.x1 == pytest.approx(z_threshold)
    assert label_1.x0 == pytest.approx(z_threshold)
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert texts == [
        "label 0",
        "label 1 when z >= 0.85",
        "threshold 0.70: label 1 when p >= 0.70",
    ]


@pytest.mark.parametrize(("threshold", "label"), [(0.0, "label 1"), (1.0, "label 0")])
def test_sigmoid_extreme_threshold_has_one_region(threshold, label):
    fig = figures.sigmoid_figure(threshold)
    regions = [shape for shape in fig.layout.shapes if shape.type == "rect"]
    assert len(regions) == 1
    assert (regions[0].x0, regions[0].x1) == (-6.0, 6.0)
    assert fig.layout.annotations[0].text == label


def test_sigmoid_rejects_threshold_outside_unit_interval():
    with pytest.raises(ValueError, match="between 0 and 1, got -0.1"):
        figures.sigmoid_figure(-0.1)


def test_class_names_escaped_in_figures():
    names = ["<b>no</b>", "<a href='http://127.0.0.1:9/'>yes</a>"]
    hist = figures.probability_histogram_figure([0.2, 0.8], [0, 1], names, 0.5)
    assert hist.data[0].name == "true &lt;b&gt;no&lt;/b&gt; (1 rows)"
    assert "<a" not in hist.layout.xaxis.title.text
    bars = figures.softmax_bar_figure([0.3, 0.7], names)
    assert "<b>" not in bars.layout.title.text
    assert list(bars.data[0].x) == [
        "&lt;b&gt;no&lt;/b&gt;",
        names[1].replace("<", "&lt;").replace(">", "&gt;"),
    ]


def test_long_class_names_cut_in_ticks():
    names = ["a" * 10_000, "a" * 9_999 + "b"]
    matrix = pd.DataFrame([[1, 0], [0, 1]], index=names, columns=names)
    fig = figures.confusion_matrix_figure(matrix)
    assert list(fig.data[0].x) == names
    ticks = fig.layout.xaxis.ticktext
    assert all(len(tick) == figures.MAX_FIGURE_NAME_CHARS for tick in ticks)
