"""Session state of one browser tab, behind named fields and typed accessors.

Every page reads and writes the tab's state through `get()`, which returns
one `ExplorerState` stored under a single session-state key, so no page
guesses what another stored. The fields hold core objects (the parsed
table, encoding specs, prepared data, trained model, threshold table).

Streamlit drops a widget's value when a rerun does not draw the widget,
which is what happens on a page switch. `seed_widget` copies a stored value
back into the widget's key before it is drawn, so a page shows the same
choices when the user comes back to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.bundle import model_to_bytes
from core.metrics import (
    ThresholdTable,
    multiclass_metrics,
    pr_curve_points,
    roc_curve_points,
)

if TYPE_CHECKING:
    import pandas as pd

    from core.bundle import PredictionResult, TrainedModel
    from core.data import CSVTable
    from core.encoding import ColumnSpec, MissingPolicy
    from core.metrics import Curve, MulticlassMetrics
    from core.pipeline import PreparedData
    from core.profiles import ColumnProfile
    from core.training import TrainConfig

_STATE_KEY = "explorer_state"
DEFAULT_THRESHOLD = 0.5


@dataclass
class Dataset:
    """A parsed CSV file and where it came from."""

    name: str
    content_hash: str
    table: CSVTable
    profiles: list[ColumnProfile]
    # The bundled samples name their target column; an upload leaves it None.
    suggested_target: str | None = None


@dataclass
class DataChoices:
    """The Data page's choices and the prepared data they produce.

    A training run stores a copy of this object, so a new tab opened on the
    run's URL gets back the dataset and encodings the model was trained on.
    """

    dataset: Dataset
    target: str | None = None
    pos_label: str | None = None
    specs: list[ColumnSpec] | None = None
    missing: MissingPolicy | None = None
    # The encoding table as the user last edited it, and the table the open
    # editor started from: edits are deltas against the second one.
    editor_table: pd.DataFrame | None = None
    editor_base: pd.DataFrame | None = None
    prepared: PreparedData | None = None
    # The inputs `prepared` was computed from, so a rerun with unchanged
    # choices reuses it instead of encoding the table again.
    prepared_signature: tuple[Any, ...] | None = None


@dataclass
class ExplorerState:
    """Everything one tab keeps between reruns."""

    data: DataChoices | None = None
    # The uploader's last file id and the message of its failed parse, so a
    # rerun neither reads the upload again nor loses the error.
    upload_file_id: str | None = None
    upload_error: str | None = None
    train_config: TrainConfig | None = None
    run_id: str | None = None
    # A run id from the URL that the job registry no longer holds.
    missing_run_id: str | None = None
    model: TrainedModel | None = None
    model_run_id: str | None = None
    # Number of models this tab has had. Widget keys that belong to one model
    # include it, so a new model starts with fresh widgets.
    model_version: int = 0
    threshold: float = DEFAULT_THRESHOLD
    threshold_table: ThresholdTable | None = None
    curves: tuple[Curve, Curve] | None = None
    multiclass: MulticlassMetrics | None = None
    # Bytes of the model file offered for download, with the threshold in them.
    model_bytes: bytes | None = None
    model_bytes_threshold: float | None = None
    uploaded_model: TrainedModel | None = None
    uploaded_model_name: str | None = None
    uploaded_model_hash: str | None = None
    model_upload_file_id: str | None = None
    model_upload_error: str | None = None
    # The CSV file to predict, parsed once like the training file.
    predict_table: CSVTable | None = None
    predict_name: str | None = None
    predict_hash: str | None = None
    predict_file_id: str | None = None
    predict_error: str | None = None
    prediction: PredictionResult | None = None
    prediction_csv: bytes | None = None
    prediction_signature: tuple[Any, ...] | None = None


def init() -> ExplorerState:
    """Create this tab's state on its first run and return it."""
    if _STATE_KEY not in st.session_state:
        st.session_state[_STATE_KEY] = ExplorerState()
    return st.session_state[_STATE_KEY]


def get() -> ExplorerState:
    """Return this tab's state, creating it when missing."""
    return init()


def set_dataset(dataset: Dataset) -> DataChoices:
    """Make `dataset` the current one and forget choices made for another."""
    tab = get()
    tab.data = DataChoices(dataset=dataset, target=dataset.suggested_target)
    return tab.data


def set_model(model: TrainedModel, run_id: str | None) -> None:
    """Make `model` the current one and drop everything derived from the last."""
    tab = get()
    tab.model = model
    tab.model_run_id = run_id
    tab.model_version += 1
    tab.threshold = float(model.threshold)
    tab.threshold_table = None
    tab.curves = None
    tab.multiclass = None
    tab.model_bytes = None
    tab.model_bytes_threshold = None
    tab.prediction = None
    tab.prediction_csv = None
    tab.prediction_signature = None


def set_threshold(threshold: float) -> None:
    """Store the decision threshold that metrics, export and prediction use."""
    get().threshold = float(threshold)


def threshold_table() -> ThresholdTable:
    """Return the current binary model's threshold table, built once per model."""
    tab = get()
    if tab.threshold_table is None:
        model = _require_model()
        tab.threshold_table = ThresholdTable.from_scores(
            model.y_valid, model.valid_proba
        )
    return tab.threshold_table


def curves() -> tuple[Curve, Curve]:
    """Return the current binary model's ROC and PR curves, built once per model."""
    tab = get()
    if tab.curves is None:
        model = _require_model()
        tab.curves = (
            roc_curve_points(model.y_valid, model.valid_proba),
            pr_curve_points(model.y_valid, model.valid_proba),
        )
    return tab.curves


def multiclass() -> MulticlassMetrics:
    """Return the current multiclass model's metrics, computed once per model."""
    tab = get()
    if tab.multiclass is None:
        model = _require_model()
        tab.multiclass = multiclass_metrics(
            model.y_valid, model.valid_proba, model.classes_
        )
    return tab.multiclass


def model_file_bytes() -> bytes:
    """Return the current model's file with the current threshold, made once per
    model and threshold, so a rerun does not serialize it again."""
    tab = get()
    model = _require_model()
    if tab.model_bytes is None or tab.model_bytes_threshold != tab.threshold:
        tab.model_bytes = model_to_bytes(model.with_threshold(tab.threshold))
        tab.model_bytes_threshold = tab.threshold
    return tab.model_bytes


def _require_model() -> TrainedModel:
    model = get().model
    if model is None:
        raise RuntimeError("no trained model in this session; train one first")
    return model


def seed_widget(key: str, value: Any) -> str:
    """Put `value` into widget `key` unless the widget already has a value.

    Returns the key, so a call reads ``st.slider(..., key=seed_widget(k, v))``.
    """
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def set_widget(key: str, value: Any) -> None:
    """Set widget `key` to `value`.

    Call it from a widget callback, which runs before the widget is drawn again.
    """
    st.session_state[key] = value
