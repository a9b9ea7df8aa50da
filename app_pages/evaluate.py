"""Evaluate page: metrics of the trained model on its validation rows."""

from __future__ import annotations

import streamlit as st

from components import (
    cost_matrix,
    figures,
    jobs,
    runs,
    script_download,
    state,
    text,
    threshold_panel,
    widgets,
)
from core import metrics
from core.bundle import TrainedModel
from core.formulas import apply_threshold

widgets.page_intro(
    "Evaluate",
    "See how the trained model does on the validation rows it never trained "
    "on. For two classes, move the decision threshold and watch the metrics.",
)


@st.fragment
def threshold_section(model: TrainedModel) -> None:
    """Draw everything that depends on the threshold, as a fragment.

    Moving the slider reruns only this function, not the whole page.

    The slider's key carries the model's version, so a new model starts at
    its own stored threshold.
    """
    tab = state.get()
    table = state.threshold_table()
    slider_key = state.seed_widget(f"threshold_{tab.model_version}", tab.threshold)
    threshold = st.slider(
        f"Decision threshold: label a row '{text.name(model.pos_label)}' when "
        "p ≥ threshold",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        key=slider_key,
    )
    state.set_threshold(threshold)
    at_threshold = table.at(threshold)
    st.caption(figures.threshold_rule_text(threshold))
    # The cards come first: Streamlit sends elements in order, so the numbers
    # a slider move changes reach the browser before any figure is built.
    widgets.metric_cards(at_threshold)
    widgets.count_cards(at_threshold)
    widgets.formula_rows(at_threshold)

    threshold_panel.suggestion_buttons(table, slider_key)
    title, body = widgets.CONCEPTS["sigmoid"]
    with st.expander(title):
        st.markdown(body)
        st.plotly_chart(figures.sigmoid_figure(threshold), key="sigmoid")

    y_pred = apply_threshold(model.valid_proba, threshold)
    matrix_column, histogram_column = st.columns(2)
    matrix = metrics.confusion_matrix_frame(model.y_valid, y_pred, model.classes_)
    matrix_column.plotly_chart(
        figures.confusion_matrix_figure(matrix, binary_labels=True),
        key="confusion_binary",
    )
    histogram_column.plotly_chart(
        figures.probability_histogram_figure(
            model.valid_proba, model.y_valid, model.classes_, threshold
        ),
        key="probability_histogram",
    )

    roc, pr = state.curves()
    roc_column, pr_column = st.columns(2)
    roc_column.plotly_chart(
        figures.roc_figure(roc, at_threshold.roc_point), key="roc_curve"
    )
    # Without a positive prediction precision is undefined, so the point
    # has no place on the precision-recall curve.
    pr_point = at_threshold.pr_point if at_threshold.precision_defined else None
    pr_column.plotly_chart(figures.pr_figure(pr, pr_point), key="pr_curve")
    for curve in (roc, pr):
        if curve.note:
            st.info(text.message(curve.note))
    threshold_panel.sweep_chart(threshold)

    st.markdown(f"**Classification report at threshold {threshold:.2f}**")
    report = metrics.binary_report(table, None, threshold, model.classes_)
    st.dataframe(widgets.report_table(report))

    binary_concepts()

    threshold_panel.abstain_band_section(model, table, threshold)
    # The script prints the metrics at the threshold, so it is redrawn with it.
    script_download.script_download()


def binary_concepts() -> None:
    """Draw the expanders behind the binary metrics."""
    for name in ("accuracy", "precision", "recall", "f1", "report"):
        widgets.concept(name)


def multiclass_section(model: TrainedModel) -> None:
    """Draw softmax probabilities, argmax labels, the confusion matrix and report."""
    scores = state.multiclass()
    st.metric(
        "Validation accuracy (argmax label)", widgets.format_value(scores.accuracy)
    )
    st.caption(
        f"Mean cross-entropy −log p_y on the validation rows: "
        f"{widgets.format_value(scores.cross_entropy, 4)}"
    )

    st.markdown(
        "**Softmax probabilities of a few validation rows per class** "
        "(each row sums to 1; the label is the argmax)"
    )
    rows = widgets.softmax_rows_frame(model, scores.y_pred)
    st.dataframe(rows.style.format(precision=4))
    row = st.selectbox(
        "Validation row to show",
        list(rows.index),
        key=state.seed_widget(f"softmax_row_{state.get().model_version}", 0),
    )
    st.plotly_chart(
        figures.softmax_bar_figure(model.valid_proba[row], model.classes_),
        key="softmax_bar",
    )

    matrix_column, report_column = st.columns(2)
    matrix_column.plotly_chart(
        figures.confusion_matrix_figure(scores.confusion), key="confusion_multi"
    )
    report_column.markdown("**Classification report** (per class)")
    report_column.dataframe(widgets.report_table(scores.report))
    for name in ("softmax_argmax", "report"):
        widgets.concept(name)
    cost_matrix.cost_section(model, scores)


tab_state = state.get()
current_model = tab_state.model
running = jobs.current_record()
if current_model is not None:
    runs.data_notice(tab_state.model_data, running=False)
if running is not None and running.is_running:
    on_data = ""
    if running.data_summary is not None:
        on_data = f" on {text.name(running.data_summary.name)}"
    st.info(
        f"Training{on_data} is in progress "
        f"({widgets.job_progress_text(running.job)}). The metrics of the new "
        "model appear here when it ends."
    )
if current_model is None:
    st.info("No trained model yet. Train one on the Train page.")
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/school:")
else:
    st.caption(
        widgets.model_data_text(current_model, tab_state.model_data)
        + " Classes: "
        + text.names(current_model.classes_)
        + f"; {len(current_model.y_valid)} validation rows."
    )
    with widgets.reported_errors("evaluating the model"):
        if current_model.is_binary:
            threshold_section(current_model)
            threshold_panel.calibration_section(current_model)
        else:
            multiclass_section(current_model)
            script_download.script_download()
