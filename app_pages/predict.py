"""Predict page: download the model file, load one, and predict a new CSV."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from components import runs, script_download, state, text, widgets
from core import bundle
from core import data as core_data
from core.bundle import PredictionResult, TrainedModel
from core.errors import ExplorerError
from core.spreadsheet import to_safe_csv
from core.threshold_tools import REVIEW_LABEL

widgets.page_intro(
    "Predict",
    "Download the trained model as one file, or load such a file, and predict "
    "the classes of the rows of a new CSV file.",
)

CURRENT, UPLOADED = "current", "uploaded"


def download_section(model: TrainedModel) -> None:
    """Offer the current model, with the current threshold, as a .pt file."""
    tab = state.get()
    rule = ""
    if model.is_binary:
        rule = (
            f" and the threshold {tab.threshold:.2f} (label "
            f"'{text.name(model.pos_label)}' when p ≥ threshold)"
        )
        if tab.abstain_band is not None:
            lower, upper = tab.abstain_band
            rule += (
                f" with the review band {lower:.2f} ≤ p < {upper:.2f} (label "
                f"{REVIEW_LABEL!r})"
            )
    st.download_button(
        "Download model file (.pt)",
        data=state.model_file_bytes(),
        file_name=f"{script_download.file_stem(model.target_name)}_model.pt",
        mime="application/octet-stream",
        # The download must not rerun the page: nothing changes on screen.
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption(
        f"Contains the network weights, every column's fitted encoding, the "
        f"classes {text.names(model.classes_)}{rule}. It opens with "
        "`core.bundle.load_model(path)` or `torch.load(path, weights_only=True)`."
    )


def model_upload_section() -> TrainedModel | None:
    """Draw the model-file uploader and return the model it contains, if any."""
    tab = state.get()
    uploaded = st.file_uploader("Model file (.pt)", type=["pt"], key="model_upload")
    if uploaded is not None and uploaded.file_id != tab.model_upload_file_id:
        tab.model_upload_file_id = uploaded.file_id
        tab.model_upload_error = None
        content = uploaded.getvalue()
        try:
            model = bundle.load_model(content)
        except ExplorerError as error:
            widgets.log_error(f"loading model file {uploaded.name!r}", error)
            # The failed file replaces the last one, so nothing is predicted
            # with a model that the uploader no longer shows.
            tab.model_upload_error = str(error)
            tab.uploaded_model = None
            tab.uploaded_model_name = uploaded.name
            tab.uploaded_model_hash = None
            clear_prediction()
        else:
            tab.uploaded_model = model
            tab.uploaded_model_name = uploaded.name
            tab.uploaded_model_hash = hashlib.sha256(content).hexdigest()
    if uploaded is None:
        tab.model_upload_file_id = None
        tab.model_upload_error = None
    if tab.model_upload_error:
        st.error(
            f"**{text.name(tab.uploaded_model_name)}** was not loaded, so no "
            f"model file is in use: {text.message(tab.model_upload_error)}"
        )
    elif tab.uploaded_model is not None:
        st.caption(
            f"Predicting with the model in **{text.name(tab.uploaded_model_name)}**."
        )
    return tab.uploaded_model


def clear_prediction() -> None:
    """Forget the predictions, so that they are made again for the next model."""
    tab = state.get()
    tab.prediction = None
    tab.prediction_csv = None
    tab.prediction_signature = None
    tab.prediction_csv_note = None


def choose_model() -> tuple[TrainedModel | None, tuple[object, ...]]:
    """Return the model to predict with and a key that identifies it.

    The key starts with CURRENT or UPLOADED, the source of the model.
    """
    tab = state.get()
    sources = [CURRENT, UPLOADED] if tab.model is not None else [UPLOADED]
    labels = {CURRENT: "The model trained here", UPLOADED: "A model file (.pt)"}
    source = st.radio(
        "Model to predict with",
        sources,
        format_func=labels.get,
        horizontal=True,
        key=state.seed_widget("predict_source", sources[0]),
    )
    if source == CURRENT and tab.model is not None:
        return state.export_model(), (
            CURRENT,
            tab.model_version,
            tab.threshold,
            tab.abstain_band,
        )
    model = model_upload_section()
    return model, (UPLOADED, tab.uploaded_model_hash)


def model_summary(model: TrainedModel, data: state.DataSummary | None) -> None:
    """Describe the model's training data, what it predicts and its columns."""
    summary = (
        f"{widgets.model_data_text(model, data)} Predicts "
        f"**{text.name(model.target_name)}** ({text.names(model.classes_)}) "
        f"from the columns {text.names(model.encoder.input_columns_)}."
    )
    if model.is_binary:
        summary += (
            f" A row is labelled **{text.name(model.pos_label)}** when its "
            f"probability p ≥ {model.threshold:.2f}."
        )
        if model.abstain_band is not None:
            lower, upper = model.abstain_band
            summary += (
                f" A row with {lower:.2f} ≤ p < {upper:.2f} is labelled "
                f"**{REVIEW_LABEL}** instead, for a person to decide."
            )
    else:
        summary += " Each row gets the class with the largest softmax probability."
    st.markdown(summary)


def csv_upload_section() -> None:
    """Draw the uploader of the CSV to predict and parse a new file once."""
    tab = state.get()
    uploaded = st.file_uploader(
        "CSV file to predict", type=["csv", "txt", "tsv"], key="predict_upload"
    )
    widgets.upload_limit_caption(
        "Split it into smaller CSV files and predict each of them."
    )
    if uploaded is not None and uploaded.file_id != tab.predict_file_id:
        tab.predict_file_id = uploaded.file_id
        tab.predict_error = None
        content = uploaded.getvalue()
        try:
            # keep_text: the predictions repeat each field as written, so an
            # id such as 007 is not shown or downloaded as 7.
            table = core_data.read_csv(
                content,
                core_data.ReadLimits(min_rows=1),
                name=uploaded.name,
                keep_text=True,
            )
        except ExplorerError as error:
            widgets.log_error(f"reading upload {uploaded.name!r}", error)
            tab.predict_error = str(error)
            tab.predict_table = None
        else:
            tab.predict_table = table
            tab.predict_name = uploaded.name
            tab.predict_hash = hashlib.sha256(content).hexdigest()
    if uploaded is None:
        tab.predict_file_id = None
        tab.predict_error = None
    if tab.predict_error:
        st.error(text.message(tab.predict_error))
    elif tab.predict_table is not None:
        st.caption(f"**{text.name(tab.predict_name)}**: {tab.predict_table.describe()}")
        for note in tab.predict_table.notes:
            st.info(text.message(note))


def prediction_section(model: TrainedModel, model_key: tuple[object, ...]) -> None:
    """Predict the uploaded rows once per model and file, and show the result."""
    tab = state.get()
    if tab.predict_table is None:
        st.info("Upload a CSV file with the model's columns to predict its rows.")
        return
    signature = (model_key, tab.predict_hash)
    if tab.prediction is None or tab.prediction_signature != signature:
        clear_prediction()
        table = tab.predict_table
        tab.prediction = model.predict(table.frame, written=table.text)
        safe_csv = to_safe_csv(tab.prediction.frame)
        tab.prediction_csv = safe_csv.data
        tab.prediction_csv_note = safe_csv.note()
        tab.prediction_signature = signature

    result = tab.prediction
    st.success(f"Predicted {result.n_scored} of {len(result.frame)} rows.")
    if model.abstain_band is not None:
        st.info(
            f"{result.n_review} of the {result.n_scored} predicted rows fall in "
            f"the review band and are labelled '{REVIEW_LABEL}'."
        )
    for note in result.notes:
        st.info(text.message(note))
    if result.problems:
        messages = [problem.message for problem in result.problems]
        st.warning(
            f"{len(messages)} value(s) could not be encoded, so their rows are "
            f"not scored:\n{widgets.problems_text(messages)}"
        )

    st.dataframe(shown_frame(result), hide_index=True)
    st.download_button(
        "Download predictions (.csv)",
        data=tab.prediction_csv or b"",
        file_name="predictions.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    csv_note = tab.prediction_csv_note
    if csv_note:
        st.caption(text.message(csv_note))


def shown_frame(result: PredictionResult) -> pd.DataFrame:
    """Return the predictions with an empty prediction cell for unscored rows.

    The grid would show "None" there, and the problem column gives the reason.
    """
    shown = result.frame.copy()
    shown["prediction"] = shown["prediction"].fillna("")
    return shown


tab_state = state.get()
if tab_state.model is not None:
    runs.data_notice(tab_state.model_data, running=False)
    st.subheader("Download the trained model")
    with widgets.reported_errors("saving the model file"):
        download_section(tab_state.model)
st.subheader("Predict new rows")
with widgets.reported_errors("predicting"):
    chosen, chosen_key = choose_model()
    if chosen is None:
        st.info("Train a model on the Train page, or upload a model file.")
    else:
        from_here = chosen_key[0] == CURRENT
        model_summary(chosen, tab_state.model_data if from_here else None)
        csv_upload_section()
        prediction_section(chosen, chosen_key)
