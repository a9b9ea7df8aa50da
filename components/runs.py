"""Widgets about this tab's trainings: the data a run used, and the Runs page.

The Runs page shows the finished trainings side by side. Each run's
metrics come from its cached validation probabilities at the threshold
last chosen for it; nothing retrains.
"""

from __future__ import annotations

import datetime
import math

import pandas as pd
import streamlit as st

from components import figures, state, text, widgets
from core.errors import ExplorerError
from core.metrics import multiclass_metrics

BINARY_METRICS = ("accuracy", "precision", "recall", "f1")
NOT_APPLICABLE = "—"


def _number(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "undefined"


def data_change_notice(
    summary: state.DataSummary, current: state.DataChoices | None, running: bool
) -> str | None:
    """Return what differs between a run's data and the Data page's, or None.

    The text names the run's data, the Data page's, and what to do to train
    on the second.
    """
    if summary.matches(current):
        return None
    subject = "This run trains on" if running else "This model was trained on"
    head = f"{subject} {summary.describe()}."
    if current is None:
        return f"{head} The Data page has no usable dataset now."
    dataset = current.dataset
    if dataset.content_hash != summary.content_hash:
        name = dataset.name
        if name == summary.name:
            name = f"a changed {name}"
        change = f"The Data page now has {name}"
    elif current.target != summary.target:
        change = f"The Data page now has the target {current.target} for this file"
    else:
        change = (
            "The Data page now has other choices for this file and target "
            "(positive class, encodings or missing values)"
        )
    action = "start training to use it"
    if current.prepared is None:
        action = f"finish its target and encodings there, then {action}"
    if running:
        action += " once this run ends or is stopped"
    return f"{head} {change}: {action}."


def data_notice(summary: state.DataSummary | None, running: bool) -> None:
    """Draw a warning when the Data page's choices differ from the run's data."""
    if summary is None:
        return
    notice = data_change_notice(summary, state.get().data, running)
    if notice is not None:
        # The notice quotes file and target names, so it is shown as text.
        st.warning(text.plain(notice), icon=":material/swap_horiz:")


def settings_rows(entry: state.RunEntry) -> dict[str, str]:
    """Return the run's data and training settings as display text."""
    model = entry.model
    config = model.config
    finished = datetime.datetime.fromtimestamp(entry.finished_at)
    momentum = f"{config.momentum:g}" if config.optimizer == "sgd" else NOT_APPLICABLE
    patience = f"yes, patience {config.patience}" if config.early_stopping else "no"
    return {
        "finished at": finished.strftime("%H:%M:%S"),
        "dataset": model.dataset_name or NOT_APPLICABLE,
        "target": model.target_name,
        "classes": ", ".join(model.classes_),
        "features": str(model.encoder.n_features),
        "hidden layers": ", ".join(map(str, config.hidden_layers)) or "none",
        "activation": config.activation,
        "optimizer": config.optimizer,
        "learning rate": f"{config.learning_rate:g}",
        "momentum": momentum,
        "batch size": str(config.batch_size),
        "max epochs": str(config.epochs),
        "validation share": f"{config.validation_share:g}",
        "seed": str(config.seed),
        "early stopping": patience,
        "keeps best epoch": "yes" if config.restore_best else "no",
    }


def outcome_rows(entry: state.RunEntry) -> dict[str, str]:
    """Return how the run ended and its losses."""
    history = entry.model.history
    rows = {"status": entry.model.status, "epochs run": str(len(history))}
    valid = [r for r in history if math.isfinite(r.valid_loss)]
    if valid:
        best = min(valid, key=lambda record: record.valid_loss)
        rows["best validation loss"] = (
            f"{_number(best.valid_loss)} (epoch {best.epoch})"
        )
    else:
        rows["best validation loss"] = NOT_APPLICABLE
    last = history[-1].train_loss if history else math.nan
    rows["last training loss"] = _number(last)
    return rows


def metric_rows(entry: state.RunEntry) -> dict[str, str]:
    """Return the run's validation metrics: at its threshold, or by argmax."""
    model = entry.model
    names = [widgets.METRIC_LABELS[name] for name in BINARY_METRICS]
    rows = dict.fromkeys(
        ["threshold", "review band", *names, "macro F1"], NOT_APPLICABLE
    )
    try:
        if model.is_binary:
            at_threshold = state.run_threshold_table(entry).at(entry.threshold)
            rows["threshold"] = figures.format_threshold(entry.threshold)
            # The metrics count every row at the threshold; the Evaluate page
            # shows them on the rows outside the band.
            rows["review band"] = "none"
            if entry.abstain_band is not None:
                lower, upper = entry.abstain_band
                rows["review band"] = f"{lower:.2f} ≤ p < {upper:.2f} (not in metrics)"
            for name, label in zip(BINARY_METRICS, names, strict=True):
                rows[label] = at_threshold.value_text(name)
        else:
            scores = multiclass_metrics(
                model.y_valid, model.valid_proba, model.classes_
            )
            rows["threshold"] = "argmax"
            rows["Accuracy"] = _number(scores.accuracy, 3)
            rows["macro F1"] = _number(scores.report.loc["macro avg", "f1-score"], 3)
    except ExplorerError as error:
        # A diverged run can have NaN probabilities, which no metric accepts.
        widgets.log_error(f"scoring {entry.name}", error)
        rows["threshold"] = "no metrics: " + str(error)
    return rows


def runs_frame(
    entries: list[state.RunEntry], current_run_id: str | None
) -> pd.DataFrame:
    """Tabulate the runs side by side: one column per run, newest first."""
    columns = {}
    for entry in reversed(entries):
        name = entry.name + (" (current)" if entry.run_id == current_run_id else "")
        columns[name] = {
            **outcome_rows(entry),
            **metric_rows(entry),
            **settings_rows(entry),
        }
    return pd.DataFrame(columns)


def loss_overlay(entries: list[state.RunEntry]) -> None:
    """Overlay the loss curves of every run, one colour per run."""
    histories = {entry.name: entry.model.history for entry in entries}
    st.plotly_chart(
        figures.loss_curves_overlay_figure(histories), key="runs_loss_overlay"
    )


def make_current_buttons(
    entries: list[state.RunEntry], current_run_id: str | None, training: bool
) -> None:
    """Draw one button per run that makes its model the current one."""
    st.markdown("**Make a run the current model** (Evaluate and Predict use it)")
    newest_first = list(reversed(entries))
    for column, entry in zip(st.columns(len(newest_first)), newest_first, strict=True):
        is_current = entry.run_id == current_run_id
        column.button(
            f"Use {entry.name}",
            key=f"use_run_{entry.number}",
            disabled=is_current or training,
            help=(
                "This run is the current model."
                if is_current
                else "Make this run's model current, with its threshold."
            ),
            on_click=state.use_run,
            args=(entry.run_id,),
        )
    if training:
        st.caption("A training run is in progress; wait for it to end to switch.")
