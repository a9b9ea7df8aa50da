"""Plotly figures of the threshold tools: calibration and the review band.

Pure functions from core results to a `go.Figure`, like those in
`components.figures`, whose colours and layout they share.
"""

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go

from components.figures import (
    MUTED_COLOR,
    SPLIT_COLORS,
    _line_trace,
    _style,
    probability_histogram_figure,
)

RELIABILITY_COLUMNS = ("bin_lower", "bin_upper", "mean_predicted", "observed", "count")
REVIEW_COLOR = "#fdd835"


def _bin_range_texts(table: pd.DataFrame) -> list[str]:
    texts = [
        f"[{lower:.2f}, {upper:.2f})"
        for lower, upper in zip(table["bin_lower"], table["bin_upper"], strict=True)
    ]
    # The last bin also contains p = 1.0.
    texts[-1] = texts[-1][:-1] + "]"
    return texts


def reliability_curve_figure(table: pd.DataFrame, brier: float) -> go.Figure:
    """Plot the observed share of positives against the mean predicted probability.

    `table` is `core.threshold_tools.Reliability.table`: one row per bin with
    bin_lower, bin_upper, mean_predicted, observed and count. Each point is a
    bin with rows, placed at the mean probability of those rows, as
    scikit-learn's `calibration_curve` places it. Grey bars on the right
    axis count the rows per bin, and points on the dashed diagonal are
    calibrated.
    """
    missing = [name for name in RELIABILITY_COLUMNS if name not in table]
    if missing:
        raise ValueError(
            f"the reliability table lacks the columns {missing}; pass "
            "core.threshold_tools.reliability_curve(...).table"
        )
    ranges = np.asarray(_bin_range_texts(table), dtype=object)
    filled = (table["count"] > 0).to_numpy()
    centers = ((table["bin_lower"] + table["bin_upper"]) / 2).to_numpy()
    fig = go.Figure()
    # The bars use the primary y axis and the curve the overlaying one, which
    # plotly draws on top, so the bars never hide the curve.
    fig.add_trace(
        go.Bar(
            x=centers,
            y=table["count"],
            width=(table["bin_upper"] - table["bin_lower"]).to_numpy(),
            name="rows per bin",
            marker={"color": MUTED_COLOR, "opacity": 0.5},
            customdata=ranges,
            hovertemplate="p in %{customdata}: %{y} rows<extra></extra>",
        )
    )
    diagonal = _line_trace([0, 1], [0, 1], "perfectly calibrated")
    diagonal.yaxis = "y2"
    fig.add_trace(diagonal)
    fig.add_trace(
        go.Scatter(
            x=table["mean_predicted"][filled],
            y=table["observed"][filled],
            yaxis="y2",
            mode="lines+markers",
            name="validation rows",
            line={"color": SPLIT_COLORS["validation"], "width": 2},
            customdata=np.stack(
                [ranges[filled], table["count"][filled].to_numpy()], axis=-1
            ),
            hovertemplate=(
                "p in %{customdata[0]} (%{customdata[1]} rows)<br>mean predicted "
                "%{x:.3f}<br>observed share of positives %{y:.3f}<extra></extra>"
            ),
        )
    )
    brier_text = f"{brier:.4f}" if math.isfinite(brier) else "undefined"
    title = f"Reliability curve, {len(table)} bins (Brier score {brier_text})"
    _style(fig, title, "predicted probability p", "rows")
    fig.update_xaxes(range=[-0.02, 1.02])
    # Twice the tallest bar keeps the bars in the lower half, below most of
    # the curve, and the same 2 % margins as the share axis align both zeros.
    top = max(int(table["count"].max()), 1) * 2.2
    fig.update_layout(
        yaxis={
            "side": "right",
            "range": [-0.02 * top, 1.02 * top],
            "showgrid": False,
            "tickformat": "d",
        },
        yaxis2={
            "title": "observed share of positives",
            "overlaying": "y",
            "side": "left",
            "range": [-0.02, 1.02],
            "tickmode": "auto",
        },
        bargap=0,
    )
    return fig


def band_histogram_figure(
    y_proba: npt.ArrayLike,
    y_true: npt.ArrayLike,
    class_names: Sequence[str],
    threshold: float,
    band: tuple[float, float],
) -> go.Figure:
    """Draw the probability histogram with the review band [lower, upper) shaded."""
    lower, upper = band
    if not 0.0 <= lower <= upper <= 1.0:
        raise ValueError(
            f"invalid review band [{lower!r}, {upper!r}); use 0 <= lower <= upper <= 1"
        )
    fig = probability_histogram_figure(y_proba, y_true, class_names, threshold)
    fig.add_vrect(
        x0=lower,
        x1=upper,
        fillcolor=REVIEW_COLOR,
        opacity=0.3,
        line_width=0,
        layer="below",
        # A legend entry rather than an annotation, which would cover the
        # threshold's text at the top of the plot.
        name=f"review band {lower:.2f} ≤ p < {upper:.2f}",
        showlegend=True,
    )
    fig.update_layout(title_text="Validation probabilities and the review band")
    return fig
