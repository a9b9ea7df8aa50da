"""Streamlit widgets shared by the pages: metric cards, formulas, errors, help.

The functions here draw what core returns. Numbers are formatted, never
computed: every value shown comes from a core object.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from components import figures, jobs, state, text
from core.errors import ExplorerError

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from core.bundle import TrainedModel
    from core.job import TrainingJob
    from core.metrics import ThresholdMetrics
    from core.training import EpochRecord

logger = logging.getLogger(__name__)

# Concept explanations shown in expanders. Each states the rule exactly as
# the code applies it.
CONCEPTS: dict[str, tuple[str, str]] = {
    "label_encoding": (
        "Label (ordinal) encoding",
        "Ordinal encoding replaces each category with one integer code, in the "
        "order you give, lowest first: the first category gets 0, the next 1, "
        "and so on. Order `F, D, C, B, A` gives F = 0, D = 1, C = 2, B = 3, "
        "A = 4. Use it when the categories have a natural order, because the "
        "network then treats B as lying between C and A. For categories "
        "without an order the codes invent one, so use one-hot there.\n\n"
        "The **target** is label-encoded too: its classes become the codes "
        "0 … K−1 shown in the mapping table. The network learns the codes, "
        "and every metric, report and prediction translates them back to "
        "the original labels.",
    ),
    "onehot": (
        "One-hot encoding",
        "One-hot encoding turns a column with K categories into K columns "
        "named `column_category`. Each row has a 1 in the column of its "
        "category and 0 in the others, so no order between categories is "
        "implied. The model file stores the training categories: a "
        "prediction file gets exactly the same columns in the same order, "
        "and a category that training never saw is reported for its row "
        "instead of being encoded as all zeros.",
    ),
    "numeric": (
        "Numeric columns and scaling",
        "A numeric column enters the network as a number. With **scale** on "
        "it is standardised to (x − mean) / standard deviation, which puts "
        "all inputs on a similar range and makes gradient descent better "
        "behaved. The mean and standard deviation are stored in the model "
        "file, so prediction applies the same shift and scale.",
    ),
    "missing": (
        "Missing values",
        "**Impute** fills a missing number with the column's mean or median "
        "and a missing category with its most frequent value; the fill values "
        "are stored with the encoder and reused at prediction. **Drop rows** "
        "removes every row with a missing feature value. Rows without a "
        "target value are always excluded, because they have no label to "
        "learn from. pandas reads empty cells and text such as `NA`, `N/A` "
        "and `null` as missing.",
    ),
    "sigmoid": (
        "Sigmoid and the decision threshold",
        "A binary model has one output unit. Its raw output z (the logit) "
        "goes through the sigmoid σ(z) = 1 / (1 + e^−z), which gives "
        "p = P(positive class), a number between 0 and 1. A row is labelled "
        "**positive when p ≥ threshold** and negative otherwise. Raising the "
        "threshold makes fewer positive predictions: recall can only fall or "
        "stay, while precision usually rises.",
    ),
    "bce": (
        "Binary cross-entropy",
        "For one row with label y ∈ {0, 1} and predicted probability p, the "
        "loss is −[y log p + (1 − y) log(1 − p)]: −log p for a positive row "
        "and −log(1 − p) for a negative one. Training minimises the mean over "
        "each batch. It is computed from the logit (PyTorch's "
        "`BCEWithLogitsLoss`), which equals a sigmoid followed by BCE but "
        "stays finite when p is very close to 0 or 1.",
    ),
    "cross_entropy": (
        "Softmax and cross-entropy",
        "A model for K classes has K output units with logits z₁ … z_K. The "
        "softmax turns them into probabilities p_k = e^{z_k} / Σ_j e^{z_j}, "
        "which are positive and sum to 1. The loss of a row whose true class "
        "is y is −log p_y. PyTorch's `CrossEntropyLoss` applies the "
        "log-softmax itself, so the network passes raw logits to the loss and "
        "softmax is applied only to display probabilities.",
    ),
    "sgd": (
        "Gradient descent, batch size and momentum",
        "Each step takes a batch of training rows, computes their mean loss "
        "and moves every weight against its gradient: w ← w − η ∇L, where η "
        "is the learning rate. **Batch size 1** is plain stochastic gradient "
        "descent: one row per step. A batch as large as the training set is "
        "full-batch gradient descent, and anything between is mini-batch. "
        "An epoch is one pass over all training rows, so its last batch can "
        "be smaller than the batch size. **Momentum** μ keeps a running "
        "direction v ← μ v + ∇L and steps w ← w − η v (PyTorch's form). "
        "**Adam** adapts the step of each weight from running averages of "
        "its gradient and squared gradient.",
    ),
    "early_stopping": (
        "Validation share and early stopping",
        "The validation share of the rows is held out: the network never "
        "trains on it, and after every epoch it measures the validation loss "
        "and accuracy. The Evaluate page uses these rows too. With early "
        "stopping, training ends when the validation loss has not improved "
        "for `patience` epochs in a row.",
    ),
    "accuracy": (
        "Accuracy",
        "Accuracy = (TP + TN) / (TP + FP + TN + FN): the share of rows whose "
        "predicted label equals the true label. With unbalanced classes it "
        "can be high even when every positive row is missed.",
    ),
    "precision": (
        "Precision",
        "Precision = TP / (TP + FP): of the rows predicted positive, the "
        "share that are truly positive. When no row is predicted positive "
        "(TP + FP = 0) precision is **undefined**, and this app shows it as "
        "undefined rather than as a misleading 0.",
    ),
    "recall": (
        "Recall",
        "Recall = TP / (TP + FN): of the truly positive rows, the share the "
        "model labels positive (also called sensitivity or true positive "
        "rate). It is undefined when the validation rows contain no positive "
        "row.",
    ),
    "f1": (
        "F1 score",
        "F1 = 2 · precision · recall / (precision + recall) = "
        "2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall. "
        "It is high only when both are high. With no positive prediction "
        "but positive rows present, TP = 0, so F1 = 0.",
    ),
    "report": (
        "Classification report",
        "One row per class, each computed as if that class were the positive "
        "one: precision, recall, F1 and **support** (the number of validation "
        "rows whose true label is that class). **accuracy** is the share of "
        "all rows labelled correctly. **macro avg** is the plain mean over "
        "classes, and **weighted avg** weights each class by its support. "
        "The note column explains a value that is undefined.",
    ),
    "softmax_argmax": (
        "Softmax and argmax",
        "The softmax gives one probability per class, and they sum to 1. The "
        "predicted label is the **argmax**: the class with the largest "
        "probability, which is also the class with the largest logit. A "
        "multiclass model has no threshold.",
    ),
}


def concept(name: str, expanded: bool = False) -> None:
    """Draw the explanation of concept `name` in an expander."""
    title, body = CONCEPTS[name]
    with st.expander(title, expanded=expanded):
        st.markdown(body)


def upload_limit_caption(fix: str) -> None:
    """State the server's upload size limit and `fix`, what to do with a larger file.

    Streamlit's uploader rejects a larger file in the browser, and shows why
    only while the pointer is over the file's name.
    """
    limit_mb = st.get_option("server.maxUploadSize")
    st.caption(
        f"A file over {limit_mb} MB is rejected before it reaches the app: its "
        f"name turns red, and pointing at it shows why. {fix}"
    )


def page_intro(title: str, line: str) -> None:
    """Draw a page title and its one-line explanation."""
    st.title(title)
    st.caption(line)


@contextlib.contextmanager
def reported_errors(action: str) -> Iterator[None]:
    """Show an `ExplorerError` raised inside the block with `st.error`.

    The error ends the block but not the page, so the rest of the page and
    everything already in session state stay usable.
    """
    try:
        yield
    except ExplorerError as error:
        log_error(action, error)
        st.error(text.message(error))


def log_error(action: str, error: ExplorerError) -> None:
    """Log an error that a page shows instead of raising."""
    logger.info("%s failed: %s", action, error)


def format_value(value: float, digits: int = 3) -> str:
    """Format a metric value with a fixed number of decimals."""
    return f"{value:.{digits}f}"


METRIC_LABELS = {
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
}


def metric_cards(metrics: ThresholdMetrics) -> None:
    """Draw accuracy, precision, recall and F1 as four metric cards.

    An undefined metric reads "undefined" with core's reason below it, such
    as "(no positive predictions)", because the whole phrase does not fit
    the card.
    """
    for column, (name, label) in zip(st.columns(4), METRIC_LABELS.items(), strict=True):
        reason = metrics.undefined_reason(name)
        if reason is None:
            column.metric(label, metrics.value_text(name))
        else:
            column.metric(label, "undefined")
            column.caption(f"({reason})")


def count_cards(metrics: ThresholdMetrics) -> None:
    """Draw the four confusion counts TP, FP, TN and FN."""
    counts = (
        ("TP (true positives)", metrics.tp),
        ("FP (false positives)", metrics.fp),
        ("TN (true negatives)", metrics.tn),
        ("FN (false negatives)", metrics.fn),
    )
    for column, (label, count) in zip(st.columns(4), counts, strict=True):
        column.metric(label, int(count))


def formula_rows(metrics: ThresholdMetrics) -> None:
    """Draw each metric's formula with the current counts filled in."""
    lines = [metrics.formula_text(name) for name in METRIC_LABELS]
    st.code("\n".join(lines), language=None)


def problems_text(messages: list[str], limit: int = 50) -> str:
    """Return the messages, escaped, as a Markdown list of at most `limit` items."""
    lines = [f"- {text.message(message)}" for message in messages[:limit]]
    if len(messages) > limit:
        lines.append(f"- … and {len(messages) - limit} more")
    return "\n".join(lines)


def report_table(report: pd.DataFrame) -> pd.DataFrame:
    """Format a classification report for display: four decimals, and a dash
    where a value is undefined or, in the accuracy row, does not apply."""
    shown = report.copy()
    for column in ("precision", "recall", "f1-score"):
        if column in shown:
            shown[column] = [
                "—" if pd.isna(value) else f"{value:.4f}" for value in shown[column]
            ]
    return shown


def softmax_rows_frame(
    model: TrainedModel, y_pred: np.ndarray, per_class: int = 3
) -> pd.DataFrame:
    """Tabulate a few validation rows of each true class: p per class and argmax.

    The index is the row's position among the validation rows.
    """
    picked = [
        np.flatnonzero(model.y_valid == code)[:per_class]
        for code in range(model.n_classes)
    ]
    rows = np.sort(np.concatenate(picked))
    classes = np.asarray(model.classes_, dtype=object)
    frame = pd.DataFrame(
        model.valid_proba[rows],
        columns=[f"p({name})" for name in model.classes_],
        index=pd.Index(rows, name="row"),
    )
    frame.insert(0, "true label", classes[model.y_valid[rows]])
    frame["argmax label"] = classes[y_pred[rows]]
    return frame


def loss_formula(is_binary: bool) -> str:
    """Return the LaTeX of the training loss for one row."""
    if is_binary:
        return r"L = -\left[\,y \log p + (1 - y) \log(1 - p)\,\right]"
    return r"L = -\log p_y, \qquad p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}"


def job_progress_fraction(job: TrainingJob) -> float:
    """Return the share of epochs done, for a progress bar."""
    if job.total_epochs <= 0:
        return 0.0
    return min(1.0, job.epochs_done / job.total_epochs)


def job_progress_text(job: TrainingJob) -> str:
    """Return "epoch n / N, about T s left" for a running job."""
    text = f"epoch {job.epochs_done} / {job.total_epochs}"
    eta = job.eta_seconds()
    if eta is not None:
        text += f", about {eta:.0f} s left"
    return text


def model_data_text(model: TrainedModel, data: state.DataSummary | None) -> str:
    """Return "Model trained on **penguins.csv** (target **species**, 333 rows)."."""
    if data is not None:
        return (
            f"Model trained on **{text.name(data.name)}** (target "
            f"**{text.name(data.target)}**, {data.n_rows} rows)."
        )
    target = text.name(model.target_name)
    if model.dataset_name:
        return (
            f"Model trained on **{text.name(model.dataset_name)}** "
            f"(target **{target}**)."
        )
    return f"Model for target **{target}**."


def summary_text(summary: state.DataSummary) -> str:
    """Return `summary.describe()` as Markdown, with the names escaped and cut."""
    return (
        f"{text.name(summary.name)} (target {text.name(summary.target)}, "
        f"{summary.n_rows} rows)"
    )


def best_epoch(history: list[EpochRecord]) -> int | None:
    """Return the epoch with the lowest finite validation loss, the first on ties.

    Training keeps the first of equal losses too, because it replaces the best
    weights only on a strictly lower loss.
    """
    finite = [record for record in history if math.isfinite(record.valid_loss)]
    if not finite:
        return None
    return min(finite, key=lambda record: record.valid_loss).epoch


def clock_text(timestamp: float) -> str:
    """Format a `time.time()` value as local "HH:MM:SS.s", truncated to 0.1 s."""
    return datetime.datetime.fromtimestamp(timestamp).strftime("%H:%M:%S.%f")[:-5]


def run_times_text(record: jobs.RunRecord) -> str:
    """Return "Started at 18:55:02.3, ended at 18:55:08.7 (6.4 s)." for a run."""
    started = f"Started at {clock_text(record.started_at)}"
    ended_at = record.ended_at
    if ended_at is None:
        return f"{started}."
    seconds = record.job.elapsed_seconds()
    return f"{started}, ended at {clock_text(ended_at)} ({seconds:.1f} s)."


# Seconds between redraws of the live loss curve. Each redraw holds the
# GIL while it serializes the figure, which slows a batch-size-1 training
# thread, so it should not be shorter.
LIVE_POLL_SECONDS = 1.0


def loss_figure(run_id: str | None, job: TrainingJob) -> go.Figure:
    """Return the loss curve of `job`, rebuilt only when an epoch was added."""
    tab = state.get()
    history = job.history()
    key = (run_id, len(history))
    if tab.loss_figure is None or tab.loss_figure_key != key:
        tab.loss_figure = figures.loss_curve_figure(history)
        tab.loss_figure_key = key
    return tab.loss_figure


def model_status_text() -> str:
    """Return the sidebar's one-line model status."""
    tab = state.get()
    record = jobs.current_record()
    if record is not None and record.is_running:
        return f"training {job_progress_text(record.job)}"
    if tab.model is None:
        if record is not None and record.job.error is not None:
            return "none (the last training failed)"
        return "none"
    # Accuracy would depend on the threshold, which the Evaluate page moves
    # inside a fragment that does not redraw the sidebar; the loss does not.
    history = tab.model.history
    if not history:
        return "trained"
    if tab.model.config.restore_best:
        loss = min(record.valid_loss for record in history)
    else:
        loss = history[-1].valid_loss
    return f"trained ({len(history)} epochs, val loss {loss:.3f})"


def sidebar_status(poll: bool = True) -> None:
    """Draw the dataset, target and model status in the sidebar.

    While this tab's model trains and `poll` is true, the status redraws
    itself every second. A page that polls the run itself passes False,
    because with two polling fragments on a page and five tabs training on
    2 cores, Streamlit 1.67 ran only the sidebar's reruns and the page's
    live curve and Stop button froze.
    """
    record = jobs.current_record()
    running = record is not None and record.is_running
    with st.sidebar:
        every = 1.0 if running and poll else None
        st.fragment(run_every=every)(_sidebar_body)(running, poll)


def _sidebar_body(was_running: bool, poll: bool = True) -> None:
    tab = state.get()
    st.markdown("**Status**")
    if tab.data is None:
        st.caption("Dataset: none")
    else:
        frame = tab.data.dataset.table.frame
        st.caption(
            f"Dataset: {text.name(tab.data.dataset.name)} "
            f"({frame.shape[0]} rows × {frame.shape[1]} columns)"
        )
        target = tab.data.target
        st.caption(f"Target: {text.name(target) if target else 'not chosen'}")
    if was_running and not poll:
        st.caption("Model: training, with its progress on this page")
    else:
        st.caption(f"Model: {model_status_text()}")
    record = jobs.current_record()
    summary, verb = tab.model_data, "Trained on"
    if record is not None and record.is_running:
        summary, verb = record.data_summary, "Trains on"
    if summary is not None and not summary.matches(tab.data):
        same_file = (
            tab.data is not None
            and tab.data.dataset.content_hash == summary.content_hash
            and tab.data.target == summary.target
        )
        differs = (
            "other choices than the ones above"
            if same_file
            else "not the dataset above"
        )
        st.caption(f"{verb}: {summary_text(summary)}, {differs}")
    if was_running and (record is None or not record.is_running):
        # The run ended during a fragment rerun: a full rerun collects the
        # model and stops this polling.
        st.rerun(scope="app")
