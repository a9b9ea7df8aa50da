"""Train page: set up the network and optimizer, train, watch the loss live."""

from __future__ import annotations

import streamlit as st

from components import jobs, runs, state, text, train_form, widgets
from core.training import TrainConfig

widgets.page_intro(
    "Train",
    "Choose the network and the optimizer, then train in the background while "
    "the training and validation loss are drawn after every epoch.",
)


def output_head_section(choices: state.DataChoices) -> None:
    """Show the output layer, activation and loss that the target implies."""
    prepared = choices.prepared
    target = prepared.target
    n_features = prepared.encoder.n_features
    if target.is_binary:
        st.markdown(
            f"**Output head:** {target.n_classes} classes, so **1 output unit** "
            f"with a **sigmoid**: p = P({text.name(choices.target)} = "
            f"{text.name(target.pos_label)}). "
            "Loss: **binary cross-entropy**, for a row with label y ∈ {0, 1}:"
        )
    else:
        st.markdown(
            f"**Output head:** {target.n_classes} classes, so "
            f"**{target.n_classes} output units** with a **softmax**, one "
            "probability per class. Loss: **cross-entropy** of the true class y:"
        )
    st.latex(widgets.loss_formula(target.is_binary))
    st.caption(
        f"Input: {n_features} features from {prepared.n_samples} rows of "
        f"**{text.name(choices.dataset.name)}**. The network returns logits, "
        "and the loss is computed from them."
    )
    widgets.concept("bce" if target.is_binary else "cross_entropy")


def start_section(config: TrainConfig | None) -> None:
    """Draw the start button; refuse to start while this tab's run trains."""
    record = jobs.current_record()
    running = record is not None and record.is_running
    clicked = st.button(
        "Start training",
        type="primary",
        disabled=running or config is None,
        icon=":material/play_arrow:",
    )
    if running:
        st.caption("A run is in progress. Stop it to start another one.")
    if clicked and config is not None:
        with widgets.reported_errors("starting training"):
            jobs.start_training(config)
            # A full rerun redraws the sidebar and the live chart as polling.
            st.rerun()


def live_section() -> None:
    """Draw the run's progress, polling twice a second while it trains."""
    record = jobs.current_record()
    if record is None:
        if state.get().missing_run_id:
            st.warning(
                "The training run in this page's address is no longer on the "
                "server (it was restarted or the run was replaced by newer ones)."
            )
        return
    st.subheader("This tab's training run")
    run_every = widgets.LIVE_POLL_SECONDS if record.is_running else None
    st.fragment(run_every=run_every)(_live_body)(record.is_running)


def _live_body(was_running: bool) -> None:
    record = jobs.current_record()
    if record is None:
        return
    job = record.job
    summary = record.data_summary
    if summary is not None:
        verb = "Trains on" if record.is_running else "Trained on"
        st.caption(
            f"{verb} **{text.name(summary.name)}**: target "
            f"**{text.name(summary.target)}**, {summary.n_rows} rows, "
            f"{summary.n_features} features. {widgets.run_times_text(record)}"
        )
    if record.is_running:
        st.progress(
            widgets.job_progress_fraction(job), text=widgets.job_progress_text(job)
        )
        if st.button("Stop training", icon=":material/stop:"):
            job.stop()
    st.plotly_chart(widgets.loss_figure(record.run_id, job), key="loss_curve")
    if was_running and not record.is_running:
        # The run ended: a full rerun collects the model and stops polling.
        st.rerun(scope="app")
    if not record.is_running:
        outcome_section(record)


def outcome_section(record: jobs.RunRecord) -> None:
    """Say how the run ended: finished, stopped early, diverged or failed."""
    job = record.job
    if job.error is not None:
        st.error(text.message(job.error))
        return
    model = job.model
    if model is None:
        return
    epochs = len(model.history)
    if model.status == "diverged":
        st.error(text.message(model.message))
    elif not epochs:
        st.warning(
            f"{model.message.capitalize()}, before the first epoch ended. The "
            "model of this run is kept, but its weights have seen only part of "
            "one epoch and no validation loss was measured: train longer."
        )
        return
    elif model.status in ("stopped", "early_stopped"):
        st.info(f"{model.message.capitalize()}. The model of this run is kept.")
    else:
        st.success(f"Training finished after {epochs} epochs.")
    best = widgets.best_epoch(model.history)
    if model.config.restore_best and model.status != "diverged" and best:
        caption = (
            f"The model keeps the weights of epoch {best}, the one with the "
            "lowest validation loss (the star), not necessarily those of the "
            "last epoch."
        )
        if model.status == "stopped":
            caption += " The batches of the unfinished epoch are not in the model."
        st.caption(caption)
    st.page_link(
        "app_pages/evaluate.py", label="Go to Evaluate", icon=":material/insights:"
    )


def settings_section(choices: state.DataChoices) -> TrainConfig | None:
    """Draw the settings form and return its configuration, or None if invalid."""
    tab = state.get()
    config = None
    with widgets.reported_errors("reading the training settings"):
        config = train_form.config_form(tab.train_config or TrainConfig())
        tab.train_config = config
    widgets.concept("sgd")
    widgets.concept("early_stopping")
    return config


current = state.get().data
shown_run = jobs.current_record()
if shown_run is not None:
    runs.data_notice(shown_run.data_summary, shown_run.is_running)
if current is None or current.prepared is None:
    st.info(
        "Load a dataset and choose its target and encodings on the Data page "
        "first. Training stays disabled until the data is ready."
    )
    st.page_link("app_pages/data.py", label="Go to Data", icon=":material/table:")
    live_section()
else:
    output_head_section(current)
    settings = settings_section(current)
    start_section(settings)
    live_section()
