"""Runs page: this tab's finished trainings side by side, any made current."""

from __future__ import annotations

import streamlit as st

from components import jobs, runs, state, widgets

widgets.page_intro(
    "Runs",
    f"Compare this tab's last {state.MAX_RUNS} finished trainings: their "
    "settings, validation metrics and loss curves. Make any of them the "
    "current model.",
)

tab = state.get()
entries = list(tab.runs)
if tab.n_missing_runs:
    st.warning(
        f"{tab.n_missing_runs} run(s) in this page's address are no longer on "
        f"the server and were dropped: it keeps the last {jobs.MAX_JOBS} "
        "trainings of all tabs, and none after a restart.",
        icon=":material/history:",
    )
if not entries:
    st.info("No finished training yet. Train a model on the Train page.")
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/school:")
else:
    record = jobs.current_record()
    training = record is not None and record.is_running
    st.caption(
        f"{len(entries)} run(s) kept, newest first. A binary run's metrics are "
        "at the threshold last chosen for it on the Evaluate page; a multiclass "
        f"run's use the argmax class. When more than {state.MAX_RUNS} runs have "
        "finished, the oldest is dropped."
    )
    with widgets.reported_errors("comparing the runs"):
        runs.make_current_buttons(entries, tab.model_run_id, training)
        table = runs.runs_frame(entries, tab.model_run_id)
        # Rows of 35 pixels: tall enough to show every row without scrolling.
        st.dataframe(table, height=35 * (len(table) + 1) + 3)
        runs.loss_overlay(entries)
        st.caption(
            "Each run has one colour: its validation loss is the solid line and "
            "its training loss the dotted one."
        )
