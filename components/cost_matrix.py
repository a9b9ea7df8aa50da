"""Multiclass costs on the Evaluate page: an editable cost matrix and the
prediction rule that minimises the expected cost.

Everything is computed from the cached validation probabilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import figures, state, widgets
from core import metrics
from core.bundle import TrainedModel
from core.metrics import MulticlassMetrics
from core.threshold_tools import expected_cost, min_cost_predictions


def default_cost_frame(class_names: list[str]) -> pd.DataFrame:
    """Return cost 0 on the diagonal and 1 elsewhere: rows true, columns predicted."""
    n_classes = len(class_names)
    frame = pd.DataFrame(
        1.0 - np.eye(n_classes), index=class_names, columns=class_names
    )
    frame.index.name = "true class"
    return frame


def cost_editor(model: TrainedModel) -> np.ndarray:
    """Draw the cost matrix editor and return the matrix as a (K, K) array.

    The editor's edits are deltas against the table it started from, so that
    table (`cost_base`) stays the same while the editor is on screen. When a
    page switch has dropped the editor's state, it starts again from the
    last edited matrix.
    """
    tab = state.get()
    key = f"cost_matrix_{tab.model_version}"
    if tab.cost_base is None or key not in st.session_state:
        start = tab.cost_matrix
        tab.cost_base = (
            start if start is not None else default_cost_frame(model.classes_)
        )
    column_config = {
        name: st.column_config.NumberColumn(
            name, min_value=0.0, step=0.1, required=True
        )
        for name in model.classes_
    }
    # The class names label the rows, and editing them would change nothing.
    column_config["_index"] = st.column_config.Column(disabled=True)
    edited = st.data_editor(tab.cost_base, key=key, column_config=column_config)
    tab.cost_matrix = edited
    return edited.to_numpy(dtype=np.float64)


def cost_section(model: TrainedModel, scores: MulticlassMetrics) -> None:
    """Draw the cost matrix, the minimum-expected-cost predictions and their cost."""
    st.subheader("Costs of mistakes")
    st.markdown(
        "Enter the cost of each mistake: row = true class, column = predicted "
        "class. The rule below predicts, for each row, the class j with the "
        "lowest **expected cost** Σᵢ p(i) · cost[i, j] under the softmax "
        "probabilities p. With 0 on the diagonal and 1 elsewhere the expected "
        "cost of j is 1 − p(j), so the rule is the plain argmax."
    )
    matrix = cost_editor(model)
    with widgets.reported_errors("applying the cost matrix"):
        y_pred = min_cost_predictions(model.valid_proba, matrix)
        argmax_cost = expected_cost(model.y_valid, scores.y_pred, matrix)
        min_cost = expected_cost(model.y_valid, y_pred, matrix)
        argmax_column, min_cost_column = st.columns(2)
        argmax_column.metric(
            "Mean cost per validation row, argmax", widgets.format_value(argmax_cost)
        )
        delta = widgets.format_value(min_cost - argmax_cost)
        # Streamlit colours "0.000" as a rise, so an equal cost shows no delta.
        min_cost_column.metric(
            "Mean cost per validation row, minimum expected cost",
            widgets.format_value(min_cost),
            delta=None if float(delta) == 0 else delta,
            delta_color="inverse",
        )
        n_changed = int(np.sum(y_pred != scores.y_pred))
        st.caption(
            f"{n_changed} of {len(y_pred)} validation rows get another class than "
            "the argmax. Each row's prediction has the lowest cost expected "
            "under the model's probabilities; the mean cost counts the rows' "
            "true classes, so it is lower than argmax's only as far as those "
            "probabilities are right."
        )
        confusion = metrics.confusion_matrix_frame(
            model.y_valid, y_pred, model.classes_
        )
        report = metrics.classification_report_frame(
            model.y_valid, y_pred, model.classes_
        )
        matrix_column, report_column = st.columns(2)
        matrix_column.plotly_chart(
            figures.confusion_matrix_figure(confusion), key="confusion_min_cost"
        )
        report_column.markdown(
            "**Classification report** (minimum expected cost predictions)"
        )
        report_column.dataframe(widgets.report_table(report))
