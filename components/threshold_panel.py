"""Threshold tools of the Evaluate page: suggestions, review band, calibration.

Everything here reads the cached validation probabilities of the current
model (through `components.state`); nothing retrains.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import figures, state, text, threshold_figures, widgets
from core.bundle import TrainedModel
from core.metrics import ThresholdMetrics, ThresholdTable
from core.threshold_tools import REVIEW_LABEL, BandMetrics, band_metrics
from core.threshold_tools import suggest_thresholds as suggest

TARGET_RULES = ("recall target", "precision target")
DEFAULT_TARGET = 0.9
# Half the width of the review band that the band slider starts with.
DEFAULT_BAND_HALF_WIDTH = 0.1
WITHOUT_BAND, WITH_BAND = "without band", "with band"
# Streamlit draws table rows 35 pixels high, so this height shows every row.
ROW_HEIGHT_PX = 35


def _suggestion_button(column, suggestion, slider_key: str) -> None:
    # The callback runs before the next rerun draws the slider, which is
    # the only time Streamlit lets a widget's value be set.
    column.button(
        f"{suggestion.rule}: {suggestion.threshold:.2f}",
        help=suggestion.reason,
        key=f"suggest_{suggestion.rule}",
        on_click=state.set_widget,
        args=(slider_key, suggestion.threshold),
    )


def suggestion_buttons(table: ThresholdTable, slider_key: str) -> None:
    """Offer thresholds picked by max F1, Youden's J and the lowest cost.

    A button moves the slider to its threshold before the slider is drawn.
    """
    st.markdown("**Suggested thresholds** (click one to move the slider)")
    fp_column, fn_column = st.columns(2)
    cost_fp = fp_column.number_input(
        "Cost of one false positive",
        min_value=0.0,
        step=1.0,
        key=state.seed_widget("cost_fp", 1.0),
    )
    cost_fn = fn_column.number_input(
        "Cost of one false negative",
        min_value=0.0,
        step=1.0,
        key=state.seed_widget("cost_fn", 1.0),
    )
    suggestions = suggest(table, cost_fp=cost_fp, cost_fn=cost_fn)
    for column, suggestion in zip(
        st.columns(len(suggestions) or 1), suggestions, strict=False
    ):
        _suggestion_button(column, suggestion, slider_key)
    target_buttons(table, slider_key)


def target_buttons(table: ThresholdTable, slider_key: str) -> None:
    """Offer the highest threshold reaching a recall and the lowest reaching a
    precision, each as a button that moves the slider."""
    recall_column, precision_column = st.columns(2)
    min_recall = recall_column.number_input(
        "Target recall: at least",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key=state.seed_widget("target_recall", DEFAULT_TARGET),
    )
    min_precision = precision_column.number_input(
        "Target precision: at least",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key=state.seed_widget("target_precision", DEFAULT_TARGET),
    )
    found = {
        s.rule: s
        for s in suggest(table, min_recall=min_recall, min_precision=min_precision)
    }
    targets = (("recall", min_recall), ("precision", min_precision))
    for column, rule, (name, target) in zip(
        (recall_column, precision_column), TARGET_RULES, targets, strict=True
    ):
        suggestion = found.get(rule)
        if suggestion is None:
            column.caption(f"No threshold on the slider reaches {name} ≥ {target:g}.")
            continue
        _suggestion_button(column, suggestion, slider_key)
        reached = suggestion.metrics
        column.caption(
            f"{suggestion.reason}: recall {reached.value_text('recall')}, "
            f"precision {reached.value_text('precision')}"
        )


def default_band(threshold: float) -> tuple[float, float]:
    """Return a band of width 0.2 around `threshold`, cut to [0, 1]."""
    lower = max(0.0, round(threshold - DEFAULT_BAND_HALF_WIDTH, 2))
    upper = min(1.0, round(threshold + DEFAULT_BAND_HALF_WIDTH, 2))
    return lower, upper


def band_comparison_frame(
    plain: ThresholdMetrics, band: BandMetrics, n_samples: int
) -> pd.DataFrame:
    """Tabulate the metrics of all rows at the threshold next to the decided rows."""
    rows = {
        "rows labelled": (str(n_samples), str(band.n_decided)),
        f"rows sent to {REVIEW_LABEL}": ("0", str(band.n_review)),
        f"share sent to {REVIEW_LABEL}": ("0.0%", f"{band.review_share:.1%}"),
    }
    for name, label in widgets.METRIC_LABELS.items():
        rows[label] = (plain.value_text(name), band.metrics.value_text(name))
    for name in ("tp", "fp", "tn", "fn"):
        rows[name.upper()] = (
            str(getattr(plain, name)),
            str(getattr(band.metrics, name)),
        )
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=[WITHOUT_BAND, WITH_BAND]
    )


def _band_slider(threshold: float) -> tuple[float, float]:
    tab = state.get()
    start = tab.abstain_range or default_band(threshold)
    lower, upper = st.slider(
        f"Review band: rows with lower ≤ p < upper get the label {REVIEW_LABEL!r}",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        key=state.seed_widget(f"abstain_band_{tab.model_version}", start),
    )
    tab.abstain_range = (lower, upper)
    return lower, upper


def _outside_band_note(threshold: float, lower: float, upper: float) -> str | None:
    if threshold < lower:
        return (
            f"The threshold {threshold:.2f} lies below the band, so rows with "
            f"{threshold:.2f} ≤ p < {lower:.2f} are still labelled positive. A "
            "review band usually contains the threshold, so that it takes the "
            "rows nearest to it."
        )
    if threshold > upper:
        return (
            f"The threshold {threshold:.2f} lies above the band, so rows with "
            f"{upper:.2f} ≤ p < {threshold:.2f} are still labelled negative. A "
            "review band usually contains the threshold, so that it takes the "
            "rows nearest to it."
        )
    return None


def abstain_band_section(
    model: TrainedModel, table: ThresholdTable, threshold: float
) -> None:
    """Draw the optional review band and the metrics on the rows it leaves."""
    tab = state.get()
    st.subheader("Review band (abstain)")
    enabled = st.toggle(
        f"Send uncertain rows to {REVIEW_LABEL} instead of labelling them",
        key=state.seed_widget(
            f"abstain_on_{tab.model_version}", tab.abstain_band is not None
        ),
    )
    if not enabled:
        state.set_abstain_band(None)
        st.caption(
            "Off: every row gets a label. Turn it on to choose a band of "
            "probabilities near the threshold whose rows a person reviews."
        )
        return

    lower, upper = _band_slider(threshold)
    state.set_abstain_band((lower, upper))
    band = band_metrics(table, lower, upper, threshold)

    st.caption(
        f"A row with {lower:.2f} ≤ p < {upper:.2f} gets the label "
        f"{REVIEW_LABEL!r}; every other row is labelled by the threshold "
        f"(positive when p ≥ {threshold:.2f}). The band is saved in the model "
        "file, and the Predict page applies it."
    )
    note = _outside_band_note(threshold, lower, upper)
    if note:
        st.warning(note)

    st.markdown(
        f"**{band.n_review} of {band.n_samples} validation rows "
        f"({band.review_share:.1%}) go to {REVIEW_LABEL}.** The column "
        f"{WITH_BAND!r} counts the other rows only."
    )
    table_column, chart_column = st.columns(2)
    comparison = band_comparison_frame(table.at(threshold), band, table.n_samples)
    table_column.dataframe(comparison, height=ROW_HEIGHT_PX * (len(comparison) + 1) + 3)
    chart_column.plotly_chart(
        threshold_figures.band_histogram_figure(
            model.valid_proba, model.y_valid, model.classes_, threshold, (lower, upper)
        ),
        key="band_histogram",
    )


def sweep_chart(threshold: float) -> None:
    """Plot precision, recall, F1 and accuracy over thresholds, marking `threshold`."""
    st.plotly_chart(
        figures.threshold_sweep_figure(state.threshold_sweep(), threshold),
        key="threshold_sweep",
    )


def calibration_section(model: TrainedModel) -> None:
    """Draw the reliability curve of the validation rows and the Brier score."""
    result = state.reliability()
    st.subheader("Calibration")
    st.plotly_chart(
        threshold_figures.reliability_curve_figure(result.table, result.brier),
        key="reliability_curve",
    )
    st.caption(
        f"Brier score = mean of (p − y)² over the {len(model.y_valid)} validation "
        f"rows = {result.brier:.4f}, where y is 1 for a row of "
        f"'{text.name(model.pos_label)}'. 0 is perfect, and always predicting p = 0.5 "
        "scores 0.25."
    )
    with st.expander("Calibration and the reliability curve"):
        st.markdown(
            "A model is **calibrated** when its probabilities mean what they "
            "say: of the rows that get p ≈ 0.8, about 80 % are positive. The "
            "curve sorts the validation rows into 10 bins of width 0.1 by p "
            "(each bin closed on the left, p = 1.0 in the last) and plots, per "
            "bin, the mean p of its rows against the share of its rows that "
            "are positive. A point below the diagonal means the model "
            "overestimates the chance of a positive row there, and a point "
            "above it means it underestimates that chance. Bins with few rows "
            "(the grey bars) are noisy. "
            "The threshold does not change this curve."
        )
