"""Data page: load a CSV, choose the target and how each feature is encoded."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from components import encoding_table, jobs, state, text, widgets
from core import data as core_data
from core import pipeline, samples
from core import profiles as core_profiles
from core.encoding import MissingPolicy
from core.errors import ExplorerError
from core.target import target_candidates

widgets.page_intro(
    "Data",
    "Load a CSV file or a sample, pick the column to predict, and choose how "
    "every other column is turned into numbers for the network.",
)


def load_bytes(content: bytes, name: str, suggested_target: str | None) -> None:
    """Parse `content` once and make it the current dataset.

    The same bytes loaded again keep the choices already made for them.
    """
    content_hash = hashlib.sha256(content).hexdigest()
    tab = state.get()
    if tab.data is not None and tab.data.dataset.content_hash == content_hash:
        return
    table = core_data.read_csv(content, name=name)
    profiles = core_profiles.profile_columns(table.frame)
    dataset = state.Dataset(name, content_hash, table, profiles, suggested_target)
    state.set_dataset(dataset)


def source_section() -> None:
    """Draw the uploader and the sample buttons, and load the chosen file."""
    tab = state.get()
    upload_column, sample_column = st.columns([1, 1], gap="large")
    with upload_column:
        uploaded = st.file_uploader(
            "Upload a CSV file",
            type=["csv", "txt", "tsv"],
            key="data_upload",
            help="UTF-8 or Windows-1252; comma, semicolon or tab separated.",
        )
        widgets.upload_limit_caption(
            "Train on a random sample of its rows instead, such as "
            "`pd.read_csv(path).sample(n=100_000, random_state=0)` saved as a "
            "new CSV file."
        )
    if uploaded is None:
        tab.upload_file_id = None
        tab.upload_error = None
    elif uploaded.file_id != tab.upload_file_id:
        # A new file: read its bytes once. Reruns see the same file id and
        # use the parsed table stored in session state.
        tab.upload_file_id = uploaded.file_id
        tab.upload_error = None
        try:
            load_bytes(uploaded.getvalue(), uploaded.name, None)
        except ExplorerError as error:
            widgets.log_error(f"reading upload {uploaded.name!r}", error)
            tab.upload_error = str(error)
            tab.data = None
    if tab.upload_error:
        upload_column.error(text.message(tab.upload_error))

    with sample_column:
        st.markdown("**Or load a sample dataset**")
        for name, description in samples.SAMPLES.items():
            clicked = st.button(f"Load {name}", key=f"sample_{name}")
            st.caption(description)
            if clicked:
                with widgets.reported_errors(f"loading sample {name}"):
                    load_bytes(
                        samples.sample_csv_bytes(name),
                        f"{name}.csv",
                        samples.SAMPLE_TARGETS.get(name),
                    )


def table_section(dataset: state.Dataset) -> None:
    """Draw what was detected in the file, a preview and the column profile."""
    table = dataset.table
    st.success(f"**{text.name(dataset.name)}**: {table.describe()}")
    sample_name = dataset.name.removesuffix(".csv")
    if sample_name in samples.SAMPLES:
        # The command line and the training script read a file from disk.
        st.download_button(
            f"Download {dataset.name}",
            data=samples.sample_csv_bytes(sample_name),
            file_name=dataset.name,
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )
    for note in table.notes:
        st.info(text.message(note))
    preview, profile = st.tabs(["Preview", "Column profile"])
    preview.dataframe(table.frame.head(100), hide_index=True)
    profile.dataframe(core_profiles.profiles_frame(dataset.profiles), hide_index=True)


def target_section(choices: state.DataChoices) -> None:
    """Draw the target picker and, for two classes, the positive-class picker."""
    dataset = choices.dataset
    columns = list(dataset.table.frame.columns)
    default = choices.target if choices.target in columns else columns[-1]
    key = state.seed_widget(f"target_{dataset.content_hash[:16]}", default)
    target = st.selectbox(
        "Target column (the class to predict)",
        columns,
        format_func=text.shortened,
        key=key,
        help="Every other column is a candidate feature.",
    )
    if target != choices.target or choices.specs is None:
        reset_target(choices, target)

    classes, default_pos = target_candidates(dataset.table.frame[target])
    if len(classes) != 2:
        st.caption(
            f"{len(classes)} classes: the network gets {len(classes)} outputs "
            "with a softmax (see the Train page)."
        )
        choices.pos_label = None
        return
    if choices.pos_label not in classes:
        choices.pos_label = default_pos
    key = state.seed_widget(
        f"pos_label_{dataset.content_hash[:16]}_{target}", choices.pos_label
    )
    choices.pos_label = st.selectbox(
        "Positive class (code 1; precision, recall and F1 are about this class)",
        classes,
        format_func=text.shortened,
        key=key,
    )


def reset_target(choices: state.DataChoices, target: str) -> None:
    """Start the encoding choices over for a new target column."""
    dataset = choices.dataset
    choices.target = target
    choices.pos_label = None
    choices.specs = pipeline.default_specs(
        dataset.table.frame, target, dataset.profiles
    )
    choices.editor_table = None
    choices.editor_base = None
    choices.prepared = None
    choices.prepared_signature = None


def encoding_section(choices: state.DataChoices) -> pd.DataFrame:
    """Draw the encoding table and return it as edited."""
    key = f"encodings_{choices.dataset.content_hash[:16]}_{choices.target}"
    if choices.editor_base is None or key not in st.session_state:
        # The editor keeps its edits as deltas against the table it was
        # given. After a page switch it has none, so it starts from the
        # table as last edited.
        if choices.editor_table is None:
            choices.editor_table = encoding_table.editor_frame(
                choices.dataset.profiles, choices.specs or []
            )
        choices.editor_base = choices.editor_table
    edited = st.data_editor(
        choices.editor_base,
        key=key,
        column_config=encoding_table.column_config(),
        hide_index=True,
        num_rows="fixed",
        width="stretch",
    )
    choices.editor_table = edited
    for name in ("numeric", "label_encoding", "onehot"):
        widgets.concept(name)
    return edited


def missing_section(choices: state.DataChoices) -> MissingPolicy:
    """Draw the missing-value policy and return it."""
    policy = choices.missing or MissingPolicy()
    strategies = {"impute": "Impute (fill in)", "drop_rows": "Drop rows"}
    left, right = st.columns(2)
    strategy = left.radio(
        "Missing feature values",
        list(strategies),
        format_func=strategies.get,
        key=state.seed_widget("missing_strategy", policy.strategy),
        horizontal=True,
    )
    numeric = right.selectbox(
        "Fill numbers with",
        ["mean", "median"],
        key=state.seed_widget("missing_numeric", policy.numeric),
        disabled=strategy != "impute",
        help="Categories are filled with their most frequent value.",
    )
    choices.missing = MissingPolicy(strategy=strategy, numeric=numeric)
    widgets.concept("missing")
    return choices.missing


def prepare(choices: state.DataChoices, table: pd.DataFrame) -> None:
    """Encode the data for training, reusing the last result for equal inputs.

    An invalid table clears the prepared data first, so Train never uses
    the encodings of an earlier, valid table.
    """
    try:
        specs = encoding_table.specs_from_table(table)
    except ExplorerError:
        choices.prepared = None
        choices.prepared_signature = None
        raise
    choices.specs = specs
    signature = (
        choices.dataset.content_hash,
        choices.target,
        choices.pos_label,
        tuple(specs),
        choices.missing,
    )
    if signature == choices.prepared_signature and choices.prepared is not None:
        return
    choices.prepared = None
    choices.prepared_signature = None
    choices.prepared = pipeline.prepare_data(
        choices.dataset.table.frame,
        choices.target,
        specs,
        missing=choices.missing or MissingPolicy(),
        pos_label=choices.pos_label,
    )
    choices.prepared_signature = signature


def result_section(choices: state.DataChoices) -> None:
    """Draw the target mapping and the first rows before and after encoding."""
    prepared = choices.prepared
    if prepared is None:
        return
    for note in prepared.notes:
        st.warning(text.message(note))
    st.markdown("**Target mapping** (label encoding of the target)")
    st.dataframe(prepared.target.mapping_frame(), hide_index=True)

    used = [s.name for s in prepared.specs if s.encoding != "drop"]
    encoded = prepared.encoder.preview(prepared.frame, 5)
    encoded[f"{choices.target} (code)"] = prepared.target.y[: len(encoded)]
    before, after = st.columns([2, 3])
    before.markdown("**Before encoding** (first 5 usable rows)")
    before.dataframe(prepared.frame[[*used, choices.target]].head(5))
    after.markdown("**After encoding** (what the network sees)")
    after.dataframe(encoded)
    st.success(
        f"Ready to train: {prepared.n_samples} rows × "
        f"{prepared.encoder.n_features} features."
    )
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/school:")


def running_run_note(choices: state.DataChoices | None) -> None:
    """Say that a running run keeps its own data when this page has other data."""
    record = jobs.current_record()
    if record is None or not record.is_running:
        return
    summary = record.data_summary
    if summary is None or summary.matches(choices):
        return
    st.info(
        f"This tab's training run keeps training on {widgets.summary_text(summary)}. "
        "The data chosen here is for the next run.",
        icon=":material/swap_horiz:",
    )


source_section()
current = state.get().data
running_run_note(current)
if current is None:
    st.info("Upload a CSV file or load a sample dataset to start.")
else:
    table_section(current.dataset)
    st.subheader("Target")
    with widgets.reported_errors("choosing the target"):
        target_section(current)
        st.subheader("Feature encodings")
        edited_table = encoding_section(current)
        missing_section(current)
        st.subheader("Encoded data")
        prepare(current, edited_table)
    result_section(current)
