"""Page tests: the whole app driven through Streamlit's AppTest.

AppTest runs a fragment as part of a full rerun and ignores `run_every`, so
a test waits for a training job through the job registry and then reruns.
"""

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.jobs import get_registry
from core import bundle, data, pipeline
from core.training import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TIMEOUT_S = 60
JOB_TIMEOUT_S = 120


@pytest.fixture
def sample_binary() -> str:
    """Name of the bundled two-class sample."""
    return "breast_cancer"


def new_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    return at.run()


def tab_state(at: AppTest):
    return at.session_state["explorer_state"]


def upload_csv(at: AppTest, name: str, key: str = "data_upload") -> AppTest:
    content = (DATA / name).read_bytes()
    at.file_uploader(key=key).set_value((name, content, "text/csv"))
    return at.run()


def load_sample(at: AppTest, name: str) -> AppTest:
    return at.button(key=f"sample_{name}").click().run()


# A backslash before ASCII punctuation, as components.text writes it, which
# Markdown shows as the punctuation alone.
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def texts(elements) -> list[str]:
    """Return each element's Markdown with escapes removed, as a reader sees it."""
    return [MARKDOWN_ESCAPE.sub(r"\1", str(element.value)) for element in elements]


def editor_key(at: AppTest) -> str:
    return at.data_editor[0].key


def edit_encodings(at: AppTest, edits: dict[str, dict[str, object]]) -> AppTest:
    """Change cells of the encoding table, given by column name per row."""
    table = at.data_editor[0].value
    rows = {
        int(np.flatnonzero(table["column"] == column)[0]): cells
        for column, cells in edits.items()
    }
    at.session_state[editor_key(at)] = {
        "edited_rows": rows,
        "added_rows": [],
        "deleted_rows": [],
    }
    return at.run()


def train(at: AppTest, epochs: int = 3) -> AppTest:
    """Start training from the Train page and rerun once the job has ended."""
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(epochs)
    at.button[0].click().run()
    record = get_registry().get(tab_state(at).run_id)
    assert record is not None
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    return at.run()


def shown_metrics(at: AppTest) -> dict[str, str]:
    """Return each metric card's text, with the reason of an undefined value."""
    shown = {metric.label: metric.value for metric in at.metric}
    reasons = iter(c.value for c in at.caption if c.value.startswith("("))
    for label, value in shown.items():
        if value == "undefined":
            shown[label] = f"undefined {next(reasons)}"
    return shown


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_data_page_shows_sample(sample_binary: str) -> None:
    at = load_sample(new_app(), sample_binary)
    assert_clean(at)
    choices = tab_state(at).data
    assert choices is not None
    assert choices.dataset.name == f"{sample_binary}.csv"
    assert any(choices.dataset.table.describe() in text for text in texts(at.success))
    assert len(at.data_editor) == 1
    assert choices.prepared is not None
    sidebar = " ".join(texts(at.sidebar.caption))
    assert f"Dataset: {sample_binary}.csv" in sidebar
    assert "Model: none" in sidebar


def test_encoding_edit_reaches_prepared_data() -> None:
    at = upload_csv(new_app(), "23_model_roundtrip.csv")
    at.selectbox[0].set_value("category").run()
    at = edit_encodings(
        at,
        {
            "size": {"encoding": "ordinal", "order": "small, medium, large"},
            "colour": {"encoding": "drop"},
        },
    )
    assert_clean(at)
    prepared = tab_state(at).data.prepared
    specs = {spec.name: spec for spec in prepared.specs}
    assert specs["size"].encoding == "ordinal"
    assert specs["size"].order == ("small", "medium", "large")
    assert specs["colour"].encoding == "drop"
    assert prepared.encoder.feature_names_ == ["size", "price"]
    size_codes = prepared.encoder.preview(prepared.frame, 3)["size"].tolist()
    assert size_codes == [0.0, 2.0, 1.0]


def test_encoding_choices_survive_page_switch() -> None:
    at = upload_csv(new_app(), "23_model_roundtrip.csv")
    at = edit_encodings(at, {"colour": {"encoding": "drop"}})
    at.switch_page("app_pages/train.py").run()
    at.switch_page("app_pages/data.py").run()
    assert_clean(at)
    shown = at.data_editor[0].value
    colour = shown.loc[shown["column"] == "colour", "encoding"].item()
    assert colour == "drop"
    assert tab_state(at).data.specs is not None


def test_reread_upload_keeps_frame() -> None:
    at = upload_csv(new_app(), "07_reread_buffer.csv")
    parsed = tab_state(at).data.dataset.table
    for _ in range(3):
        at.run()
        assert_clean(at)
        table = tab_state(at).data.dataset.table
        assert table is parsed
        assert table.frame.shape == (10, 3)
    at = train(at, epochs=2)
    assert_clean(at)
    assert tab_state(at).data.prepared.frame.shape == (10, 3)
    assert not at.error


def test_missing_target_rows_are_reported() -> None:
    at = upload_csv(new_app(), "13_nan_target.csv")
    assert_clean(at)
    warnings = texts(at.warning)
    assert any("2 rows have no target value (data rows 4 and 7)" in w for w in warnings)
    prepared = tab_state(at).data.prepared
    assert prepared.n_samples == 8
    assert prepared.target.classes_ == ["no", "yes"]


def test_positive_class_choice_sets_codes() -> None:
    at = upload_csv(new_app(), "22_rerun_state.csv")
    assert tab_state(at).data.pos_label == "yes"
    at.selectbox[1].set_value("no").run()
    assert_clean(at)
    target = tab_state(at).data.prepared.target
    assert target.pos_label == "no"
    assert target.classes_ == ["yes", "no"]


def test_labels_from_one_get_three_outputs() -> None:
    at = upload_csv(new_app(), "11_labels_1_2_3.csv")
    at.switch_page("app_pages/train.py").run()
    assert_clean(at)
    head = " ".join(m.value for m in at.markdown if "Output head" in m.value)
    assert "**3 output units** with a **softmax**" in head
    assert tab_state(at).data.prepared.target.classes_ == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("05_empty.csv", "empty (0 bytes)"),
        ("05_header_only.csv", "no data rows"),
    ],
)
def test_bad_csv_shows_error(name: str, expected: str) -> None:
    at = upload_csv(new_app(), name)
    assert_clean(at)
    assert any(expected in text for text in texts(at.error))
    assert tab_state(at).data is None
    at.switch_page("app_pages/train.py").run()
    assert_clean(at)
    assert not at.button
    assert any("Training stays disabled" in text for text in texts(at.info))


def test_binary_train_and_threshold(sample_binary: str) -> None:
    at = load_sample(new_app(), sample_binary)
    at = train(at, epochs=3)
    assert_clean(at)
    tab = tab_state(at)
    assert tab.model is not None
    assert tab.model.is_binary
    assert "epochs, val loss" in " ".join(texts(at.sidebar.caption))

    at.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    for threshold in (0.3, 0.75, 1.0):
        at.slider[0].set_value(threshold).run()
        assert_clean(at)
        expected = tab_state(at).threshold_table.at(threshold)
        shown = shown_metrics(at)
        assert shown["Accuracy"] == expected.value_text("accuracy")
        assert shown["Precision"] == expected.value_text("precision")
        assert shown["Recall"] == expected.value_text("recall")
        assert shown["F1"] == expected.value_text("f1")
        assert shown["TP (true positives)"] == str(expected.tp)
        assert shown["FN (false negatives)"] == str(expected.fn)
        assert tab_state(at).threshold == threshold


def test_suggestion_button_moves_threshold(sample_binary: str) -> None:
    at = load_sample(new_app(), sample_binary)
    at = train(at, epochs=3)
    at.switch_page("app_pages/evaluate.py").run()
    at.number_input(key="cost_fn").set_value(5.0).run()
    button = at.button(key="suggest_min cost")
    expected = float(button.label.split(": ")[1])
    button.click().run()
    assert_clean(at)
    assert at.slider[0].value == pytest.approx(expected)
    assert tab_state(at).threshold == pytest.approx(expected)
    shown = shown_metrics(at)
    at_threshold = tab_state(at).threshold_table.at(tab_state(at).threshold)
    assert shown["F1"] == at_threshold.value_text("f1")


def test_threshold_above_scores_shows_undefined() -> None:
    at = upload_csv(new_app(), "20_threshold_no_positives.csv")
    at = train(at, epochs=2)
    at.switch_page("app_pages/evaluate.py").run()
    top = float(np.max(tab_state(at).model.valid_proba))
    if top >= 1.0:
        pytest.skip("a validation probability rounds to 1.0")
    at.slider[0].set_value(1.0).run()
    assert_clean(at)
    shown = shown_metrics(at)
    assert shown["Precision"] == "undefined (no positive predictions)"
    assert shown["TP (true positives)"] == "0"
    assert shown["FP (false positives)"] == "0"


def test_multiclass_penguins() -> None:
    at = load_sample(new_app(), "penguins")
    assert_clean(at)
    assert len(tab_state(at).data.prepared.target.classes_) == 3
    at = train(at, epochs=3)
    at.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    tab = tab_state(at)
    assert not tab.model.is_binary
    assert not at.slider
    scores = tab.multiclass
    assert at.metric[0].value == f"{scores.accuracy:.3f}"
    softmax_table = at.dataframe[0].value
    assert list(softmax_table.columns[1:4]) == [
        f"p({name})" for name in tab.model.classes_
    ]
    np.testing.assert_allclose(
        softmax_table.iloc[:, 1:4].sum(axis=1).to_numpy(), 1.0, atol=1e-5
    )
    report = at.dataframe[1].value
    assert list(report.index[:3]) == tab.model.classes_


def test_rerun_keeps_model_and_training_count() -> None:
    at = upload_csv(new_app(), "22_rerun_state.csv")
    before = get_registry().n_started
    at = train(at, epochs=3)
    model = tab_state(at).model
    assert model is not None
    at.switch_page("app_pages/evaluate.py").run()
    for threshold in (0.2, 0.8):
        at.slider[0].set_value(threshold).run()
        at.run()
        assert_clean(at)
        assert tab_state(at).model is model
        assert any(metric.label == "Accuracy" for metric in at.metric)
    at.switch_page("app_pages/predict.py").run()
    assert_clean(at)
    assert at.get("download_button")
    at.run()
    assert tab_state(at).model is model
    assert get_registry().n_started - before == 1


def test_second_start_is_refused(sample_binary: str) -> None:
    # Batch size 1 over hundreds of rows for 10000 epochs keeps the run busy
    # for much longer than the test needs it running.
    at = load_sample(new_app(), sample_binary)
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(10_000)
    at.number_input(key="train_batch_size").set_value(1)
    at.button[0].click().run()
    record = get_registry().get(tab_state(at).run_id)
    try:
        assert record.is_running
        start = at.button[0]
        assert start.disabled
        assert any("run is in progress" in text for text in texts(at.caption))
        at.switch_page("app_pages/data.py").run()
        at.switch_page("app_pages/evaluate.py").run()
        assert_clean(at)
        assert record.is_running
        assert "Model: training epoch" in " ".join(texts(at.sidebar.caption))
        # Stopped after its first epoch, the run keeps a model with a
        # measured validation loss; an earlier stop gets another message.
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while record.job.epochs_done < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert record.job.epochs_done >= 1
        at.switch_page("app_pages/train.py").run()
        stop = next(button for button in at.button if button.label == "Stop training")
        stop.click().run()
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    assert_clean(at)
    assert record.job.status == "stopped"
    assert tab_state(at).model is record.job.model
    assert any("model of this run is kept" in text for text in texts(at.info))


def test_new_session_restores_run() -> None:
    at = upload_csv(new_app(), "22_rerun_state.csv")
    at = train(at, epochs=2)
    at.switch_page("app_pages/evaluate.py").run()
    at.slider[0].set_value(0.37).run()
    run_id = tab_state(at).run_id
    assert at.query_params["run"] == [run_id] or at.query_params["run"] == run_id

    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    reloaded.query_params["run"] = run_id
    reloaded.run()
    assert_clean(reloaded)
    tab = tab_state(reloaded)
    assert tab.run_id == run_id
    assert tab.model is get_registry().get(run_id).job.model
    assert tab.data.dataset.name == "22_rerun_state.csv"
    assert tab.data.target == "rain"
    assert tab.threshold == 0.37


def test_unknown_run_id_is_reported() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.query_params["run"] = "not-a-run"
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert_clean(at)
    assert any("no longer on the server" in text for text in texts(at.warning))


def test_predict_reports_unseen_categories() -> None:
    at = upload_csv(new_app(), "09_unseen_train.csv")
    at = train(at, epochs=2)
    at.switch_page("app_pages/predict.py").run()
    at = upload_csv(at, "09_unseen_predict.csv", key="predict_upload")
    assert_clean(at)
    result = tab_state(at).prediction
    assert result is not None
    assert result.n_scored == 1
    warning = " ".join(texts(at.warning))
    assert "'tablet'" in warning
    assert "'premium'" in warning
    shown = at.dataframe[0].value
    assert "prediction" in shown.columns
    assert len(at.get("download_button")) == 2


def test_uploaded_model_file_predicts_same() -> None:
    at = upload_csv(new_app(), "22_rerun_state.csv")
    at = train(at, epochs=3)
    at.switch_page("app_pages/evaluate.py").run()
    at.slider[0].set_value(0.4).run()
    at.switch_page("app_pages/predict.py").run()
    at = upload_csv(at, "22_rerun_state.csv", key="predict_upload")
    current = tab_state(at).prediction.frame

    model_file = tab_state(at).model_bytes
    assert bundle.load_model(model_file).threshold == 0.4
    at.radio(key="predict_source").set_value("uploaded").run()
    at.file_uploader(key="model_upload").set_value(
        ("model.pt", model_file, "application/octet-stream")
    )
    at.run()
    assert_clean(at)
    assert tab_state(at).uploaded_model is not None
    pd.testing.assert_frame_equal(tab_state(at).prediction.frame, current)


def test_predict_rejects_bad_model_file() -> None:
    at = new_app()
    at.switch_page("app_pages/predict.py").run()
    at.file_uploader(key="model_upload").set_value(
        ("model.pt", b"not a model", "application/octet-stream")
    )
    at.run()
    assert_clean(at)
    assert any("model file" in text for text in texts(at.error))


def test_diverging_run_shows_message(sample_binary: str) -> None:
    at = load_sample(new_app(), sample_binary)
    at.switch_page("app_pages/train.py").run()
    at.radio(key="train_optimizer").set_value("sgd").run()
    at.number_input(key="train_learning_rate").set_value(10.0)
    at.number_input(key="train_momentum").set_value(0.9)
    at.text_input(key="train_hidden").set_value("64")
    at.number_input(key="train_batch_size").set_value(1)
    at = train(at, epochs=5)
    assert_clean(at)
    errors = " ".join(texts(at.error))
    assert "diverged" in errors
    assert "smaller learning rate" in errors
    assert "Start training" in [button.label for button in at.button]


def test_invalid_hidden_layers_show_error() -> None:
    at = upload_csv(new_app(), "22_rerun_state.csv")
    at.switch_page("app_pages/train.py").run()
    at.text_input(key="train_hidden").set_value("16, many").run()
    assert_clean(at)
    assert any("'16, many'" in text for text in texts(at.error))
    assert at.button[0].disabled


def test_onehot_prediction_file_is_aligned() -> None:
    at = upload_csv(new_app(), "08_onehot_train.csv")
    at = train(at, epochs=2)
    at.switch_page("app_pages/predict.py").run()
    at = upload_csv(at, "08_onehot_predict.csv", key="predict_upload")
    assert_clean(at)
    result = tab_state(at).prediction
    assert result.n_scored == 3
    assert not result.problems
    assert result.frame["prediction"].notna().all()


def test_model_bytes_round_trip() -> None:
    table = data.read_csv((DATA / "23_model_roundtrip.csv").read_bytes())
    specs = pipeline.default_specs(table.frame, "category")
    prepared = pipeline.prepare_data(table.frame, "category", specs)
    model = pipeline.fit_classifier(prepared, TrainConfig(epochs=5, seed=1))
    loaded = bundle.load_model(bundle.model_to_bytes(model.with_threshold(0.3)))
    assert loaded.threshold == 0.3
    assert loaded.classes_ == model.classes_
    before = model.predict(table.frame).frame
    after = loaded.predict(table.frame).frame
    pd.testing.assert_frame_equal(before, after)


def test_sample_offers_its_csv(sample_binary: str) -> None:
    at = load_sample(new_app(), sample_binary)
    assert_clean(at)
    labels = [button.proto.label for button in at.get("download_button")]
    assert f"Download {sample_binary}.csv" in labels


def test_invalid_encoding_edit_clears_prepared_data() -> None:
    at = upload_csv(new_app(), "23_model_roundtrip.csv")
    at.selectbox[0].set_value("category").run()
    at = edit_encodings(at, {"colour": {"encoding": "drop"}})
    assert tab_state(at).data.prepared is not None
    at = edit_encodings(
        at, {"colour": {"encoding": "drop"}, "size": {"encoding": None}}
    )
    assert_clean(at)
    assert at.error, "an invalid encoding table must show an error"
    assert tab_state(at).data.prepared is None
    assert not any("Ready to train" in text for text in texts(at.success))


def test_single_row_prediction_file_is_scored(tmp_path) -> None:
    at = upload_csv(new_app(), "08_onehot_train.csv")
    at = train(at, epochs=2)
    at.switch_page("app_pages/predict.py").run()
    content = b"monthly_fee,region,plan\n10,north,basic\n"
    at.file_uploader(key="predict_upload").set_value(("one.csv", content, "text/csv"))
    at.run()
    assert_clean(at)
    assert not at.error, texts(at.error)
    assert tab_state(at).prediction.n_scored == 1
