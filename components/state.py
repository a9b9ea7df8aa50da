"""Session state of one browser tab, behind named fields and typed accessors.

Every page reads and writes the tab's state through `get()`, which returns
one `ExplorerState` stored under a single session-state key, so no page
guesses what another stored. The fields hold core objects (the parsed
table, encoding specs, prepared data, trained model, threshold table).

Streamlit drops a widget's value when a rerun does not draw the widget,
which is what happens on a page switch. `seed_widget` copies a stored value
back into the widget's key before it is drawn, so a page shows the same
choices when the user comes back to it.

Every model that becomes current with a run id is also kept in `runs`, the
tab's last `MAX_RUNS` trainings, so the Runs page can compare them and make
any of them current again. Each keeps a `DataSummary` of the data it was
trained on, because the Data page may have moved on to other data since.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.bundle import model_to_bytes
from core.metrics import (
    ThresholdTable,
    multiclass_metrics,
    pr_curve_points,
    roc_curve_points,
)
from core.threshold_tools import reliability_curve, sweep_for_plot

if TYPE_CHECKING:
    import pandas as pd

    from core.bundle import PredictionResult, TrainedModel
    from core.data import CSVTable
    from core.encoding import ColumnSpec, MissingPolicy
    from core.metrics import Curve, MulticlassMetrics
    from core.pipeline import PreparedData
    from core.profiles import ColumnProfile
    from core.threshold_tools import Reliability
    from core.training import TrainConfig

_STATE_KEY = "explorer_state"
DEFAULT_THRESHOLD = 0.5
# Finished trainings a tab keeps for comparison; the oldest is dropped first.
MAX_RUNS = 10


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


@dataclass(frozen=True)
class DataSummary:
    """The data a training run used: file, target and size, and the choices.

    It is small on purpose: a kept run must not hold on to its whole table.
    """

    name: str
    content_hash: str
    target: str
    n_rows: int
    n_features: int
    # `DataChoices.prepared_signature` of the run: file, target, positive
    # class, encodings and missing-value policy.
    signature: tuple[Any, ...] | None

    def describe(self) -> str:
        """Return "penguins.csv (target species, 333 rows)"."""
        return f"{self.name} (target {self.target}, {self.n_rows} rows)"

    def matches(self, choices: DataChoices | None) -> bool:
        """Return whether `choices` would train on exactly this data."""
        return (
            choices is not None
            and choices.prepared is not None
            and choices.prepared_signature == self.signature
        )


def summarize(choices: DataChoices | None) -> DataSummary | None:
    """Return the summary of prepared data choices, or None if not prepared."""
    if choices is None or choices.prepared is None or choices.target is None:
        return None
    return DataSummary(
        name=choices.dataset.name,
        content_hash=choices.dataset.content_hash,
        target=choices.target,
        n_rows=choices.prepared.n_samples,
        n_features=choices.prepared.encoder.n_features,
        signature=choices.prepared_signature,
    )


@dataclass
class RunEntry:
    """A finished training of this tab, kept for the Runs page.

    `number` counts the tab's trainings from 1 and never repeats, so a run
    keeps its name after older ones are dropped. `threshold` and
    `abstain_band` are the last ones chosen while this run was current.
    """

    number: int
    run_id: str
    model: TrainedModel
    threshold: float
    finished_at: float
    abstain_band: tuple[float, float] | None = None
    data: DataSummary | None = None
    # Built on first use, like the current model's table.
    threshold_table: ThresholdTable | None = None

    @property
    def name(self) -> str:
        """Display name, such as "run 3"."""
        return f"run {self.number}"


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
    # The run ids of the URL are read once, on the tab's first rerun.
    url_runs_read: bool = False
    # The URL's current run id when the job registry no longer contains it,
    # and how many of the URL's run ids it no longer contains.
    missing_run_id: str | None = None
    n_missing_runs: int = 0
    model: TrainedModel | None = None
    model_run_id: str | None = None
    # The data the current model was trained on; None for a model file.
    model_data: DataSummary | None = None
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
    # What the formula escaping of `prediction_csv` changed, or None.
    prediction_csv_note: str | None = None
    prediction_signature: tuple[Any, ...] | None = None
    # The probabilities [lower, upper) sent to review, or None for no band,
    # and the last range the band slider showed, kept while the band is off.
    abstain_band: tuple[float, float] | None = None
    abstain_range: tuple[float, float] | None = None
    model_bytes_band: tuple[float, float] | None = None
    threshold_sweep: pd.DataFrame | None = None
    # The live loss figure and the (run id, epochs) it was built for, so a
    # poll without a new epoch does not rebuild it.
    loss_figure: Any = None
    loss_figure_key: tuple[str | None, int] | None = None
    reliability: Reliability | None = None
    # The multiclass cost matrix as last edited, and the matrix the open
    # editor started from: its edits are deltas against the second one.
    cost_matrix: pd.DataFrame | None = None
    cost_base: pd.DataFrame | None = None
    # The "reproduce in code" script of the current model, made once.
    script: str | None = None
    script_error: str | None = None
    script_signature: tuple[Any, ...] | None = None
    runs: list[RunEntry] = field(default_factory=list)
    n_runs: int = 0


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


def set_model(
    model: TrainedModel, run_id: str | None, data: DataSummary | None = None
) -> None:
    """Make `model` the current one and drop everything derived from the last.

    `data` describes what the model was trained on, for the pages to show.
    """
    tab = get()
    tab.model = model
    tab.model_run_id = run_id
    tab.model_data = data
    tab.model_version += 1
    tab.threshold = float(model.threshold)
    tab.threshold_table = None
    tab.curves = None
    tab.multiclass = None
    tab.model_bytes = None
    tab.model_bytes_threshold = None
    tab.prediction = None
    tab.prediction_csv = None
    tab.prediction_csv_note = None
    tab.prediction_signature = None
    tab.abstain_band = model.abstain_band
    tab.abstain_range = model.abstain_band
    tab.model_bytes_band = None
    tab.threshold_sweep = None
    tab.reliability = None
    tab.cost_matrix = None
    tab.cost_base = None
    tab.script = None
    tab.script_error = None
    tab.script_signature = None
    if run_id is not None:
        _remember_run(model, run_id, data)


def _remember_run(model: TrainedModel, run_id: str, data: DataSummary | None) -> None:
    tab = get()
    entry = find_run(run_id)
    if entry is not None:
        entry.model = model
        entry.data = data or entry.data
        return
    tab.n_runs += 1
    tab.runs.append(
        RunEntry(
            number=tab.n_runs,
            run_id=run_id,
            model=model,
            threshold=float(model.threshold),
            finished_at=time.time(),
            abstain_band=model.abstain_band,
            data=data,
        )
    )
    del tab.runs[:-MAX_RUNS]


def restore_run(
    run_id: str,
    model: TrainedModel,
    finished_at: float,
    data: DataSummary | None,
    threshold: float | None = None,
    abstain_band: tuple[float, float] | None = None,
) -> RunEntry:
    """Keep a finished run of a reloaded tab, without making it current.

    A `threshold` of None means none was chosen, so the model's own is kept.
    """
    existing = find_run(run_id)
    if existing is not None:
        return existing
    tab = get()
    tab.n_runs += 1
    entry = RunEntry(
        number=tab.n_runs,
        run_id=run_id,
        model=model,
        threshold=float(model.threshold if threshold is None else threshold),
        finished_at=finished_at,
        abstain_band=abstain_band,
        data=data,
    )
    tab.runs.append(entry)
    del tab.runs[:-MAX_RUNS]
    return entry


def find_run(run_id: str | None) -> RunEntry | None:
    """Return the kept run with `run_id`, or None."""
    return next((entry for entry in get().runs if entry.run_id == run_id), None)


def current_run() -> RunEntry | None:
    """Return the kept run of the current model, if it came from a training."""
    return find_run(get().model_run_id)


def use_run(run_id: str) -> None:
    """Make the kept run `run_id` the current model, with its threshold and band.

    The tab's run id moves to that run too, so the next rerun does not
    collect the newest training's model over it, and a reloaded tab comes
    back to it.
    """
    entry = find_run(run_id)
    if entry is None:
        raise KeyError(f"run {run_id!r} is not among this tab's kept runs")
    tab = get()
    tab.run_id = entry.run_id
    threshold, band = entry.threshold, entry.abstain_band
    set_model(entry.model, entry.run_id, entry.data)
    set_threshold(threshold)
    set_abstain_band(band)
    tab.abstain_range = band


# Called with a kept run whose threshold or band changed. The job registry
# sets it, so that a reloaded tab gets the run's choices back from the server.
_choices_sink: Callable[[RunEntry], None] | None = None


def set_choices_sink(sink: Callable[[RunEntry], None] | None) -> None:
    """Set the function that stores a kept run's threshold and band elsewhere."""
    global _choices_sink
    _choices_sink = sink


def set_threshold(threshold: float) -> None:
    """Store the decision threshold that metrics, export and prediction use."""
    tab = get()
    tab.threshold = float(threshold)
    entry = current_run()
    if entry is not None and entry.threshold != tab.threshold:
        entry.threshold = tab.threshold
        _store_choices(entry)


def set_abstain_band(band: tuple[float, float] | None) -> None:
    """Store the abstain band that the model file and prediction use."""
    tab = get()
    tab.abstain_band = None if band is None else (float(band[0]), float(band[1]))
    entry = current_run()
    if entry is not None and entry.abstain_band != tab.abstain_band:
        entry.abstain_band = tab.abstain_band
        _store_choices(entry)


def _store_choices(entry: RunEntry) -> None:
    if _choices_sink is not None:
        _choices_sink(entry)


def export_model() -> TrainedModel:
    """Return the current model with the chosen threshold and abstain band."""
    tab = get()
    model = _require_model().with_threshold(tab.threshold)
    if model.is_binary:
        model = model.with_abstain_band(tab.abstain_band)
    return model


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


def threshold_sweep() -> pd.DataFrame:
    """Return the metrics over thresholds for the plot, built once per model."""
    tab = get()
    if tab.threshold_sweep is None:
        tab.threshold_sweep = sweep_for_plot(threshold_table())
    return tab.threshold_sweep


def reliability() -> Reliability:
    """Return the current binary model's reliability curve in 10 bins, once."""
    tab = get()
    if tab.reliability is None:
        model = _require_model()
        tab.reliability = reliability_curve(model.y_valid, model.valid_proba, 10)
    return tab.reliability


def run_threshold_table(entry: RunEntry) -> ThresholdTable:
    """Return the threshold table of a kept binary run, built once."""
    if entry.threshold_table is None:
        model = entry.model
        entry.threshold_table = ThresholdTable.from_scores(
            model.y_valid, model.valid_proba
        )
    return entry.threshold_table


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
    """Return the current model's file with the current threshold and band, made
    once per model, threshold and band, so a rerun does not serialize it again."""
    tab = get()
    if (
        tab.model_bytes is None
        or tab.model_bytes_threshold != tab.threshold
        or tab.model_bytes_band != tab.abstain_band
    ):
        tab.model_bytes = model_to_bytes(export_model())
        tab.model_bytes_threshold = tab.threshold
        tab.model_bytes_band = tab.abstain_band
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
