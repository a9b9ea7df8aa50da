"""Plotly figures for training, evaluation and the formulas behind them.

Every builder is a pure function from plain arrays, DataFrames or core results
to a `go.Figure`, so it runs and is tested without a browser or Streamlit.
Inputs are read by attribute name, and history records may also be dicts, so
the results of `core.training` and `core.metrics` work as well as any object
with the same fields.
"""

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from core.formulas import sigmoid

TEMPLATE = "plotly_white"
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}

# One colour per data split and per metric, shared by every figure.
SPLIT_COLORS = {"train": "#1f77b4", "validation": "#ff7f0e"}
METRIC_COLORS = {
    "precision": "#1f77b4",
    "recall": "#ff7f0e",
    "f1": "#2ca02c",
    "accuracy": "#9467bd",
}
THRESHOLD_COLOR = "#444444"
CHANCE_COLOR = "#9e9e9e"
MUTED_COLOR = "#c7c7c7"

# Classes and compared runs take colours from a colour-blind-safe palette,
# indexed by class code or run position.
CATEGORY_COLORS = tuple(plotly.colors.qualitative.Safe)

# Bins of width 0.05 over [0, 1]. Each bin is closed on the left, like the
# `p >= threshold` rule, except the last, which also contains 1.0.
BIN_EDGES = np.arange(21) / 20

# Markers hide the line shape once a run has more epochs than this.
_MAX_MARKED_EPOCHS = 60

_SIGMOID_Z_RANGE = (-6.0, 6.0)

# Characters of a class name shown in titles, legends and tick labels.
MAX_FIGURE_NAME_CHARS = 24


def category_color(index: int) -> str:
    """Return the colour of the class with code `index` (or the run at `index`)."""
    return CATEGORY_COLORS[index % len(CATEGORY_COLORS)]


def figure_text(value: object) -> str:
    """Escape a name for plotly text and cut it to MAX_FIGURE_NAME_CHARS.

    plotly.js reads <b>, <i>, <br>, <a href> and a few more tags in titles,
    legends, tick labels and hover text as HTML, so a class named
    ``<a href=...>`` would become a link without the escape.
    """
    text = str(value)
    if len(text) > MAX_FIGURE_NAME_CHARS:
        text = text[: MAX_FIGURE_NAME_CHARS - 1] + "…"
    return html.escape(text, quote=False)


def _category_values(names: Sequence[object]) -> list[str]:
    """Escape category names in full, so that distinct names stay distinct."""
    return [html.escape(str(name), quote=False) for name in names]


def _category_ticks(names: Sequence[object]) -> dict[str, Any]:
    """Return axis settings that label each category with its cut name."""
    return {
        "tickmode": "array",
        "tickvals": _category_values(names),
        "ticktext": [figure_text(name) for name in names],
    }


def format_threshold(threshold: float) -> str:
    """Format a threshold with two decimals, or with as many more as it needs.

    0.5 becomes "0.50" and 0.625 becomes "0.625", so the text does not round
    the threshold past a probability it would label differently. Differences
    up to 1e-7 are ignored, so a float32 score promoted to float64 (0.62 is
    0.6200000048) still reads "0.62".
    """
    for decimals in range(2, 7):
        text = f"{threshold:.{decimals}f}"
        if abs(float(text) - threshold) <= 1e-7:
            return text
    return f"{threshold:.6f}"


def threshold_rule_text(threshold: float) -> str:
    """Return the sentence that states how the threshold turns p into a label."""
    text = format_threshold(threshold)
    return f"threshold {text}: label 1 when p >= {text}"


# --- shared layout -----------------------------------------------------------


def _style(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """Apply the shared template, title, axis titles, margins and legend."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.0, "xanchor": "left"},
        margin=MARGIN,
        # Below the plot, a legend that wraps onto more lines cannot cover
        # the title; plotly grows the bottom margin to fit it.
        legend={
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": -0.2,
            "yanchor": "top",
        },
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return fig


def _empty_figure(message: str, title: str, x_title: str, y_title: str) -> go.Figure:
    """Return axes with a centred message in place of data."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 16, "color": CHANCE_COLOR},
    )
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    return _style(fig, title, x_title, y_title)


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(
            f"threshold must be between 0 and 1, got {threshold!r}. "
            "Pass a probability such as 0.5."
        )


def _add_threshold_vline(fig: go.Figure, threshold: float, text: str) -> None:
    fig.add_vline(
        x=threshold,
        line={"color": THRESHOLD_COLOR, "dash": "dash", "width": 2},
        annotation_text=text,
        annotation_position="top right",
    )


def _unit_square(fig: go.Figure) -> None:
    """Fix both axes to [0, 1] with a little room for markers on the edges."""
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])


def _line_trace(x: Sequence[float], y: Sequence[float], name: str) -> go.Scatter:
    """Return a dashed grey reference line, such as a chance or ideal line."""
    return go.Scatter(
        x=x,
        y=y,
        mode="lines",
        name=name,
        line={"color": CHANCE_COLOR, "dash": "dash", "width": 1},
        hoverinfo="skip",
    )


# --- training history --------------------------------------------------------

_REQUIRED_FIELDS = ("epoch", "train_loss")
_OPTIONAL_FIELDS = ("valid_loss", "valid_accuracy", "dur")


def _set_epoch_ticks(fig: go.Figure, epochs: pd.Series) -> None:
    """Tick every epoch of a short run, where plotly would add 1.5, 2.5 and so on."""
    if epochs.max() - epochs.min() <= 10:
        fig.update_xaxes(tick0=1, dtick=1)


def _record_field(record: Any, name: str) -> Any:
    """Read one field of an epoch record, given as a dict or as an object."""
    if isinstance(record, Mapping):
        if name in record:
            return record[name]
    elif hasattr(record, name):
        return getattr(record, name)
    if name in _REQUIRED_FIELDS:
        raise ValueError(
            f"epoch record {record!r} has no {name!r}. Every record needs "
            f"{' and '.join(_REQUIRED_FIELDS)}."
        )
    return np.nan


def _history_frame(history: Sequence[Any]) -> pd.DataFrame:
    """Collect epoch records into a float frame with one row per epoch."""
    columns = [*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS]
    rows = [[_record_field(record, name) for name in columns] for record in history]
    return pd.DataFrame(rows, columns=columns, dtype=float)


def _loss_trace(frame: pd.DataFrame, column: str, split: str) -> go.Scatter:
    # Both losses and the epoch duration go in every point's hover text, so
    # either line shows the full epoch.
    customdata = frame[["train_loss", "valid_loss", "dur"]].to_numpy()
    many = len(frame) > _MAX_MARKED_EPOCHS
    return go.Scatter(
        x=frame["epoch"],
        y=frame[column],
        mode="lines" if many else "lines+markers",
        name=f"{split} loss",
        line={"color": SPLIT_COLORS[split], "width": 2},
        customdata=customdata,
        hovertemplate=(
            "epoch %{x}<br>train loss %{customdata[0]:.4f}"
            "<br>validation loss %{customdata[1]:.4f}"
            "<br>epoch time %{customdata[2]:.2f} s<extra></extra>"
        ),
    )


def _best_epoch_trace(frame: pd.DataFrame) -> go.Scatter:
    best = frame.loc[frame["valid_loss"].idxmin()]
    return go.Scatter(
        x=[best["epoch"]],
        y=[best["valid_loss"]],
        mode="markers",
        name=f"lowest validation loss (epoch {best['epoch']:.0f})",
        marker={
            "symbol": "star",
            "size": 15,
            "color": SPLIT_COLORS["validation"],
            "line": {"color": THRESHOLD_COLOR, "width": 1},
        },
        hovertemplate=(
            "lowest validation loss<br>epoch %{x}<br>loss %{y:.4f}<extra></extra>"
        ),
    )


def _accuracy_trace(frame: pd.DataFrame) -> go.Scatter:
    return go.Scatter(
        x=frame["epoch"],
        y=frame["valid_accuracy"],
        mode="lines",
        name="validation accuracy",
        yaxis="y2",
        line={"color": METRIC_COLORS["accuracy"], "dash": "dot", "width": 2},
        hovertemplate="epoch %{x}<br>validation accuracy %{y:.1%}<extra></extra>",
    )


def _add_accuracy_axis(fig: go.Figure) -> None:
    fig.update_layout(
        yaxis2={
            "title": "validation accuracy",
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.02],
            "dtick": 0.2,
            "tickformat": ".0%",
            "showgrid": False,
        },
        margin={**MARGIN, "r": 70},
    )


def loss_curve_figure(
    history: Sequence[Any], show_best: bool = True, show_accuracy: bool = False
) -> go.Figure:
    """Plot train and validation loss per epoch of one training run.

    `history` is a list of epoch records (objects or dicts) with `epoch` and
    `train_loss`, and optionally `valid_loss`, `valid_accuracy` and `dur` in
    seconds. The epoch with the lowest validation loss gets a star when
    `show_best` is set. Validation accuracy goes on a right-hand axis when
    `show_accuracy` is set.
    """
    frame = _history_frame(history)
    if frame.empty:
        return _empty_figure(
            "waiting for the first epoch", "Loss per epoch", "epoch", "loss"
        )
    fig = go.Figure()
    for column, split in (("train_loss", "train"), ("valid_loss", "validation")):
        if frame[column].notna().any():
            fig.add_trace(_loss_trace(frame, column, split))
    if show_best and frame["valid_loss"].notna().any():
        fig.add_trace(_best_epoch_trace(frame))
    _style(fig, f"Loss per epoch ({len(frame)} epochs)", "epoch", "loss")
    _set_epoch_ticks(fig, frame["epoch"])
    if show_accuracy and frame["valid_accuracy"].notna().any():
        fig.add_trace(_accuracy_trace(frame))
        _add_accuracy_axis(fig)
    return fig


def _run_traces(run_name: str, frame: pd.DataFrame, color: str) -> list[go.Scatter]:
    traces = []
    for column, split, dash in (
        ("train_loss", "train", "dot"),
        ("valid_loss", "validation", "solid"),
    ):
        if frame[column].notna().any():
            trace = go.Scatter(
                x=frame["epoch"],
                y=frame[column],
                mode="lines",
                name=f"{figure_text(run_name)}: {split}",
                legendgroup=run_name,
                line={"color": color, "dash": dash, "width": 2},
                hovertemplate=(
                    "%{fullData.name}<br>epoch %{x}<br>loss %{y:.4f}<extra></extra>"
                ),
            )
            traces.append(trace)
    return traces


def loss_curves_overlay_figure(runs: Mapping[str, Sequence[Any]]) -> go.Figure:
    """Overlay the losses of several runs: one colour per run, train dotted."""
    title = "Loss per epoch by run"
    fig = go.Figure()
    for index, (run_name, history) in enumerate(runs.items()):
        frame = _history_frame(history)
        fig.add_traces(_run_traces(run_name, frame, category_color(index)))
    if not fig.data:
        return _empty_figure("no runs with recorded epochs yet", title, "epoch", "loss")
    _style(fig, title, "epoch", "loss")
    _set_epoch_ticks(fig, pd.Series(np.concatenate([trace.x for trace in fig.data])))
    return fig


# --- evaluation --------------------------------------------------------------


def _confusion_cell_texts(counts: np.ndarray, binary_labels: bool) -> list[list[str]]:
    texts = [[str(count) for count in row] for row in counts.tolist()]
    if binary_labels:
        # Code 1 is the positive class, so it is the second row and column.
        cell_names = (("TN", "FP"), ("FN", "TP"))
        for i, j in np.ndindex(2, 2):
            texts[i][j] = f"{cell_names[i][j]}<br>{texts[i][j]}"
    return texts


def _row_shares(counts: np.ndarray) -> np.ndarray:
    """Return each cell's share of its row (its true class), NaN in an empty row."""
    totals = counts.sum(axis=1, keepdims=True).astype(float)
    shares = np.full(counts.shape, np.nan)
    np.divide(counts, totals, out=shares, where=totals > 0)
    return shares


def confusion_matrix_figure(
    matrix: pd.DataFrame, binary_labels: bool = False
) -> go.Figure:
    """Draw a confusion matrix (rows true, columns predicted) as an annotated heatmap.

    With `binary_labels`, a 2 x 2 matrix whose second row and column are the
    positive class gets TN, FP, FN and TP written in its cells.
    """
    counts = matrix.to_numpy().astype(np.int64)
    if binary_labels and counts.shape != (2, 2):
        raise ValueError(
            f"binary_labels needs a 2 x 2 matrix, got shape {counts.shape}. "
            "Pass binary_labels=False for a multiclass matrix."
        )
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=_category_values(matrix.columns),
            y=_category_values(matrix.index),
            text=_confusion_cell_texts(counts, binary_labels),
            texttemplate="%{text}",
            textfont={"size": 16},
            customdata=_row_shares(counts),
            colorscale="Blues",
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate=(
                "true %{y}, predicted %{x}<br>%{z} rows"
                " (%{customdata:.1%} of true %{y})<extra></extra>"
            ),
        )
    )
    # Category axes keep labels such as "1" and "2" from becoming numbers, and
    # the reversed y axis puts the first class in the top row, as in a table.
    fig.update_xaxes(type="category", **_category_ticks(matrix.columns))
    fig.update_yaxes(
        type="category", autorange="reversed", **_category_ticks(matrix.index)
    )
    return _style(fig, "Confusion matrix", "predicted label", "true label")


def _threshold_labels(thresholds: npt.ArrayLike, n_points: int) -> list[str]:
    """Format one threshold per curve point for hover text.

    +inf, where no row is labelled 1, reads "above every score". Thresholds
    straight from scikit-learn's `precision_recall_curve` are one shorter
    than the points, so a missing entry reads "none".
    """
    labels = []
    for value in np.asarray(thresholds, dtype=float).tolist():
        if math.isinf(value):
            labels.append("above every score")
        else:
            labels.append(f"{value:.4f}")
    return (labels + ["none"] * n_points)[:n_points]


def _curve_trace(
    curve: Any, name: str, x_name: str, y_name: str, line_shape: str
) -> go.Scatter:
    x = np.asarray(curve.x, dtype=float)
    return go.Scatter(
        x=x,
        y=np.asarray(curve.y, dtype=float),
        mode="lines",
        name=name,
        line={"color": SPLIT_COLORS["validation"], "width": 2, "shape": line_shape},
        customdata=_threshold_labels(curve.thresholds, len(x)),
        hovertemplate=(
            f"{x_name} %{{x:.3f}}<br>{y_name} %{{y:.3f}}"
            "<br>threshold %{customdata}<extra></extra>"
        ),
    )


def _point_trace(point: tuple[float, float], x_name: str, y_name: str) -> go.Scatter:
    return go.Scatter(
        x=[point[0]],
        y=[point[1]],
        mode="markers",
        name="current threshold",
        marker={"color": THRESHOLD_COLOR, "size": 12, "symbol": "circle"},
        hovertemplate=(
            f"current threshold<br>{x_name} %{{x:.3f}}<br>{y_name} %{{y:.3f}}"
            "<extra></extra>"
        ),
    )


def _add_curve_note(fig: go.Figure, curve: Any) -> None:
    """Write the reason for an undefined curve (such as no positive rows) on it."""
    note = getattr(curve, "note", "")
    if note:
        fig.add_annotation(
            text=note,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 14, "color": THRESHOLD_COLOR},
            bgcolor="white",
        )


def _score_text(name: str, value: float) -> str:
    return f"{name} = {value:.3f}" if math.isfinite(value) else f"{name} undefined"


def roc_figure(curve: Any, point: tuple[float, float] | None = None) -> go.Figure:
    """Plot an ROC curve (`curve.x` false positive rate, `curve.y` true positive rate).

    `point` is the (false positive rate, true positive rate) of the current
    threshold. The dashed diagonal is the curve of random scores.
    """
    fig = go.Figure()
    fig.add_trace(_line_trace([0, 1], [0, 1], "chance"))
    x_name, y_name = "false positive rate", "true positive rate"
    fig.add_trace(_curve_trace(curve, "ROC curve", x_name, y_name, "linear"))
    if point is not None:
        fig.add_trace(_point_trace(point, x_name, y_name))
    _add_curve_note(fig, curve)
    _style(fig, f"ROC curve ({_score_text('AUC', curve.auc)})", x_name, y_name)
    _unit_square(fig)
    return fig


def pr_figure(
    curve: Any,
    point: tuple[float, float] | None = None,
    prevalence: float | None = None,
) -> go.Figure:
    """Plot a precision-recall curve (`curve.x` recall, `curve.y` precision).

    `curve.auc` is the average precision. It sums precision over steps of
    recall, so the curve is drawn as steps, as scikit-learn 1.9's
    `PrecisionRecallDisplay` draws it ("steps-post"). `point`
    is the (recall, precision) of the current threshold. When `prevalence`
    (the share of positive rows) is given, it is drawn as the chance line.
    """
    fig = go.Figure()
    if prevalence is not None:
        chance = f"chance (share of positives {prevalence:.3f})"
        fig.add_trace(_line_trace([0, 1], [prevalence, prevalence], chance))
    fig.add_trace(
        _curve_trace(curve, "precision-recall curve", "recall", "precision", "hv")
    )
    if point is not None:
        fig.add_trace(_point_trace(point, "recall", "precision"))
    _add_curve_note(fig, curve)
    title = f"Precision-recall curve ({_score_text('average precision', curve.auc)})"
    _style(fig, title, "recall", "precision")
    _unit_square(fig)
    return fig


def _bin_labels() -> list[str]:
    labels = [
        f"[{lo:.2f}, {hi:.2f})"
        for lo, hi in zip(BIN_EDGES[:-1], BIN_EDGES[1:], strict=True)
    ]
    labels[-1] = labels[-1][:-1] + "]"
    return labels


def _check_binary_scores(
    y_proba: np.ndarray, y_true: np.ndarray, class_names: Sequence[str]
) -> None:
    if len(class_names) != 2:
        raise ValueError(
            f"the probability histogram is for binary models, got {len(class_names)} "
            f"class names {list(class_names)!r}. Use softmax_bar_figure for a "
            "multiclass model."
        )
    if y_proba.ndim != 1 or y_proba.shape != y_true.shape:
        raise ValueError(
            f"y_proba must be 1-D with one probability per row of y_true, got shapes "
            f"{y_proba.shape} and {y_true.shape}."
        )
    codes = set(np.unique(y_true).tolist())
    if not codes <= {0, 1}:
        raise ValueError(
            f"y_true must contain only the codes 0 and 1, got {sorted(codes)!r}. "
            "Pass the encoded target, not the original labels."
        )
    outside = y_proba[~((y_proba >= 0.0) & (y_proba <= 1.0))]
    if outside.size:
        raise ValueError(
            f"y_proba must lie in [0, 1], but {outside.size} of {y_proba.size} "
            f"values are outside it (first: {float(outside[0])!r}). Pass "
            "probabilities, the sigmoid of the logits."
        )


def probability_histogram_figure(
    y_proba: npt.ArrayLike,
    y_true: npt.ArrayLike,
    class_names: Sequence[str],
    threshold: float,
) -> go.Figure:
    """Overlay histograms of P(class 1) on validation rows, one per true class.

    `y_true` contains codes 0 and 1, and `class_names[1]` is the positive class.
    The dashed line is the threshold: rows at or right of it are labelled 1.
    Bins are 0.05 wide, so a bin that the threshold cuts contains rows of
    both labels.
    """
    y_proba = np.asarray(y_proba, dtype=float)
    y_true = np.asarray(y_true)
    _check_binary_scores(y_proba, y_true, class_names)
    _check_threshold(threshold)
    centers = (BIN_EDGES[:-1] + BIN_EDGES[1:]) / 2
    fig = go.Figure()
    for code, class_name in enumerate(class_names):
        counts, _ = np.histogram(y_proba[y_true == code], bins=BIN_EDGES)
        fig.add_trace(
            go.Bar(
                x=centers,
                y=counts,
                width=BIN_EDGES[1] - BIN_EDGES[0],
                name=f"true {figure_text(class_name)} ({counts.sum()} rows)",
                marker={"color": category_color(code), "opacity": 0.65},
                customdata=_bin_labels(),
                hovertemplate=(
                    "%{fullData.name}<br>p in %{customdata}: %{y} rows<extra></extra>"
                ),
            )
        )
    fig.update_layout(barmode="overlay", bargap=0)
    _add_threshold_vline(fig, threshold, threshold_rule_text(threshold))
    x_title = f"predicted probability p of {figure_text(class_names[1])}"
    _style(fig, "Validation probabilities by true class", x_title, "rows")
    fig.update_xaxes(range=[0, 1])
    # Headroom above the tallest bar keeps the threshold text readable.
    tallest = max(max(trace.y) for trace in fig.data)
    fig.update_yaxes(range=[0, max(tallest, 1) * 1.15])
    return fig


def threshold_sweep_figure(sweep: pd.DataFrame, threshold: float) -> go.Figure:
    """Plot precision, recall, F1 and accuracy against the threshold.

    `sweep` has one row per candidate threshold, as `ThresholdTable.sweep`
    returns. A metric at threshold t keeps its value from the next candidate at
    or above t, so the lines are steps. NaN (undefined precision) leaves a gap.
    """
    _check_threshold(threshold)
    frame = sweep.sort_values("threshold")
    fig = go.Figure()
    for metric, color in METRIC_COLORS.items():
        fig.add_trace(
            go.Scatter(
                x=frame["threshold"],
                y=frame[metric],
                mode="lines",
                name=metric,
                line={"color": color, "width": 2, "shape": "vh"},
                hovertemplate=(
                    f"threshold %{{x:.4f}}<br>{metric} %{{y:.4f}}<extra></extra>"
                ),
            )
        )
    _add_threshold_vline(fig, threshold, f"threshold {format_threshold(threshold)}")
    _style(fig, "Metrics against the threshold", "threshold", "metric value")
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.05])
    return fig


def reliability_figure(
    bin_centers: npt.ArrayLike,
    observed: npt.ArrayLike,
    counts: npt.ArrayLike,
    brier: float,
) -> go.Figure:
    """Plot the observed share of positives against the predicted probability.

    One point per probability bin with at least one row; empty bins are left
    out. Points on the dashed diagonal mean the probabilities are calibrated.
    """
    centers = np.asarray(bin_centers, dtype=float)
    shares = np.asarray(observed, dtype=float)
    counts = np.asarray(counts)
    filled = counts > 0
    fig = go.Figure()
    fig.add_trace(_line_trace([0, 1], [0, 1], "perfectly calibrated"))
    fig.add_trace(
        go.Scatter(
            x=centers[filled],
            y=shares[filled],
            mode="lines+markers",
            name="validation rows",
            line={"color": SPLIT_COLORS["validation"], "width": 2},
            customdata=counts[filled],
            hovertemplate=(
                "bin center %{x:.3f}<br>observed share of positives %{y:.3f}"
                "<br>%{customdata} rows<extra></extra>"
            ),
        )
    )
    title = f"Calibration ({_score_text('Brier score', brier)})"
    _style(fig, title, "predicted probability", "observed share of positives")
    _unit_square(fig)
    return fig


# --- formulas ----------------------------------------------------------------


def softmax_bar_figure(
    proba_row: npt.ArrayLike, class_names: Sequence[str]
) -> go.Figure:
    """Draw one row's softmax probabilities as bars, with the argmax in colour."""
    proba = np.asarray(proba_row, dtype=float).ravel()
    if len(proba) != len(class_names):
        raise ValueError(
            f"got {len(proba)} probabilities for {len(class_names)} class names "
            f"{list(class_names)!r}; pass one probability per class."
        )
    winner = int(np.argmax(proba))
    colors = [MUTED_COLOR] * len(proba)
    colors[winner] = category_color(winner)
    names = _category_values(class_names)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=proba,
            marker={"color": colors},
            text=[f"{p:.3f}" for p in proba],
            textposition="outside",
            hovertemplate="class %{x}<br>p = %{y:.4f}<extra></extra>",
        )
    )
    title = (
        f"Softmax probabilities: argmax is {figure_text(class_names[winner])} "
        f"(p = {proba[winner]:.3f})"
    )
    _style(fig, title, "class", "probability")
    fig.update_xaxes(type="category", **_category_ticks(class_names))
    fig.update_yaxes(range=[0, 1.12])
    return fig


def _threshold_logit(threshold: float) -> float:
    """Return the logit z with sigmoid(z) = threshold (-inf for 0, +inf for 1)."""
    if threshold <= 0.0:
        return -math.inf
    if threshold >= 1.0:
        return math.inf
    return math.log(threshold / (1.0 - threshold))


def _add_label_regions(fig: go.Figure, z_threshold: float) -> None:
    """Shade the logits labelled 0 (below `z_threshold`) and 1 (at or above it)."""
    low, high = _SIGMOID_Z_RANGE
    edge = min(max(z_threshold, low), high)
    rule = f" when z >= {z_threshold:.2f}" if math.isfinite(z_threshold) else ""
    regions = ((0, low, edge, "label 0"), (1, edge, high, f"label 1{rule}"))
    for code, x0, x1, text in regions:
        if x1 > x0:
            fig.add_vrect(
                x0=x0,
                x1=x1,
                fillcolor=category_color(code),
                opacity=0.15,
                line_width=0,
                annotation_text=text,
                # The curve is low on the left and high on the right, so each
                # label goes in the corner the curve leaves free.
                annotation_position="top left" if code == 0 else "bottom right",
            )


def sigmoid_figure(threshold: float) -> go.Figure:
    """Plot p = sigmoid(z) over logits z in [-6, 6] with the threshold line.

    The shading shows which logits get label 1: p >= threshold exactly when
    z >= ln(threshold / (1 - threshold)).
    """
    _check_threshold(threshold)
    z = np.linspace(*_SIGMOID_Z_RANGE, 241)
    fig = go.Figure(
        go.Scatter(
            x=z,
            y=sigmoid(z),
            mode="lines",
            name="sigmoid",
            line={"color": SPLIT_COLORS["train"], "width": 3},
            hovertemplate="logit z = %{x:.2f}<br>p = %{y:.4f}<extra></extra>",
        )
    )
    _add_label_regions(fig, _threshold_logit(threshold))
    fig.add_hline(
        y=threshold,
        line={"color": THRESHOLD_COLOR, "dash": "dash", "width": 2},
        annotation_text=threshold_rule_text(threshold),
        annotation_position="top left",
    )
    _style(fig, "Sigmoid: p = 1 / (1 + e<sup>-z</sup>)", "logit z", "probability p")
    fig.update_yaxes(range=[-0.02, 1.02])
    fig.update_layout(showlegend=False)
    return fig
