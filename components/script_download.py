"""The "reproduce in code" download: a standalone training script for the model."""

from __future__ import annotations

import re

import streamlit as st

from components import jobs, state, text
from core.export_script import generate_script

# Characters of the target name kept in a download's file name.
MAX_FILE_STEM_CHARS = 60


def file_stem(target_name: str) -> str:
    """Turn a target name into a short file-name part of letters, digits, _ and -."""
    return re.sub(r"[^\w-]+", "_", target_name)[:MAX_FILE_STEM_CHARS]


def _write_script() -> None:
    tab = state.get()
    record = jobs.get_registry().get(tab.model_run_id)
    if record is None:
        tab.script = None
        tab.script_error = (
            "The data this model was trained on is no longer on the server, so "
            "no script can be written for it. Train it again to get one."
        )
        return
    csv = record.data.dataset.table
    prepared = record.job.prepared
    try:
        tab.script = generate_script(
            state.export_model(),
            record.data.dataset.name,
            prepared.specs,
            prepared.target,
            sep=csv.delimiter,
            decimal=csv.decimal,
            encoding=csv.encoding,
        )
        tab.script_error = None
    except (NotImplementedError, ValueError) as error:
        tab.script = None
        tab.script_error = str(error)


def script_download() -> None:
    """Offer a Python script that retrains the current model from its CSV file.

    The script prints the metrics at the current threshold, so it is
    written again only when the model or the threshold changes.
    """
    tab = state.get()
    signature = (tab.model_version, tab.threshold)
    if tab.script_signature != signature:
        _write_script()
        tab.script_signature = signature
    st.subheader("Reproduce in code")
    if tab.script is None:
        st.info(text.message(tab.script_error))
        return
    dataset = "the CSV file"
    if tab.model.dataset_name:
        dataset = text.name(tab.model.dataset_name)
    file_name = f"train_{file_stem(tab.model.target_name)}.py"
    st.download_button(
        "Download training script (.py)",
        data=tab.script.encode("utf-8"),
        file_name=file_name,
        mime="text/x-python",
        on_click="ignore",
        icon=":material/code:",
    )
    st.caption(
        f"A standalone script with pandas, scikit-learn and PyTorch only: it "
        f"reads {dataset}, encodes it, trains the same network with the same "
        "settings and prints the validation metrics shown here. Save it next "
        f"to {dataset} and run `python {file_name}`."
    )
